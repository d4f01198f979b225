"""Feature rows as the networks take them, checked: the one validator of the Detector
and the zoo's feature and image paths."""

from __future__ import annotations

import warnings

import numpy as np

from tfgan_ad.errors import user_stacklevel

#: one MNIST image as the conv nets take it
IMAGE_SHAPE = (28, 28, 1)


def check_features(X, shape: tuple) -> np.ndarray:
    """Feature rows of ``shape`` (``(121,)``, or ``(28, 28, 1)`` for images), checked and
    as float32: numbers, the right shape, at least one row, finite; images also floats
    in [-1, 1], the range the networks train on. Raises ``TypeError``/``ValueError``
    naming the problem.

    Images scaled to [0, 1] lie inside [-1, 1] and cannot be refused, but a batch with
    no pixel below 0 gives a ``UserWarning``: in [-1, 1] the background is -1, so
    such a batch is almost surely [0, 1] data, whose backgrounds the networks read as
    mid-grey."""
    X = as_array(X)
    if X.dtype.kind not in "iuf":
        raise TypeError(f"features must be numeric, got dtype {X.dtype}"
                        + ("; raw records need a preprocessor" if X.dtype.kind in "OUS" else ""))
    image = tuple(shape) == IMAGE_SHAPE
    what = "images" if image else "features"
    if X.shape[1:] != tuple(shape) or X.ndim != len(shape) + 1:
        raise ValueError(f"{what} must have shape (N, {', '.join(map(str, shape))}), "
                         f"got shape {X.shape}")
    if len(X) == 0:
        raise ValueError(f"empty batch: no {what} to score")
    with np.errstate(over="ignore"):
        x32 = X.astype(np.float32)
    if not np.all(np.isfinite(x32)):
        rows = np.unique(np.argwhere(~np.isfinite(x32))[:, 0])
        raise ValueError(f"features contain NaN or infinite values in rows {rows[:10].tolist()}"
                         " (or values beyond float32's range)")
    if image and (X.dtype.kind != "f" or X.min() < -1.0 or X.max() > 1.0):
        raise ValueError(f"images must be floats in [-1, 1] (0-255 pixels: "
                         f"tfgan_ad.data.mnist.to_unit_range), got dtype {X.dtype} with "
                         f"values in [{X.min():.9g}, {X.max():.9g}]")
    if image and X.min() >= 0.0:
        warnings.warn(f"no pixel of these {len(X)} image(s) is below 0: images scaled to "
                      f"[0, 1]? The networks take [-1, 1] (background -1); rescale with "
                      f"2 * x - 1", UserWarning, stacklevel=user_stacklevel())
    return x32


def as_array(X) -> np.ndarray:
    """``np.asarray(X)``, with rows of unequal shapes (a ragged list) named as such."""
    try:
        return np.asarray(X)
    except ValueError as err:  # numpy: "inhomogeneous shape after N dimensions"
        raise ValueError(f"rows of unequal shapes (a ragged list?) cannot form one batch: "
                         f"{err}") from None
