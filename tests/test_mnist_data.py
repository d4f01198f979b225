import gzip
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from tfgan_ad.data.datadir import DataFileError
from tfgan_ad.data.mnist import egbad_split, load_mnist, read_idx


def write_idx(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_pools_every_pair_offline():
    images, labels = load_mnist(download=False)
    assert images.shape == (20_000, 28, 28) and labels.shape == (20_000,)
    assert set(np.unique(labels)) == set(range(10))


def test_egbad_protocol():
    images, labels = load_mnist(download=False)
    s = egbad_split(images, labels, anomaly_digit=3, seed=0)
    n3 = int(np.sum(labels == 3))
    n_other = len(labels) - n3
    assert len(s.x_train) == int(n_other * 0.8)
    assert s.y_test.sum() == n3  # all digits 3 are in the test set
    assert len(s.x_test) == n_other - len(s.x_train) + n3
    assert s.x_train.min() == -1.0 and s.x_train.max() == 1.0 and s.x_train.shape[1:] == (28, 28, 1)
    assert set(np.unique(s.digits_test[s.y_test == 0])) == set(range(10)) - {3}


SHARED = Path(os.environ["TFGAN_AD_DATA"]) / "mnist"
T10K = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
SUBSET = ("train-subset10k-images-idx3-ubyte.gz", "train-subset10k-labels-idx1-ubyte.gz")


def mnist_dir(tmp_path, monkeypatch, *names):
    """A data directory holding copies of the named shared MNIST files."""
    monkeypatch.setenv("TFGAN_AD_DATA", str(tmp_path))
    (tmp_path / "mnist").mkdir(parents=True)
    for name in names:
        shutil.copy(SHARED / name, tmp_path / "mnist" / name)
    return tmp_path / "mnist"


def test_idx_reader_and_pairing(tmp_path, monkeypatch):
    arr = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    write_idx(tmp_path / "x.gz", arr)
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), arr)
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x01\x02\x08\x01abcd"))
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "bad.gz")
    directory = mnist_dir(tmp_path, monkeypatch)
    write_idx(directory / "mine-images-idx3-ubyte.gz", arr)
    with pytest.raises(DataFileError, match="no labels file"):
        load_mnist(download=False)
    write_idx(directory / "mine-labels-idx1-ubyte.gz", np.array([1, 7]))
    images, labels = load_mnist(download=False)  # the user's own pairs only: nothing fetched
    assert images.shape == (2, 28, 28) and labels.tolist() == [1, 7]
    for name in T10K:
        shutil.copy(SHARED / name, directory / name)
    images, labels = load_mnist(download=False)  # mine (2) + t10k (10,000)
    assert images.shape == (10_002, 28, 28) and labels[:2].tolist() == [1, 7]


@pytest.mark.parametrize("kept, missing", [
    (("t10k-images-idx3-ubyte.gz",) + SUBSET, "t10k-labels-idx1-ubyte.gz"),
    (SUBSET, "t10k-images-idx3-ubyte.gz"),
])
def test_a_pool_short_of_a_canonical_file_is_completed_or_refused(tmp_path, monkeypatch,
                                                                   kept, missing):
    """A half-deleted or half-downloaded pair used to leave a smaller pool, silently."""
    mnist_dir(tmp_path, monkeypatch, *kept)
    with pytest.raises(DataFileError, match=rf"{missing}.*not found.*downloading is disabled"):
        load_mnist(download=False)


def test_missing_canonical_files_are_fetched_and_verified(tmp_path, monkeypatch):
    """The "completed" half: a half-present test pair and a half-present training pair
    are fetched (from file:// copies here) and pooled."""
    from tfgan_ad.data import mnist
    from tfgan_ad.data.datadir import RemoteFile, sha256_of
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(SHARED / T10K[0], served / T10K[0])
    write_idx(served / "train-images-idx3-ubyte.gz", np.full((3, 28, 28), 7))
    write_idx(served / "train-labels-idx1-ubyte.gz", np.array([4, 5, 6]))
    known = dict(mnist.KNOWN_SHA256)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        known[name] = sha256_of(served / name)
    monkeypatch.setattr(mnist, "KNOWN_SHA256", known)
    monkeypatch.setattr(mnist, "CANONICAL", tuple(
        RemoteFile(r.relpath, (served / Path(r.relpath).name).as_uri(),
                   known[Path(r.relpath).name]) for r in mnist.CANONICAL))
    directory = mnist_dir(tmp_path / "data", monkeypatch, T10K[1], *SUBSET)
    shutil.copy(served / "train-labels-idx1-ubyte.gz", directory)  # half a training pair
    files = mnist.load_mnist_files(download=True)
    assert sorted(files) == ["t10k", "train", "train-subset10k"]
    assert files["t10k"][0].shape == (10_000, 28, 28)
    assert files["train"][1].tolist() == [4, 5, 6]


def test_labels_without_images_are_refused(tmp_path, monkeypatch):
    mnist_dir(tmp_path, monkeypatch, *T10K, SUBSET[1])
    with pytest.raises(DataFileError, match=r"train-subset10k-labels.* has no images file"):
        load_mnist(download=False)


def test_a_pair_repeating_another_is_refused(tmp_path, monkeypatch):
    """E.g. a training subset beside the full training set: pooled twice, its digits
    could land on both sides of a split."""
    directory = mnist_dir(tmp_path, monkeypatch, *T10K, *SUBSET)
    for name in SUBSET:
        shutil.copy(SHARED / name, directory / name.replace("train-subset10k", "again"))
    with pytest.raises(DataFileError, match=r"10000 of the 10000 digits of the MNIST pair "
                                            r"'(again|train-subset10k)' are also in"):
        load_mnist(download=False)


def test_bad_labels_and_unreadable_files_are_named(tmp_path, monkeypatch):
    directory = mnist_dir(tmp_path, monkeypatch, *T10K)
    write_idx(directory / "mine-images-idx3-ubyte.gz", np.zeros((2, 28, 28)))
    write_idx(directory / "mine-labels-idx1-ubyte.gz", np.array([3, 10]))
    with pytest.raises(DataFileError, match=r"mine-labels-idx1-ubyte.gz holds labels outside 0-9"):
        load_mnist(download=False)
    write_idx(directory / "mine-images-idx3-ubyte.gz", np.zeros((0, 28, 28)))
    write_idx(directory / "mine-labels-idx1-ubyte.gz", np.zeros(0))  # crashed in a reshape
    with pytest.raises(DataFileError, match=r"mine-images-idx3-ubyte.gz/mine-labels-idx1-ubyte"
                                            r".gz: the MNIST pair holds no images"):
        load_mnist(download=False)
    (directory / "mine-labels-idx1-ubyte.gz").write_bytes(b"<html>not found</html>")
    with pytest.raises(DataFileError, match=r"cannot read IDX file .*mine-labels-idx1-ubyte.gz"):
        load_mnist(download=False)


def test_missing_mnist_offline_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_AD_DATA", str(tmp_path))
    with pytest.raises(DataFileError, match="train-images-idx3-ubyte.gz.*TFGAN_AD_DATA"):
        load_mnist(download=False)


def test_anogan_sample_is_stratified_seeded_and_inside_the_test_set():
    from tfgan_ad.runs.mnist import anogan_sample
    images, labels = load_mnist(download=False)
    split = egbad_split(images, labels, 4, seed=1)
    a = anogan_sample(split, 300, seed=1)
    assert len(np.unique(a)) == 300 and a.min() >= 0 and a.max() < len(split.y_test)
    assert abs(split.y_test[a].mean() - split.y_test.mean()) < 0.005
    np.testing.assert_array_equal(a, anogan_sample(split, 300, seed=1))
    assert not np.array_equal(a, anogan_sample(split, 300, seed=2))


def test_pixels_round_trip_through_unit_range():
    from tfgan_ad.data.mnist import to_pixels, to_unit_range
    images, _ = load_mnist(download=False)
    x = to_unit_range(images[:500])
    assert x.dtype == np.float32 and x.shape == (500, 28, 28, 1)
    assert x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_array_equal(to_pixels(x), images[:500])
