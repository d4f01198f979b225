"""Raw KDD records → the 121 model features, as a Keras layer saved with the model.

Feature order follows the reference implementation: the 34 continuous columns
in file order, then one one-hot block per categorical column (in
``CATEGORICAL_COLUMNS`` order, values sorted), then scaling of all 121:

* ``"none"``: no scaling, as the official EGBAD code actually trained (its
  ``MinMaxScaler`` result was never assigned; PROTOCOLS.md pitfall 1).
* ``"minmax"``: ``(x - min) / (max - min)`` with min/max of the training
  features (a constant column gets range 1), as the paper's text says.
* ``"log_minmax"``: ``log1p`` of the continuous columns (all are counts, byte
  totals or rates, hence ≥ 0; a negative value is refused whatever the
  scaling), then min-max. This tames the heavy-tailed byte
  counts (up to ~7·10⁸) that otherwise dominate every L1 distance.

Values outside the training range are *not* clipped at inference: a larger
byte count than any seen in training is exactly what a detector should see.

Unseen category values (a ``service`` not in the published file's vocabulary,
say) are governed by ``unknown_category``:

* ``"error"`` (default): the call fails with an ``InvalidArgumentError`` that
  names the column and shows the offending values.
* ``"ignore"``: the column's one-hot block is all zeros for that record, so
  the record is scored on its other features (and, being unlike anything seen
  in training, typically scores high).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgan_ad.data.kdd99 import (CATEGORICAL_COLUMNS, CONTINUOUS_COLUMNS, VOCABULARY,
                                 categorical_text)
from tfgan_ad.errors import UNKNOWN_CATEGORY_MESSAGE, shown

SCALINGS = ("none", "minmax", "log_minmax")
UNKNOWN_CATEGORY = ("error", "ignore")


@keras.saving.register_keras_serializable(package="tfgan_ad")
class KDDPreprocessor(keras.layers.Layer):
    """Maps ``{"continuous": float (N, 34), "categorical": string (N, 7)}`` to (N, 121).

    Args:
        scaling: one of ``"none"``, ``"minmax"``, ``"log_minmax"``.
        unknown_category: ``"error"`` or ``"ignore"`` (see module docstring).
        feature_min, feature_scale: the fitted scaling (121 floats each); set
            by :meth:`adapt`, stored in the config so the layer rebuilds exactly.
        vocabulary: dict column → tuple of values; defaults to the KDD99 file's.

    Example:
        >>> pre = KDDPreprocessor(scaling="minmax")
        >>> pre.adapt(train_records.as_inputs())
        >>> features = pre(test_records.as_inputs())
    """

    def __init__(self, scaling="none", unknown_category="error", feature_min=None,
                 feature_scale=None, vocabulary=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if scaling not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
        if unknown_category not in UNKNOWN_CATEGORY:
            raise ValueError(
                f"unknown_category must be one of {UNKNOWN_CATEGORY}, got {unknown_category!r}"
            )
        self.scaling = scaling
        self.unknown_category = unknown_category
        self.vocabulary = {c: tuple(v) for c, v in (vocabulary or VOCABULARY).items()}
        if tuple(self.vocabulary) != CATEGORICAL_COLUMNS:
            raise ValueError(f"vocabulary must have the columns {CATEGORICAL_COLUMNS}")
        self.n_features = len(CONTINUOUS_COLUMNS) + sum(len(v) for v in self.vocabulary.values())
        self.feature_min = None if feature_min is None else [float(v) for v in feature_min]
        self.feature_scale = None if feature_scale is None else [float(v) for v in feature_scale]
        for name in ("feature_min", "feature_scale"):
            value = getattr(self, name)
            if value is not None and len(value) != self.n_features:
                raise ValueError(f"{name} must have {self.n_features} values, got {len(value)}")

    @property
    def is_fitted(self) -> bool:
        return self.scaling == "none" or self.feature_min is not None

    def encode(self, inputs):
        """One-hot + (for ``log_minmax``) log1p, before min-max: the part :meth:`adapt` fits on."""
        continuous, categorical = _check_inputs(inputs)
        if self.scaling == "log_minmax":
            continuous = tf.math.log1p(continuous)  # ≥ 0, checked by _check_inputs
        blocks, checks = [continuous], []
        for j, column in enumerate(CATEGORICAL_COLUMNS):
            values = categorical[:, j]
            hot = tf.equal(values[:, None], tf.constant(self.vocabulary[column])[None, :])
            if self.unknown_category == "error":
                known = tf.reduce_any(hot, axis=1)
                checks.append(tf.debugging.Assert(
                    tf.reduce_all(known),
                    [self._unknown_message(column) + ":",
                     tf.boolean_mask(values, tf.logical_not(known))],
                    summarize=5,
                ))
            blocks.append(tf.cast(hot, tf.float32))
        with tf.control_dependencies([c for c in checks if c is not None]):
            return tf.concat(blocks, axis=1)

    def _unknown_message(self, column: str) -> str:
        known = self.vocabulary[column]
        return (f"{UNKNOWN_CATEGORY_MESSAGE}{column!r} (known: {', '.join(known[:12])}"
                f"{', ...' if len(known) > 12 else ''})")

    def check_categories(self, categorical) -> None:
        """With ``unknown_category="error"``, refuse the first row of ``categorical`` (N, 7
        strings or bytes; an array, list or tensor) holding a value outside the
        vocabulary, as the graph does but naming the row and quoting the value (the
        graph's message collapses whitespace: ' tcp' would read as tcp)."""
        if self.unknown_category != "error":
            return
        categorical = categorical_text(categorical)  # bytes (tensor.numpy()) decoded
        bad = np.zeros(categorical.shape[:1], bool)
        for j, column in enumerate(CATEGORICAL_COLUMNS):
            bad |= ~np.isin(categorical[:, j], self.vocabulary[column])
        if bad.any():
            row = int(np.argmax(bad))
            for j, column in enumerate(CATEGORICAL_COLUMNS):
                value = categorical[row, j]
                if value not in self.vocabulary[column]:
                    raise ValueError(f"row {row}: {self._unknown_message(column)}: "
                                     f"{shown(str(value))}")

    def adapt(self, inputs, batch_size: int = 65536) -> "KDDPreprocessor":
        """Fit min-max on training records (a dict of arrays, as :meth:`call` takes)."""
        if self.scaling == "none":
            return self
        n = len(inputs["continuous"])
        if n == 0:
            raise ValueError("cannot fit scaling on an empty set of records")
        lo = np.full(self.n_features, np.inf)
        hi = np.full(self.n_features, -np.inf)
        for start in range(0, n, batch_size):
            part = {k: v[start:start + batch_size] for k, v in inputs.items()}
            x = self.encode(part).numpy()
            lo = np.minimum(lo, x.min(axis=0))
            hi = np.maximum(hi, x.max(axis=0))
        scale = hi - lo
        scale[scale == 0] = 1.0
        self.feature_min = lo.tolist()
        self.feature_scale = scale.tolist()
        return self

    def call(self, inputs):
        x = self.encode(inputs)
        if self.scaling == "none":
            return x
        if self.feature_min is None:
            raise ValueError(f"scaling={self.scaling!r} needs adapt() on training records first")
        return (x - tf.constant(self.feature_min, tf.float32)) / tf.constant(
            self.feature_scale, tf.float32)

    def compute_output_shape(self, input_shape):
        return (None, self.n_features)

    def get_config(self):
        config = super().get_config()
        config.update(
            scaling=self.scaling,
            unknown_category=self.unknown_category,
            feature_min=self.feature_min,
            feature_scale=self.feature_scale,
            vocabulary={c: list(v) for c, v in self.vocabulary.items()},
        )
        return config


def _check_inputs(inputs):
    if not isinstance(inputs, dict) or set(inputs) != {"continuous", "categorical"}:
        raise ValueError(
            "KDD records must be a dict with keys 'continuous' (N, 34 floats) and "
            f"'categorical' (N, 7 strings); got {type(inputs).__name__}"
            + (f" with keys {sorted(inputs)}" if isinstance(inputs, dict) else "")
        )
    continuous = tf.convert_to_tensor(inputs["continuous"])
    categorical = tf.convert_to_tensor(inputs["categorical"])
    if not continuous.dtype.is_floating:
        raise TypeError(f"'continuous' must be a float tensor, got dtype {continuous.dtype.name}")
    if categorical.dtype != tf.string:
        raise TypeError(f"'categorical' must be a string tensor, got dtype {categorical.dtype.name}")
    n_cont, n_cat = len(CONTINUOUS_COLUMNS), len(CATEGORICAL_COLUMNS)
    if continuous.shape.rank != 2 or continuous.shape[-1] not in (None, n_cont):
        raise ValueError(f"'continuous' must have shape (N, {n_cont}), got {continuous.shape}")
    if categorical.shape.rank != 2 or categorical.shape[-1] not in (None, n_cat):
        raise ValueError(f"'categorical' must have shape (N, {n_cat}), got {categorical.shape}")
    continuous = tf.cast(continuous, tf.float32)
    continuous = tf.debugging.assert_all_finite(
        continuous, "'continuous' KDD columns contain NaN or infinite values")
    negative = tf.reduce_any(continuous < 0.0, axis=0)
    check = tf.debugging.Assert(
        tf.logical_not(tf.reduce_any(negative)),
        ["negative value(s) in KDD column(s) that are counts, byte totals or rates (>= 0):",
         tf.boolean_mask(tf.constant(CONTINUOUS_COLUMNS), negative)],
        summarize=len(CONTINUOUS_COLUMNS))
    with tf.control_dependencies([check]):
        return tf.identity(continuous), categorical
