"""Export a fitted detector (EGBAD or AnoGAN) as a self-contained SavedModel for TF Serving.

The exported graph is the whole one-way path: raw record → preprocessing (the
fitted layer, constants inside) → EMA networks → score → fixed threshold →
decision. Signatures:

* ``serving_default``: ``records``, string [N], one CSV line per record (the
  41 KDD fields in file order; a 42nd label field, as in the published file,
  is ignored) → ``score`` float32 [N], ``is_anomaly`` int32 [N] (1 = anomaly).
* ``score_records``: ``continuous`` float32 [N, 34], ``categorical`` string
  [N, 7] → same outputs.
* ``score_features``: ``features`` float32 [N, 121] (already preprocessed) →
  same outputs. A feature-vector detector without a KDD preprocessor exports
  this one only, as ``serving_default`` too.
* Image (MNIST) detectors: ``serving_default`` = ``score_pixels``, ``pixels``
  uint8 [N, 28, 28], raw 0-255 grey levels (scaled to [-1, 1] in the graph,
  as for training); ``score_features`` takes images already in [-1, 1],
  float32 [N, 28, 28, 1].

The score is the detector's own :meth:`graph_score`: the EGBAD formula, or for
AnoGAN the whole latent search (a ``tf.while_loop``) inside the graph.

Bad input fails the request with an InvalidArgument error that names the
problem (wrong field count, a field that is not a number, a hexadecimal number,
a negative count, an unknown category, NaN; images outside [-1, 1]). Graphs
exported before these last three checks are the committed zoo models: the KDD99
ones take hexadecimal numbers and clamp negative counts, the MNIST ones take
``score_features`` images of any range (their ``score_pixels`` path checks nothing it
needs to, but evaluates ``pixels / 127.5 - 1``, which TensorFlow may round 1 ulp away
from the training images' scaling: scores then differ in the 7th digit; new exports
look the levels up and match exactly). Directories are written as
``<base>/<version>/``, the layout TF Serving loads; an existing version is never
overwritten.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan_ad.data.kdd99 import (CATEGORICAL_COLUMNS, CATEGORICAL_INDEX, COLUMNS,
                                 CONTINUOUS_COLUMNS, CONTINUOUS_INDEX)
from tfgan_ad.data.features import IMAGE_SHAPE
from tfgan_ad.data.mnist import pixel_table
from tfgan_ad.errors import SCORE_NOT_FINITE
from tfgan_ad.preprocessing import KDDPreprocessor


def split_csv_lines(lines):
    """CSV lines (string [N]) → ``{"continuous": float32 [N, 34], "categorical": string [N, 7]}``."""
    lines = tf.strings.strip(tf.convert_to_tensor(lines, tf.string))
    fields = tf.strings.split(lines, ",")
    counts = fields.row_lengths()
    ok = tf.reduce_all((counts == len(COLUMNS)) | (counts == len(COLUMNS) + 1))
    bad = tf.where(~((counts == len(COLUMNS)) | (counts == len(COLUMNS) + 1)))[:, 0]
    check = tf.debugging.Assert(
        ok, [f"each record must have {len(COLUMNS)} comma-separated fields (or 42 with the "
             "label); bad rows (0-based) and their field counts:", bad, tf.gather(counts, bad)],
        summarize=10)
    # tf.strings.to_number reads "0x10" as 16; no KDD99 field is hexadecimal. (?s): "."
    # also matches a newline inside a line, which would otherwise hide a later field
    hexa = tf.strings.regex_full_match(lines, r"(?s).*(^|,)\s*[+-]?0[xX].*")
    no_hex = tf.debugging.Assert(
        ~tf.reduce_any(hexa), ["hexadecimal numbers are not KDD99 values; bad rows (0-based):",
                               tf.where(hexa)[:, 0]], summarize=10)
    with tf.control_dependencies([check, no_hex]):
        dense = fields.to_tensor(default_value="")[:, : len(COLUMNS)]
    continuous = tf.strings.to_number(tf.gather(dense, list(CONTINUOUS_INDEX), axis=1), tf.float32)
    categorical = tf.gather(dense, list(CATEGORICAL_INDEX), axis=1)
    return {"continuous": continuous, "categorical": categorical}


class ExportedDetector(tf.Module):
    """The serving graph of a fitted detector (see module docstring).

    Args:
        preprocessor: the fitted preprocessing layer, or None (features in).
        networks: name → Keras network, everything ``score_fn`` reads.
        score_fn: features → scores, a pure TensorFlow function of ``networks``.
        threshold: the detector's ``threshold_``.
        feature_shape: shape of one feature row (``(121,)`` for KDD99).
    """

    def __init__(self, preprocessor, networks: dict, score_fn, threshold: float,
                 feature_shape: tuple):
        super().__init__(name="tfgan_ad_detector")
        self.preprocessor = preprocessor
        self._score_fn = score_fn
        self._image = tuple(feature_shape) == IMAGE_SHAPE
        self.threshold = tf.Variable(threshold, dtype=tf.float32, trainable=False,
                                     name="threshold")
        # Track the networks' backing tf.Variables, and only them: tracked through
        # the Keras 3 layers alone, TF1-style loaders (TF Serving, saved_model_cli
        # run) fail with "Could not find variable" (keras-team/keras#19274), and
        # tracking both writes every weight twice. ``score_fn`` reaches the layers.
        self.backing_variables = [getattr(v, "value", v) for net in networks.values()
                                  for v in net.weights]
        self.score_features = tf.function(
            self._from_features,
            input_signature=[tf.TensorSpec([None, *feature_shape], tf.float32,
                                           name="features")])
        if isinstance(preprocessor, KDDPreprocessor):
            self.score_records = tf.function(
                self._from_records,
                input_signature=[tf.TensorSpec([None, len(CONTINUOUS_COLUMNS)], tf.float32,
                                               name="continuous"),
                                 tf.TensorSpec([None, len(CATEGORICAL_COLUMNS)], tf.string,
                                               name="categorical")])
            self.serve = tf.function(
                self._from_lines,
                input_signature=[tf.TensorSpec([None], tf.string, name="records")])

        elif tuple(feature_shape) == IMAGE_SHAPE:
            self.score_pixels = tf.function(
                self._from_pixels,
                input_signature=[tf.TensorSpec([None, *IMAGE_SHAPE[:2]], tf.uint8, name="pixels")])

    def signature_map(self) -> dict:
        """Signature name → tf.function, for ``tf.saved_model.save``."""
        if hasattr(self, "score_pixels"):
            return {"serving_default": self.score_pixels, "score_pixels": self.score_pixels,
                    "score_features": self.score_features}
        if not hasattr(self, "serve"):
            return {"serving_default": self.score_features, "score_features": self.score_features}
        return {"serving_default": self.serve, "score_records": self.score_records,
                "score_features": self.score_features}

    def _from_features(self, features):
        features = tf.debugging.assert_all_finite(features, "features contain NaN or infinite")
        if self._image:  # as check_features in Python: the networks take [-1, 1]
            inside = tf.reduce_all(tf.abs(features) <= 1.0)
            with tf.control_dependencies([tf.debugging.Assert(
                    inside, ["images must be floats in [-1, 1] (0-255 pixels: the "
                             "score_pixels signature); got values in",
                             tf.reduce_min(features), tf.reduce_max(features)])]):
                features = tf.identity(features)
        score = tf.debugging.assert_all_finite(self._score_fn(features), SCORE_NOT_FINITE)
        return {"score": score,
                "is_anomaly": tf.cast(score >= self.threshold, tf.int32)}

    # The other signatures call ``score_features`` (and ``serve`` calls ``score_records``) as
    # tf.functions rather than inlining their Python: the score graph, which for ADGAN and
    # AnoGAN holds the whole search loop, is then stored once instead of once per signature.

    def _from_pixels(self, pixels):
        """0-255 grey levels → [-1, 1] with a channel axis, bit for bit as
        :func:`tfgan_ad.data.mnist.to_unit_range` scales them for training (a lookup:
        the formula evaluated in the graph may be 1 ulp off)."""
        levels = tf.constant(pixel_table())
        return self.score_features(tf.gather(levels, tf.cast(pixels, tf.int32))[..., None])

    def _from_records(self, continuous, categorical):
        features = self.preprocessor({"continuous": continuous, "categorical": categorical})
        return self.score_features(features)

    def _from_lines(self, records):
        inputs = split_csv_lines(records)
        return self.score_records(inputs["continuous"], inputs["categorical"])


def check_version(version) -> None:
    """A SavedModel version is an integer >= 0 (TF Serving's version directories)."""
    if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 0:
        raise ValueError(f"version must be an integer >= 0 (TF Serving's version "
                         f"directories), got {version!r}")


def export_saved_model(detector, base_dir: str | Path, version: int, metadata: dict) -> Path:
    """Write ``detector`` (fitted, EMA weights) to ``base_dir/<version>/`` and return that path.

    ``metadata`` is stored as ``assets/model_card.json`` inside the SavedModel.
    Refuses to overwrite an existing version: exported models are never lost.
    """
    if detector.gan is None or detector.threshold_ is None:
        raise RuntimeError("export needs a fitted detector (call fit first)")
    threshold = detector.check_threshold()  # set with the score settings being exported
    if not isinstance(metadata, dict):  # zoo.load reads the card as a JSON object
        raise TypeError(f"metadata must be a dict (the model card), got "
                        f"{type(metadata).__name__}")
    try:
        # allow_nan=False: NaN/inf are not JSON, and a NaN card value never equals itself,
        # so zoo.load would call every registry card that holds one a disagreement
        card_text = json.dumps(metadata, indent=1, sort_keys=True, allow_nan=False) + "\n"
    except (TypeError, ValueError) as err:  # numpy float32/int64, NaN: before any file
        raise TypeError(f"metadata must be JSON data (plain int/float/str/list/dict, "
                        f"finite numbers): {err}") from None
    check_version(version)
    target = Path(base_dir) / str(int(version))
    if target.exists():
        raise FileExistsError(f"{target} exists; pick a new version number (never overwritten)")
    gan = detector.gan
    with gan.ema.averaged():
        module = ExportedDetector(detector.preprocessor, detector.networks(),
                                  detector.graph_score, threshold,
                                  detector.feature_shape)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{version}."))
        try:
            card = tmp / "model_card.json"
            card.write_text(card_text)
            module.model_card = tf.saved_model.Asset(str(card))
            tf.saved_model.save(module, str(tmp / "model"), signatures=module.signature_map())
            (tmp / "model").rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
