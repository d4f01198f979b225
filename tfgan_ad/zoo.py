"""The model zoo: pretrained SavedModels, verified by SHA-256 and loaded in one line.

>>> from tfgan_ad import zoo
>>> zoo.list()[:2]
['adgan_mnist_0', 'anogan_kdd99']
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
import re
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan_ad.data.datadir import sha256_of
from tfgan_ad.data.features import as_array, check_features
from tfgan_ad.data.kdd99 import (CATEGORICAL_COLUMNS, COLUMNS, KDDRecords, as_lines,
                                 as_records, line_error, screen_lines, split_line)
from tfgan_ad.errors import (UNKNOWN_CATEGORY_MESSAGE, assertion_text, non_finite_scores,
                             shown)

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


def _check_name(name) -> None:
    if not isinstance(name, str) or not re.fullmatch(r"\w[\w.-]*", name):
        raise ZooError(f"zoo model names are plain names such as 'bigan_kdd99' (letters, "
                       f"digits, '_', '.', '-'; no path parts); got {name!r}")


def registry(name: str) -> dict:
    """The registry entry ``zoo/<name>.json``, checked for the keys the zoo reads."""
    _check_name(name)
    path = root() / "zoo" / f"{name}.json"
    if not path.exists():
        raise ZooError(f"unknown zoo model {name!r}; available: {', '.join(list()) or 'none'}"
                       f" (zoo root {root()})")
    try:
        entry = json.loads(path.read_text())
    except (ValueError, OSError) as err:  # UnicodeDecodeError and JSONDecodeError too
        raise ZooError(f"{name}: registry file {path} is unreadable or not valid JSON "
                       f"({err}); restore it from version control") from None
    kinds = {"path": str, "files": dict, "card": dict}
    bad = [k for k, kind in kinds.items() if not isinstance(entry, dict)
           or not isinstance(entry.get(k), kind)]
    if bad:
        raise ZooError(f"{name}: registry file {path} lacks {', '.join(map(repr, bad))} (needs "
                       "'path': the artifact directory, 'files': SHA-256 by file, 'card': dict)")
    if Path(entry["path"]).is_absolute() or ".." in Path(entry["path"]).parts:
        raise ZooError(f"{name}: registry file {path}: 'path' must lie inside the zoo root, "
                       f"got {entry['path']!r}")
    from tfgan_ad.export import check_version
    try:  # ``tfgan-ad export`` names the copy's directory after it
        check_version(entry.get("version"))
        if Path(entry["path"]).name != str(entry["version"]):
            raise ValueError(f"version {entry['version']!r} is not the artifact directory "
                             f"{entry['path']!r}'s name")
    except ValueError as err:
        raise ZooError(f"{name}: registry file {path}: {err}") from None
    return entry


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


def _same_threshold(card_value, threshold: float) -> bool:
    """Whether a card's threshold is the model's (stored as float32 in the graph)."""
    try:
        return bool(np.isclose(float(card_value), threshold, rtol=1e-6, atol=0))
    except (TypeError, ValueError):
        return False


class ZooModel:
    """A loaded zoo model: ``score``, ``predict``, ``threshold``, ``metadata``."""

    def __init__(self, name: str, directory: Path, metadata: dict):
        self.name, self.directory, self.metadata = name, directory, metadata
        try:
            self._model = tf.saved_model.load(str(directory))
            threshold = self.threshold
            # what the model takes comes from its own graph, not from the card
            spec = self.signature("score_features").structured_input_signature[1]["features"]
            self.feature_shape = tuple(spec.shape[1:])
        except Exception as err:  # any failure here means damaged or foreign artifacts
            raise ZooError(f"{name}: TensorFlow {tf.__version__} cannot load the SavedModel in "
                           f"{directory} ({type(err).__name__}: {str(err)[:300]}); its files "
                           f"match their checksums, so suspect a TensorFlow version the "
                           f"model does not support, or an edited registry") from err
        if "threshold" in metadata and not _same_threshold(metadata["threshold"], threshold):
            raise ZooError(f"{name}: the card's threshold {metadata['threshold']} is not the "
                           f"model's own {threshold} (in {directory})")

    @property
    def threshold(self) -> float:
        return float(self._model.threshold.numpy())

    def signature(self, name: str = "serving_default"):
        return self._model.signatures[name]

    def _inputs(self, x) -> tuple[str, dict]:
        """``(signature name, its inputs as arrays)`` for ``x``, checked."""
        lines = None if isinstance(x, (dict, KDDRecords)) else as_lines(x)
        if lines is not None and "score_records" in self._model.signatures:
            return "serving_default", {"records": self._checked_lines(lines)}
        arr = None if isinstance(x, (dict, KDDRecords, str, bytes)) else as_array(x)
        if arr is not None and arr.size == 0:
            raise ValueError("empty batch: no rows to score")
        if "score_pixels" in self._model.signatures:
            return self._image_inputs(x, arr)
        if arr is not None and arr.dtype.kind in "biufc":  # feature vectors
            if arr.dtype.kind in "bc":
                raise TypeError(f"cannot score input of dtype {arr.dtype}")
            return "score_features", {"features": check_features(arr, self.feature_shape)}
        if "score_records" not in self._model.signatures:
            raise ValueError(f"{self.name} takes feature vectors (N, "
                             f"{', '.join(map(str, self.feature_shape))}) only")
        records = as_records(x)
        return "score_records", {"continuous": records.continuous.astype(np.float32),
                                 "categorical": records.categorical}

    @staticmethod
    def _checked_lines(lines: builtins.list[str]) -> np.ndarray:
        """CSV lines for the graph's own parser (C++, one call per batch, the CLI's and TF
        Serving's path). Lines holding a minus sign or a hex number, which the committed
        graphs would take silently, are checked by the Python parser first."""
        if not lines:
            raise ValueError("empty batch: no records to score")
        refused = screen_lines(lines)
        if refused:
            i, reason = refused[0]
            raise ValueError(f"line {i + 1}: {reason}")
        return np.array(lines, dtype=object)

    def _image_inputs(self, x, arr) -> tuple[str, dict]:
        """uint8 [N, 28, 28] raw pixels, or float [N, 28, 28, 1] already in [-1, 1]."""
        h, w, c = self.feature_shape
        if arr is not None and arr.dtype == np.uint8 and arr.shape[1:] == (h, w):
            return "score_pixels", {"pixels": arr}
        if arr is not None and arr.dtype.kind in "iuf" and arr.shape[1:] == (h, w, c):
            return "score_features", {"features": check_features(arr, (h, w, c))}
        got = f"dtype {arr.dtype}, shape {arr.shape}" if arr is not None else type(x).__name__
        raise ValueError(f"{self.name} is an image model: it takes uint8 [N, {h}, {w}] (0-255) "
                         f"or float [N, {h}, {w}, {c}] in [-1, 1]; got {got}")

    def _run(self, x) -> dict:
        name, inputs = self._inputs(x)
        n = len(next(iter(inputs.values())))
        call = self.signature(name)
        parts = []
        for i in range(0, n, BATCH):
            chunk = {k: v[i:i + BATCH] for k, v in inputs.items()}
            done, refused = call_by_halves(call, chunk, first_only=True)
            if refused:  # named by line (from 1) for CSV lines, else by row (from 0)
                row, err = refused[0]
                if "records" in chunk:
                    raise ValueError(f"line {i + row + 1}: "
                                     f"{refusal(err, chunk['records'][row])}")
                categorical = chunk["categorical"][row] if "categorical" in chunk else None
                raise ValueError(f"row {i + row}: {refusal(err, categorical=categorical)}")
            parts.extend(out for _, out in done)
        return {k: np.concatenate([p[k].numpy() for p in parts]) for k in parts[0]}

    def score(self, x) -> np.ndarray:
        """Anomaly scores (higher = more anomalous) for raw records (CSV lines, KDDRecords,
        a dict of arrays: :func:`tfgan_ad.data.kdd99.as_records`), feature vectors, or,
        for image models, uint8 pixels [N, 28, 28] / float images in [-1, 1]."""
        return self._run(x)["score"]

    def predict(self, x) -> np.ndarray:
        """1 = anomaly (score ≥ the stored threshold), else 0."""
        return self._run(x)["is_anomaly"].astype(np.int64)


def call_by_halves(call, inputs: dict, first_only: bool = False):
    """Run signature ``call`` on ``inputs`` (arrays of equal length); where the graph refuses
    a range, on its halves, recursively, down to the rows it refuses alone. A bad row thus
    costs about 2·log2(n) calls, not one per row.

    Returns ``([(start row, outputs)], [(row, InvalidArgumentError)])``, both in row
    order; with ``first_only`` the search stops at the first refused row.
    """
    # A loop over a stack (first half on top: row order), not a nested recursive
    # function: that would be a reference cycle keeping each call's inputs and outputs
    # alive until the next garbage collection (+50 MB peak on the CLI's KDD99 run).
    done, refused = [], []
    todo = [(0, len(next(iter(inputs.values()))))]
    while todo:
        lo, hi = todo.pop()
        try:
            out = call(**{k: tf.constant(v[lo:hi]) for k, v in inputs.items()})
        except tf.errors.InvalidArgumentError as err:
            if hi - lo > 1:
                mid = (lo + hi) // 2
                todo += [(mid, hi), (lo, mid)]
                continue
            refused.append((lo, err))
            if first_only:
                break
            continue
        # the committed graphs predate their own check of this: a NaN score's is_anomaly
        # is 0 (NaN >= threshold is False), so such rows are refused here
        bad = non_finite_scores(out["score"].numpy())
        start = 0
        for row, reason in bad:
            if row > start:
                done.append((lo + start, {k: v[start:row] for k, v in out.items()}))
            refused.append((lo + row, tf.errors.InvalidArgumentError(None, None, reason)))
            start = row + 1
        if first_only and bad:
            break
        if start < hi - lo:
            done.append((lo + start, {k: v[start:] for k, v in out.items()} if start else out))
    return done, refused


def refusal(err, line: str | None = None, categorical=None) -> str:
    """Why the graph refused a record: for a CSV ``line`` the Python parser's reason when it
    finds one (it names the column; the graph's number parser does not), else the graph's,
    an unknown category shown quoted from the record itself, its ``line`` or its
    ``categorical`` row (the graph's message collapses whitespace, so ' tcp' would read
    as tcp)."""
    if line is not None:
        reason = line_error(line)
        if reason:
            return reason
    text = assertion_text(err.message)
    unknown = re.match(f"({re.escape(UNKNOWN_CATEGORY_MESSAGE)}'(\\w+)' \\(known: [^)]*\\)):",
                       text)
    if unknown and unknown.group(2) in CATEGORICAL_COLUMNS:
        column = unknown.group(2)
        if line is not None:
            return f"{unknown.group(1)}: {shown(split_line(line)[COLUMNS.index(column)])}"
        if categorical is not None:
            field = str(categorical[CATEGORICAL_COLUMNS.index(column)])  # as_records: str
            return f"{unknown.group(1)}: {shown(field)}"
    return text


def load(name: str) -> ZooModel:
    """Verify and load zoo model ``name`` (offline; raises ZooError naming any bad file).

    The registry's card must agree with the model card stored inside the artifact
    (``assets/model_card.json``) on every key that one has; the registry may add
    keys (``metrics``, measured after export).
    """
    directory = verify(name)
    card = registry(name)["card"]
    own_path = directory / "assets" / "model_card.json"
    try:
        own = json.loads(own_path.read_text())
    except (ValueError, OSError) as err:
        raise ZooError(f"{name}: cannot read the artifact's model card {own_path} "
                       f"({err})") from None
    if not isinstance(own, dict):
        raise ZooError(f"{name}: cannot read the artifact's model card {own_path} "
                       f"(not a JSON object)")
    differ = sorted(k for k in own if card.get(k, object()) != own[k])
    if differ:
        raise ZooError(f"{name}: the registry card disagrees with the artifact's own "
                       f"{own_path} on {differ} (e.g. {differ[0]!r}: registry "
                       f"{card.get(differ[0], '(missing)')!r}, artifact {own[differ[0]]!r})")
    return ZooModel(name, directory, card)


def publish(detector, name: str, version: int, card: dict, replace: bool = False) -> Path:
    """Export ``detector`` to ``saved_models/<name>/<version>`` and write ``zoo/<name>.json``
    under the zoo root (:func:`root`: ``$TFGAN_AD_ZOO``, else this checkout).

    The registry lists the SHA-256 of every file written. The card gets the model's
    ``threshold`` (a card that names another threshold is refused before anything is
    written). An existing version directory is never overwritten (see
    :func:`tfgan_ad.export.export_saved_model`), and an existing registry entry is
    replaced only with ``replace=True`` (its version's files stay on disk).
    """
    from tfgan_ad.export import export_saved_model
    check_publishable(name, version, replace)
    r = root()
    if not isinstance(card, dict):
        raise TypeError(f"card must be a dict, got {type(card).__name__}")
    threshold = detector.check_threshold()
    if "threshold" in card and not _same_threshold(card["threshold"], threshold):
        raise ValueError(f"the card's threshold {card['threshold']!r} is not the detector's "
                         f"threshold_ {threshold}; leave it out (it is filled in)")
    card = {**card, "threshold": float(threshold)}
    target = export_saved_model(detector, r / "saved_models" / name, version, card)
    write_registry(name, {"name": name, "version": int(version),
                          "path": target.relative_to(r).as_posix(), "card": card,
                          "files": file_hashes(target)})
    return target


def check_publishable(name: str, version: int, replace: bool = False) -> None:
    """Raise what :func:`publish` would for ``name``/``version`` before any export: a bad
    name, an entry already listed without ``replace``, an existing version directory. Build
    scripts call it before fitting, so a refused publish costs no training."""
    from tfgan_ad.export import check_version
    _check_name(name)
    check_version(version)
    r = root()
    path = r / "zoo" / f"{name}.json"
    if path.exists() and not replace:
        try:
            listed = f"version {json.loads(path.read_text()).get('version')}"
        except (ValueError, OSError, AttributeError):
            listed = "an entry"
        raise FileExistsError(f"{path} already lists {name!r} ({listed}); publish under "
                              f"another name, or pass replace=True to make this the entry "
                              f"(the old version's files stay in saved_models/{name}/)")
    target = r / "saved_models" / name / str(int(version))
    if target.exists():
        raise FileExistsError(f"{target} exists; pick a new version number (never overwritten)")


def write_registry(name: str, entry: dict) -> Path:
    path = root() / "zoo" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(entry, indent=1, allow_nan=False) + "\n")
    tmp.replace(path)
    return path
