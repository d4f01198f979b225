"""MNIST from IDX files, pooled, and the EGBAD one-digit-anomalous protocol.

Every ``<prefix>-images-idx3-ubyte.gz`` in ``<data dir>/mnist`` is paired with its
``<prefix>-labels-idx1-ubyte.gz`` and all pairs are pooled: with the canonical
download that is all 70,000 digits; the offline copy here holds 20,000 (the
10,000 test digits and a 10,000-digit subset of the training set). Files whose
name is known are checked against their published SHA-256. Missing canonical
files are downloaded and verified (see :func:`_missing_canonical`): all four into
an empty directory; beside files of published names, the test pair (``t10k``)
whenever a file of it is missing, and the training pair when half of it is there
or no other training pair is. A directory of the user's own pairs is used as it is.

EGBAD protocol (section 4): digit ``d`` is the anomaly; the pool is shuffled;
80% of the other digits train; the remaining 20% of them plus *all* digits d
form the test set. Pixels are scaled to [-1, 1].
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfgan_ad.data.datadir import DataFileError, RemoteFile, data_dir, fetch, sha256_of

_BASE = "https://storage.googleapis.com/cvdf-datasets/mnist/"
KNOWN_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    # the offline subset shipped beside this project (shared/data/README.md)
    "train-subset10k-images-idx3-ubyte.gz":
        "d97d73438116da211f41db1802da786de5f3a7a484fcc9949ae0a8edd6d4eee8",
    "train-subset10k-labels-idx1-ubyte.gz":
        "32cbecd8e497226ae422677c72288f33fde2eb4a3cb9b9b49ae369b9aee0024f",
}
CANONICAL = tuple(RemoteFile(f"mnist/{name}", _BASE + name, KNOWN_SHA256[name])
                  for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))


def read_idx(path: str | Path) -> np.ndarray:
    """Read one (optionally gzipped) IDX file of unsigned bytes."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as err:  # not gzip, cut off, unreadable
        raise DataFileError(f"cannot read IDX file {path} ({type(err).__name__}: {err}); "
                            f"replace it with the published file") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    if data[2] != 0x08:
        raise ValueError(f"{path}: IDX element type {data[2]:#x} is not unsigned byte")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: IDX header cut off ({len(data)} bytes)")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} = {int(np.prod(dims))} bytes, "
                         f"file has {body.size}")
    return body.reshape(dims)


_IMAGES, _LABELS = "-images-idx3-ubyte.gz", "-labels-idx1-ubyte.gz"


def _pairs(directory: Path, skip: tuple = ()) -> list[tuple[Path, Path]]:
    """Every images file with its labels file; a file of either kind without its
    partner is an error (a half-deleted or half-downloaded pair), except for the
    prefixes in ``skip`` (the canonical pairs, which are completed by download)."""
    if not directory.is_dir():
        return []
    pairs = []
    for images in sorted(directory.glob("*" + _IMAGES)):
        labels = images.with_name(images.name[:-len(_IMAGES)] + _LABELS)
        if labels.exists():
            pairs.append((images, labels))
        elif images.name[:-len(_IMAGES)] not in skip:
            raise DataFileError(f"{images} has no labels file {labels.name} beside it")
    for labels in sorted(directory.glob("*" + _LABELS)):
        images = labels.with_name(labels.name[:-len(_LABELS)] + _IMAGES)
        if not images.exists() and labels.name[:-len(_LABELS)] not in skip:
            raise DataFileError(f"{labels} has no images file {images.name} beside it: "
                                f"restore it, or remove both")
    return pairs


def _missing_canonical(directory: Path) -> list[RemoteFile]:
    """The canonical files to fetch. A directory with no pair, or with any file of a
    published name (the canonical four, ``train-subset10k``), is the canonical layout:
    there the test pair (``t10k``) is fetched whenever a file of it is missing, and the
    training pair when one of its files is there without the other or when no other
    training pair is. A directory of the user's own pairs only gets nothing."""
    def there(remote):
        return (data_dir() / remote.relpath).exists()
    names = {p.name for p in directory.iterdir()} if directory.is_dir() else set()
    if any(n.endswith(_IMAGES) for n in names) and not names & set(KNOWN_SHA256):
        return []  # the user's own pairs only
    test = [r for r in CANONICAL if "/t10k-" in r.relpath]
    train = [r for r in CANONICAL if "/train-" in r.relpath]
    other_train = [n for n in names if n.endswith(_IMAGES)
                   and not n.startswith(("t10k-", "train" + _IMAGES))]
    want = []
    if any(there(r) for r in train) or not other_train:
        want += [r for r in train if not there(r)]
    return want + [r for r in test if not there(r)]


def load_mnist_files(download: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{file prefix: (images uint8 [N, 28, 28], labels uint8 [N])}`` for every IDX
    pair found (e.g. ``"t10k"``, ``"train"`` or ``"train-subset10k"``), checked.

    Missing canonical files are fetched (:func:`_missing_canonical`), so a pool is
    never silently short of the test set or of half a pair. Refused: a file failing
    its published SHA-256, a pair whose shapes disagree, labels outside 0-9, and a
    pair whose digits are mostly in another pair (e.g. a training subset beside the
    full training set: pooled, its digits would be counted twice)."""
    directory = data_dir() / "mnist"
    _pairs(directory, skip=("train", "t10k"))  # other half pairs: refused before any fetch
    for remote in _missing_canonical(directory):
        fetch(remote, download=download)
    pairs = _pairs(directory)
    files = {}
    for img_path, lab_path in pairs:
        for p in (img_path, lab_path):
            want = KNOWN_SHA256.get(p.name)
            if want is not None and sha256_of(p) != want:
                fix = ("delete it to download it again"
                       if any(r.relpath.endswith("/" + p.name) for r in CANONICAL)
                       else "replace it with the published file")
                raise DataFileError(f"{p} fails its SHA-256 check (expected {want}); {fix}")
        img, lab = read_idx(img_path), read_idx(lab_path)
        if img.ndim != 3 or img.shape[1:] != (28, 28) or lab.shape != (len(img),):
            raise DataFileError(f"{img_path.name}/{lab_path.name}: shapes {img.shape} and "
                                f"{lab.shape} are not N×28×28 images with N labels")
        if len(img) == 0:
            raise DataFileError(f"{img_path.name}/{lab_path.name}: the MNIST pair holds no "
                                f"images; remove it or replace it with the full files")
        if lab.max() > 9:
            raise DataFileError(f"{lab_path} holds labels outside 0-9 (e.g. {int(lab.max())})")
        files[img_path.name[:-len(_IMAGES)]] = (img, lab)
    _refuse_overlapping(files)
    return files


def _refuse_overlapping(files: dict) -> None:
    """Refuse a pair most of whose images are also in another pair (exact bytes)."""
    seen = {name: {bytes(row) for row in img.reshape(len(img), -1)}
            for name, (img, _) in files.items()}
    for name, rows in seen.items():
        for other, other_rows in seen.items():
            if other != name and rows and len(rows & other_rows) > len(rows) / 2:
                raise DataFileError(
                    f"{len(rows & other_rows)} of the {len(rows)} digits of the MNIST pair "
                    f"'{name}' are also in '{other}': pooled, they would be counted twice "
                    f"(and could fall on both sides of a split); keep one of the two pairs")


def load_mnist(download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Pooled ``(images uint8 [N, 28, 28], labels uint8 [N])`` of every IDX pair found."""
    files = load_mnist_files(download)
    return (np.concatenate([img for img, _ in files.values()]),
            np.concatenate([lab for _, lab in files.values()]))


def train_test_files(files: dict) -> tuple[tuple, tuple]:
    """((train images, labels), (test images, labels)) of :func:`load_mnist_files`:
    the ``t10k`` pair is the test set, every other pair is pooled into training."""
    if "t10k" not in files:
        raise DataFileError(f"no MNIST test set (t10k-*-ubyte.gz) among {sorted(files)}")
    train = [files[k] for k in sorted(files) if k != "t10k"]
    if not train:
        raise DataFileError("no MNIST training digits beside the test set")
    return ((np.concatenate([i for i, _ in train]), np.concatenate([lab for _, lab in train])),
            files["t10k"])


def scale_pixels(pixels):
    """Grey levels as floats (0-255) → [-1, 1]: the one formula. The exported graph does
    not evaluate it (TensorFlow may turn the division into a multiplication by 1/127.5,
    1 ulp off for 111 of the 256 levels) but looks levels up in :func:`pixel_table`."""
    return pixels / 127.5 - 1.0


def pixel_table() -> np.ndarray:
    """float32 [256]: what :func:`to_unit_range` gives each grey level 0-255, for the
    exported graph's lookup (:mod:`tfgan_ad.export`), so served pixels score exactly
    as the same images scaled here."""
    return scale_pixels(np.arange(256, dtype=np.float32))


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """uint8 pixels → float32 in [-1, 1], with a channel axis: [N, 28, 28, 1]."""
    return scale_pixels(images.astype(np.float32))[..., None]


def to_pixels(images: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_unit_range`: [N, 28, 28, 1] in [-1, 1] → uint8 [N, 28, 28]."""
    return np.rint((images[..., 0] + 1.0) * 127.5).astype(np.uint8)


@dataclass(frozen=True)
class MNISTSplit:
    x_train: np.ndarray  # [N, 28, 28, 1] in [-1, 1], digits != anomaly
    x_test: np.ndarray
    y_test: np.ndarray   # 1 = anomalous digit
    digits_test: np.ndarray
    anomaly_digit: int
    seed: int


def egbad_split(images, labels, anomaly_digit: int, seed: int,
                train_fraction: float = 0.8) -> MNISTSplit:
    """EGBAD protocol: digit ``anomaly_digit`` anomalous; 80/20 split of the others."""
    if anomaly_digit not in range(10):
        raise ValueError(f"anomaly_digit must be 0-9, got {anomaly_digit}")
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(labels))
    images, labels = images[order], labels[order]
    normal = np.flatnonzero(labels != anomaly_digit)
    n_train = int(len(normal) * train_fraction)
    train_idx = normal[:n_train]
    test_idx = np.concatenate([normal[n_train:], np.flatnonzero(labels == anomaly_digit)])
    test_idx = test_idx[rng.permutation(len(test_idx))]
    return MNISTSplit(to_unit_range(images[train_idx]), to_unit_range(images[test_idx]),
                      (labels[test_idx] == anomaly_digit).astype(np.int64),
                      labels[test_idx].astype(np.int64), anomaly_digit, seed)


@dataclass(frozen=True)
class OneVsAllSplit:
    """ADGAN §4.3: one class is normal; its training digits train, test digits are scored."""

    x_train: np.ndarray    # [N, 28, 28, 1] in [-1, 1]: training digits of ``normal_class``
    x_holdout: np.ndarray  # training-set digits kept out of training (model selection)
    y_holdout: np.ndarray  # 1 = another class
    x_test: np.ndarray     # ``n_test`` random test-set digits of every class
    y_test: np.ndarray     # 1 = another class (anomalous)
    digits_test: np.ndarray
    normal_class: int
    seed: int


def one_vs_all_split(train, test, normal_class: int, seed: int, n_test: int = 5000,
                     holdout_fraction: float = 0.1, holdout_anomalies: int = 400) -> OneVsAllSplit:
    """ADGAN's one-versus-all protocol (§4.3): train on one class, test on random test items.

    Args:
        train, test: ``(images uint8 [N, 28, 28], labels [N])`` of the training and
            the test set (:func:`train_test_files`): they never share a digit.
        normal_class: the class trained on; every other class is anomalous.
        n_test: test items drawn at random (without replacement) from the test set.
        holdout_fraction: share of the normal class's training digits kept out of
            training; with ``holdout_anomalies`` random training digits of the other
            classes they form a labelled *holdout* set, drawn from the training set
            only, on which the baselines choose their PCA dimension (ADGAN §4.2:
            "best performance on a small holdout set"). Test labels choose nothing.
    """
    if normal_class not in range(10):
        raise ValueError(f"normal_class must be 0-9, got {normal_class}")
    (tr_img, tr_lab), (te_img, te_lab) = train, test
    if not 0 < n_test <= len(te_lab):
        raise ValueError(f"n_test must be in 1..{len(te_lab)}, got {n_test}")
    rng = np.random.default_rng([seed, normal_class, 5])
    normal = rng.permutation(np.flatnonzero(tr_lab == normal_class))
    n_hold = int(round(len(normal) * holdout_fraction))
    others = np.flatnonzero(tr_lab != normal_class)
    hold = np.concatenate([normal[:n_hold],
                           rng.choice(others, min(holdout_anomalies, len(others)), replace=False)])
    test_idx = rng.choice(len(te_lab), n_test, replace=False)
    return OneVsAllSplit(
        x_train=to_unit_range(tr_img[np.sort(normal[n_hold:])]),
        x_holdout=to_unit_range(tr_img[hold]),
        y_holdout=(tr_lab[hold] != normal_class).astype(np.int64),
        x_test=to_unit_range(te_img[test_idx]),
        y_test=(te_lab[test_idx] != normal_class).astype(np.int64),
        digits_test=te_lab[test_idx].astype(np.int64), normal_class=normal_class, seed=seed)
