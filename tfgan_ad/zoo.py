"""The model zoo: pretrained SavedModels, verified by SHA-256 and loaded in one line.

>>> from tfgan_ad import zoo
>>> zoo.list()
['bigan_kdd99']
>>> model = zoo.load("bigan_kdd99")
>>> model.score(["0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,..."])

Each model has one registry file ``zoo/<name>.json`` (artifact path, the
SHA-256 of every file, and the model card) and its artifacts in
``saved_models/<name>/<version>/`` (the TF Serving layout). The zoo root is
``$TFGAN_AD_ZOO`` when set, else the checkout this package was installed from
(``pip install -e .``).
"""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan_ad.data.datadir import sha256_of
from tfgan_ad.data.kdd99 import KDDRecords
from tfgan_ad.errors import assertion_text

BATCH = 65536
#: the repository's budget for everything under ``saved_models/`` (150 MiB)
SIZE_BUDGET_BYTES = 150 * 1024 * 1024


class ZooError(Exception):
    """A zoo model is unknown, missing, or fails its integrity check."""


def root() -> Path:
    env = os.environ.get("TFGAN_AD_ZOO")
    return Path(env) if env else Path(__file__).resolve().parents[1]


def list() -> builtins.list[str]:  # noqa: A001 - the zoo's public verb
    """Names of the available zoo models."""
    return sorted(p.stem for p in (root() / "zoo").glob("*.json"))


def registry(name: str) -> dict:
    path = root() / "zoo" / f"{name}.json"
    if not path.exists():
        raise ZooError(f"unknown zoo model {name!r}; available: {', '.join(list()) or 'none'}"
                       f" (zoo root {root()})")
    return json.loads(path.read_text())


def _files(directory: Path) -> builtins.list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*")
                  if p.is_file())


def size_bytes(directory: Path) -> int:
    """Total size of the files under ``directory`` (directory entries not counted)."""
    return sum((directory / rel).stat().st_size for rel in _files(directory))


def file_hashes(directory: Path) -> dict:
    """``{relative path: sha256}`` of every file under ``directory``."""
    return {rel: sha256_of(directory / rel) for rel in _files(directory)}


def verify(name: str) -> Path:
    """Check every artifact file of ``name`` against the registry; return its directory."""
    reg = registry(name)
    directory = root() / reg["path"]
    if not directory.is_dir():
        raise ZooError(f"artifacts of {name!r} missing: {directory}")
    expected = reg["files"]
    for rel, sha in expected.items():
        path = directory / rel
        if not path.is_file():
            raise ZooError(f"{name}: artifact file missing: {path}")
        got = sha256_of(path)
        if got != sha:
            raise ZooError(f"{name}: {path} is corrupt or altered (SHA-256 {got}, registry "
                           f"says {sha}); refusing to load it")
    extra = set(_files(directory)) - set(expected)
    if extra:
        raise ZooError(f"{name}: files not in the registry: {sorted(extra)} in {directory}")
    return directory


class ZooModel:
    """A loaded zoo model: ``score``, ``predict``, ``threshold``, ``metadata``."""

    def __init__(self, name: str, directory: Path, metadata: dict):
        self.name, self.directory, self.metadata = name, directory, metadata
        self._model = tf.saved_model.load(str(directory))

    @property
    def threshold(self) -> float:
        return float(self._model.threshold.numpy())

    def signature(self, name: str = "serving_default"):
        return self._model.signatures[name]

    def _run(self, x) -> dict:
        if isinstance(x, KDDRecords):
            x = x.as_inputs()
        if isinstance(x, str):
            x = [x]
        if isinstance(x, dict):
            n = len(x["continuous"])
            call = lambda s: self.signature("score_records")(  # noqa: E731
                continuous=tf.constant(np.asarray(x["continuous"][s], np.float32)),
                categorical=tf.constant(np.asarray(x["categorical"][s]).astype(str)))
        else:
            arr = np.asarray(x)
            if arr.size == 0:
                raise ValueError("empty batch: no records to score")
            if arr.dtype.kind in "USO":
                if arr.ndim != 1:
                    raise ValueError(f"CSV records must be a 1-D list of lines, got shape {arr.shape}")
                call = lambda s: self.signature()(records=tf.constant(arr[s].astype(str)))  # noqa
            elif "image_shape" in self.metadata:
                call = self._image_call(arr)
            elif arr.dtype.kind in "fiu":
                width = self.metadata.get("n_features", 121)
                if arr.ndim != 2 or arr.shape[1] != width:
                    raise ValueError(f"feature vectors must have shape (N, {width}), got {arr.shape}")
                call = lambda s: self.signature("score_features")(  # noqa: E731
                    features=tf.constant(arr[s].astype(np.float32)))
            else:
                raise TypeError(f"cannot score input of dtype {arr.dtype}")
            n = len(arr)
        if n == 0:
            raise ValueError("empty batch: no records to score")
        parts = []
        for i in range(0, n, BATCH):
            try:
                parts.append(call(slice(i, i + BATCH)))
            except tf.errors.InvalidArgumentError as err:
                raise ValueError(f"bad records in rows {i}..{min(i + BATCH, n) - 1}: "
                                 f"{assertion_text(err.message)}") from None
        return {k: np.concatenate([p[k].numpy() for p in parts]) for k in parts[0]}

    def _image_call(self, arr):
        """uint8 [N, 28, 28] raw pixels, or float [N, 28, 28, 1] already in [-1, 1]."""
        h, w, c = self.metadata["image_shape"]
        if arr.dtype == np.uint8 and arr.shape[1:] == (h, w):
            return lambda s: self.signature("score_pixels")(pixels=tf.constant(arr[s]))
        if arr.dtype.kind == "f" and arr.shape[1:] == (h, w, c):
            if np.nanmin(arr) < -1.0 or np.nanmax(arr) > 1.0:
                raise ValueError("float images must be scaled to [-1, 1] (pass raw 0-255 "
                                 "pixels as uint8 [N, 28, 28] instead)")
            return lambda s: self.signature("score_features")(  # noqa: E731
                features=tf.constant(arr[s].astype(np.float32)))
        raise ValueError(f"images must be uint8 [N, {h}, {w}] (0-255) or float [N, {h}, {w}, "
                         f"{c}] in [-1, 1]; got dtype {arr.dtype}, shape {arr.shape}")

    def score(self, x) -> np.ndarray:
        """Anomaly scores (higher = more anomalous) for CSV lines, KDDRecords, features,
        or, for image models, uint8 pixels [N, 28, 28] / float images in [-1, 1]."""
        return self._run(x)["score"]

    def predict(self, x) -> np.ndarray:
        """1 = anomaly (score ≥ the stored threshold), else 0."""
        return self._run(x)["is_anomaly"].astype(np.int64)


def load(name: str) -> ZooModel:
    """Verify and load zoo model ``name`` (offline; raises ZooError naming any bad file)."""
    directory = verify(name)
    return ZooModel(name, directory, registry(name)["card"])


def publish(detector, name: str, version: int, card: dict) -> Path:
    """Export ``detector`` to ``saved_models/<name>/<version>`` and write ``zoo/<name>.json``.

    The registry lists the SHA-256 of every file written. An existing version
    directory is never overwritten (see :func:`tfgan_ad.export.export_saved_model`).
    """
    from tfgan_ad.export import export_saved_model
    r = root()
    target = export_saved_model(detector, r / "saved_models" / name, version, card)
    write_registry(name, {"name": name, "version": int(version),
                          "path": target.relative_to(r).as_posix(), "card": card,
                          "files": file_hashes(target)})
    return target


def write_registry(name: str, entry: dict) -> Path:
    path = root() / "zoo" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(entry, indent=1) + "\n")
    tmp.replace(path)
    return path
