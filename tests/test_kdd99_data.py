import gzip

import numpy as np
import pytest

from tfgan_ad.data import datadir
from tfgan_ad.data.kdd99 import (ANOMALY_LABEL, CATEGORICAL_COLUMNS, N_FEATURES, VOCABULARY,
                                 paper_split, parse_rows, read_csv)


def test_file_counts_and_vocabulary(kdd_records):
    assert len(kdd_records) == 494_021
    assert N_FEATURES == 121
    for j, col in enumerate(CATEGORICAL_COLUMNS):
        assert tuple(sorted(set(kdd_records.categorical[:, j]))) == VOCABULARY[col]


def test_paper_split_protocol(kdd_records):
    split = paper_split(kdd_records, seed=3)
    assert ANOMALY_LABEL not in set(split.train.labels)
    y = split.y_test
    assert abs(y.mean() - 0.2) < 0.01
    # 50/50 split: train + test (before capping anomalies) come from disjoint halves
    n_half = len(kdd_records) // 2
    n_normal_half = np.sum(split.test.labels != ANOMALY_LABEL)
    assert len(split.train) + n_normal_half == np.sum(kdd_records.labels != ANOMALY_LABEL)
    assert len(split.test) <= len(kdd_records) - n_half
    # seeded: same seed, same split; other seed, other split
    again = paper_split(kdd_records, seed=3)
    np.testing.assert_array_equal(again.test.continuous, split.test.continuous)
    other = paper_split(kdd_records, seed=4)
    assert not np.array_equal(other.test.continuous[:100], split.test.continuous[:100])


def test_validation_comes_from_training_half_only(kdd_records):
    plain = paper_split(kdd_records, seed=0)
    split = paper_split(kdd_records, seed=0, validation_fraction=0.1)
    np.testing.assert_array_equal(plain.test.continuous, split.test.continuous)
    assert len(split.train) == len(plain.train) - int(len(plain.train) * 0.1)
    assert abs(split.validation.is_anomaly.mean() - 0.2) < 0.01


def test_missing_file_names_file_directory_and_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_AD_DATA", str(tmp_path))
    remote = datadir.RemoteFile("kddcup99/x.gz", "http://127.0.0.1:9/x.gz", "0" * 64)
    with pytest.raises(datadir.DataFileError) as err:
        datadir.fetch(remote, download=False)
    msg = str(err.value)
    assert "x.gz" in msg and str(tmp_path) in msg and "TFGAN_AD_DATA" in msg


def test_corrupt_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_AD_DATA", str(tmp_path))
    (tmp_path / "kddcup99").mkdir()
    (tmp_path / "kddcup99" / "x.gz").write_bytes(b"not the data")
    remote = datadir.RemoteFile("kddcup99/x.gz", "http://127.0.0.1:9/x.gz", "0" * 64)
    with pytest.raises(datadir.DataFileError, match="SHA-256"):
        datadir.fetch(remote, download=False)


def test_offline_download_failure_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_AD_DATA", str(tmp_path))
    remote = datadir.RemoteFile("kddcup99/x.gz", "http://127.0.0.1:9/x.gz", "0" * 64)
    with pytest.raises(datadir.DataFileError, match="download failed"):
        datadir.fetch(remote, download=True)
    assert not list(tmp_path.rglob("*.part"))  # no half-written file left behind
    assert not (tmp_path / "kddcup99").exists()  # nor the directory made for it


ROW = ("0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,"
       "1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.")


def test_parse_rows_and_read_csv(tmp_path):
    rec = parse_rows([ROW.split(",")])
    assert rec.continuous.shape == (1, 34) and rec.categorical.shape == (1, 7)
    assert rec.continuous[0, 1] == 181 and rec.continuous[0, 2] == 5450
    assert list(rec.categorical[0]) == ["tcp", "http", "SF", "0", "1", "0", "0"]
    assert rec.is_anomaly.tolist() == [1]
    path = tmp_path / "r.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write(ROW + "\n" + ROW.replace("normal.", "smurf.") + "\n")
    both = read_csv(path)
    assert both.is_anomaly.tolist() == [1, 0]


def test_parse_errors_name_line_and_column():
    bad = ROW.split(",")
    bad[4] = "lots"
    with pytest.raises(ValueError, match=r"line 7: column 'src_bytes' is not a number"):
        parse_rows([ROW.split(",")] * 5 + [bad], first_line=2)
    with pytest.raises(ValueError, match="line 1: expected 42"):
        parse_rows([ROW.split(",")[:30]])
    nan = ROW.split(",")
    nan[0] = "nan"
    with pytest.raises(ValueError, match="NaN"):
        parse_rows([nan])
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_csv("/nonexistent/nope.csv")


def test_paper_split_refuses_what_it_cannot_split(kdd_records):
    few = kdd_records.take(np.arange(2000))
    for bad in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match="anomaly_ratio must be in"):
            paper_split(few, 0, anomaly_ratio=bad)
    for bad in (1.0, -0.5):
        with pytest.raises(ValueError, match="validation_fraction must be in"):
            paper_split(few, 0, validation_fraction=bad)
    undotted = type(few)(few.continuous, few.categorical,
                         np.char.rstrip(few.labels.astype(str), "."))
    with pytest.raises(ValueError, match=r"needs both 'normal\.' rows .*published labels end "
                                         r"with a dot"):
        paper_split(undotted, 0)


@pytest.mark.parametrize("damage", ["cut", "flip", "empty", "short"])
def test_a_damaged_kdd_cache_is_rebuilt_from_the_verified_file(tmp_path, monkeypatch, damage):
    """The parsed-array cache is an optimisation: a cut, garbled or foreign one used to
    crash every later load (or return its few rows); it is rebuilt from the file."""
    from tfgan_ad.data import kdd99
    lines = [ROW] * 30 + [ROW.replace("normal.", "smurf.")] * 20
    src = tmp_path / "data" / "kddcup99" / "small.gz"
    src.parent.mkdir(parents=True)
    src.write_bytes(gzip.compress("\n".join(lines).encode()))
    monkeypatch.setenv("TFGAN_AD_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TFGAN_AD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(kdd99, "KDD99_FILE", datadir.RemoteFile(
        "kddcup99/small.gz", "http://127.0.0.1:9/small.gz", datadir.sha256_of(src)))
    monkeypatch.setattr(kdd99, "KDD99_ROWS", 50)
    first = kdd99.load_kdd99(download=False)
    (cache,) = (tmp_path / "cache").glob("kdd99_*.npz")
    data = cache.read_bytes()
    if damage == "cut":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        cache.write_bytes(data[:300] + bytes([data[300] ^ 1]) + data[301:])
    elif damage == "empty":
        cache.write_bytes(b"")
    else:  # a valid cache of other (fewer) rows
        np.savez(cache, continuous=first.continuous[:3], categorical=first.categorical[:3],
                 labels=first.labels[:3])
    again = kdd99.load_kdd99(download=False)
    assert len(again) == 50
    np.testing.assert_array_equal(again.continuous, first.continuous)
    assert len(kdd99.load_kdd99(download=False)) == 50  # and the rebuilt cache reads


def test_a_downloaded_file_gets_the_usual_permissions(tmp_path, monkeypatch):
    """mkstemp makes 0600 files: a shared data directory was unreadable to others."""
    import os
    source = tmp_path / "published.gz"
    source.write_bytes(gzip.compress(b"some data"))
    monkeypatch.setenv("TFGAN_AD_DATA", str(tmp_path / "data"))
    remote = datadir.RemoteFile("kddcup99/x.gz", source.as_uri(), datadir.sha256_of(source))
    old = os.umask(0o022)
    try:
        path = datadir.fetch(remote, download=True)
    finally:
        os.umask(old)
    assert path.read_bytes() == source.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o644


def test_read_csv_skips_a_leading_bom_as_the_cli_does(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff".encode() + (ROW + "\n" + ROW + "\n").encode())
    assert len(read_csv(path)) == 2


def test_read_csv_takes_the_lines_the_cli_and_the_graph_take(tmp_path):
    """csv.reader took '"181"' (refused by parse_lines, zoo.score and the graph) and
    refused the blank lines the CLI skips; now read_csv splits as they do, skips blank
    lines and a byte-order mark, and names the file's own line numbers."""
    path = tmp_path / "mixed.csv"  # gzip told by content, not by name
    path.write_bytes(gzip.compress(("\ufeff" + ROW + "\r\n\n  \n" + ROW + "\n\n").encode()))
    assert len(read_csv(path)) == 2
    quoted = ROW.replace(",181,", ',"181",')
    path.write_text(ROW + "\n\n" + quoted + "\n")
    with pytest.raises(ValueError, match=r"mixed.csv line 3: column 'src_bytes' is not a "
                                         r"number: '\"181\"'$"):
        read_csv(path)
    path.write_bytes((ROW + "\n\n").encode() + b"\xff" + ROW.encode())
    with pytest.raises(ValueError, match=r"mixed.csv line 3: not UTF-8 text \(byte 0xff"):
        read_csv(path)
