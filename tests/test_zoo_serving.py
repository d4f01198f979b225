"""Export, zoo integrity, separate-process parity and the command line, on a small model."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfgan_ad import zoo
from tfgan_ad.data.kdd99 import paper_split
from tfgan_ad.detector import BiGANDetector
from tfgan_ad.preprocessing import KDDPreprocessor
from tfgan_ad.training.trainer import TrainConfig
from serving_helpers import plain_tf_serving_default

GZ = Path(os.environ["TFGAN_AD_DATA"]) / "kddcup99" / "kddcup.data_10_percent.gz"


def csv_lines(records, n):
    """Raw CSV lines (41 fields) of the first n records, rebuilt in file order."""
    from tfgan_ad.data.kdd99 import CATEGORICAL_COLUMNS, COLUMNS, CONTINUOUS_COLUMNS
    out = []
    for i in range(n):
        vals = dict(zip(CONTINUOUS_COLUMNS, records.continuous[i]))
        vals.update(zip(CATEGORICAL_COLUMNS, records.categorical[i]))
        out.append(",".join(f"{vals[c]:g}" if isinstance(vals[c], float) else str(vals[c])
                            for c in COLUMNS))
    return out


@pytest.fixture(scope="module")
def small_zoo(tmp_path_factory, kdd_records):
    root = tmp_path_factory.mktemp("zoo_root")
    old = os.environ.get("TFGAN_AD_ZOO")
    os.environ["TFGAN_AD_ZOO"] = str(root)
    split = paper_split(kdd_records, 0)
    rng = np.random.default_rng(0)
    train = split.train.take(rng.choice(len(split.train), 3000, replace=False))
    det = BiGANDetector(KDDPreprocessor("log_minmax"),
                        train=TrainConfig(epochs=1, progress=False), contamination=0.05)
    det.fit(train)
    zoo.publish(det, "tiny_kdd", 1, {"summary": "test model", "n_features": 121})
    test = split.test.take(np.arange(500))
    yield root, det, test
    if old is None:
        os.environ.pop("TFGAN_AD_ZOO", None)
    else:
        os.environ["TFGAN_AD_ZOO"] = old


def test_load_scores_like_detector(small_zoo):
    root, det, test = small_zoo
    assert zoo.list() == ["tiny_kdd"]
    model = zoo.load("tiny_kdd")
    expect = det.score_samples(test)
    np.testing.assert_allclose(model.score(test), expect, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.score(csv_lines(test, 50)), expect[:50], rtol=1e-4)
    np.testing.assert_allclose(model.score(det.features(test)), expect, rtol=1e-5, atol=1e-5)
    assert model.threshold == pytest.approx(det.threshold_)
    np.testing.assert_array_equal(model.predict(test), det.predict(test))
    assert model.metadata["summary"] == "test model"


def test_bad_input_through_the_zoo(small_zoo):
    model = zoo.load("tiny_kdd")
    line = csv_lines(small_zoo[2], 1)[0]
    with pytest.raises(ValueError, match="41 comma-separated fields"):
        model.score([line + ",1,2"])
    with pytest.raises(ValueError, match=r"(?s)unknown category.*no_such_service"):
        model.score([line.replace(",http,", ",no_such_service,").replace(",private,",
                                                                         ",no_such_service,")
                     .replace(",ecr_i,", ",no_such_service,")])
    with pytest.raises(ValueError, match=r"shape \(N, 121\)"):
        model.score(np.zeros((2, 120), np.float32))
    with pytest.raises(ValueError, match="empty"):
        model.score([])


def test_unknown_name_lists_available(small_zoo):
    with pytest.raises(zoo.ZooError, match="unknown zoo model 'nope'; available: tiny_kdd"):
        zoo.load("nope")


def test_altered_byte_is_refused_naming_the_file(small_zoo, tmp_path):
    root = small_zoo[0]
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    os.environ["TFGAN_AD_ZOO"] = str(copy)
    try:
        var = next((copy / "saved_models" / "tiny_kdd" / "1" / "variables").glob("*.data-*"))
        data = bytearray(var.read_bytes())
        data[len(data) // 2] ^= 0x01
        var.write_bytes(bytes(data))
        with pytest.raises(zoo.ZooError, match=var.name + ".*corrupt or altered"):
            zoo.load("tiny_kdd")
    finally:
        os.environ["TFGAN_AD_ZOO"] = str(root)


def test_export_never_overwrites(small_zoo):
    root, det, _ = small_zoo
    entry = (root / "zoo" / "tiny_kdd.json").read_bytes()
    with pytest.raises(FileExistsError, match=r"already lists 'tiny_kdd' \(version 1\); "
                                              r"publish under another name, or pass replace"):
        zoo.publish(det, "tiny_kdd", 2, {})
    with pytest.raises(FileExistsError, match="never overwritten"):
        zoo.publish(det, "tiny_kdd", 1, {}, replace=True)
    assert (root / "zoo" / "tiny_kdd.json").read_bytes() == entry
    assert sorted(p.name for p in (root / "saved_models" / "tiny_kdd").iterdir()) == ["1"]


def test_check_publishable_refuses_what_publish_would_before_any_fit(small_zoo):
    """The build scripts call it before training: a listed name without replace, an existing
    version, a name with path parts."""
    zoo.check_publishable("tiny_new", 1)  # nothing there: passes
    with pytest.raises(FileExistsError, match="already lists 'tiny_kdd'"):
        zoo.check_publishable("tiny_kdd", 2)
    with pytest.raises(FileExistsError, match="never overwritten"):
        zoo.check_publishable("tiny_kdd", 1, replace=True)
    zoo.check_publishable("tiny_kdd", 2, replace=True)
    with pytest.raises(zoo.ZooError, match="no path parts"):
        zoo.check_publishable("../tiny", 1)
    for version in (-1, True, 1.5, "1"):
        with pytest.raises(ValueError, match=r"version must be an integer >= 0"):
            zoo.check_publishable("tiny_new", version)


def test_publish_fills_in_the_threshold_and_checks_the_card_before_writing(small_zoo):
    root, det, _ = small_zoo
    assert zoo.load("tiny_kdd").metadata["threshold"] == pytest.approx(det.threshold_)
    with pytest.raises(ValueError, match=r"card's threshold 1.0 is not the detector's"):
        zoo.publish(det, "tiny_bad", 1, {"threshold": 1.0})
    with pytest.raises(TypeError, match="metadata must be JSON data"):
        zoo.publish(det, "tiny_bad", 1, {"auc": np.float32(0.5)})
    from tfgan_ad.export import export_saved_model
    for card in ([1, 2], None, "card"):  # written before, then refused by zoo.load
        with pytest.raises(TypeError, match=r"^metadata must be a dict \(the model card\), "):
            export_saved_model(det, root / "saved_models" / "tiny_bad", 1, card)
    # NaN is not JSON, and a card holding one would never match itself on load
    with pytest.raises(TypeError, match="finite numbers"):
        zoo.publish(det, "tiny_bad", 1, {"auc": float("nan")})
    assert not (root / "saved_models" / "tiny_bad").exists()
    assert not (root / "zoo" / "tiny_bad.json").exists()


def test_new_exports_refuse_hexadecimal_numbers_in_the_graph(small_zoo, tmp_path):
    """tf.strings.to_number reads 0x10 as 16; the exported graph refuses such lines."""
    import tensorflow as tf
    from tfgan_ad.export import export_saved_model
    _, det, test = small_zoo
    line = csv_lines(test, 1)[0]
    fields = line.split(",")
    fields[4] = "0x10"  # src_bytes
    served = tf.saved_model.load(str(export_saved_model(det, tmp_path, 1, {})))
    call = served.signatures["serving_default"]
    assert call(records=tf.constant([line]))["score"].shape == (1,)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"(?s)hexadecimal numbers are not KDD99 values.*\b1\b"):
        call(records=tf.constant([line, ",".join(fields)]))
    fields[0] += "\n"  # a newline inside the line must not hide the hex field after it
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"(?s)hexadecimal numbers are not KDD99 values.*\b1\b"):
        call(records=tf.constant([line, ",".join(fields)]))


@pytest.mark.parametrize("version", [1.7, -1, "2", True, None])
def test_export_refuses_a_version_that_is_not_a_whole_number(small_zoo, tmp_path, version):
    """A float, negative, string or bool version is refused by name, not coerced
    (1.7 used to become 1 and then clash with version 1)."""
    from tfgan_ad.export import export_saved_model
    _, det, _ = small_zoo
    with pytest.raises(ValueError, match=r"version must be an integer >= 0.*got"):
        export_saved_model(det, tmp_path, version, {})
    assert not any(tmp_path.iterdir())


def test_plain_tensorflow_in_separate_process_matches(small_zoo, tmp_path):
    _, _, test = small_zoo
    model = zoo.load("tiny_kdd")
    lines = csv_lines(test, 40)
    out = plain_tf_serving_default(model.directory, lines, tmp_path)
    assert out["imported_tfgan_ad"] is False
    np.testing.assert_allclose(out["score"], model.score(lines), rtol=1e-5, atol=1e-5)
    assert out["is_anomaly"] == model.predict(lines).tolist()


def test_saved_model_cli_show_and_run(small_zoo, tmp_path):
    cli = shutil.which("saved_model_cli")
    assert cli, "saved_model_cli comes with tensorflow"
    model = zoo.load("tiny_kdd")
    show = subprocess.run([cli, "show", "--dir", str(model.directory), "--all"],
                          capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr[-2000:]
    for sig in ("serving_default", "score_features", "score_records"):
        assert f"signature_def['{sig}']" in show.stdout
    x = model.metadata and small_zoo[1].features(small_zoo[2])[:7]
    np.save(tmp_path / "x.npy", x)
    run = subprocess.run([cli, "run", "--dir", str(model.directory), "--tag_set", "serve",
                          "--signature_def", "score_features", "--inputs",
                          f"features={tmp_path / 'x.npy'}", "--outdir", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got = np.load(tmp_path / "out" / "score.npy")
    np.testing.assert_allclose(got, model.score(x), rtol=1e-5, atol=1e-5)


def test_cli_score_reports_bad_lines(small_zoo, tmp_path):
    _, _, test = small_zoo
    lines = csv_lines(test, 30)
    lines[4] = lines[4].replace(",tcp,", ",tcpx,").replace(",icmp,", ",tcpx,").replace(
        ",udp,", ",tcpx,")
    lines[9] = "1,2,3"
    src = tmp_path / "in.csv"
    src.write_text("\n".join(lines) + "\n")
    res = subprocess.run([sys.executable, "-m", "tfgan_ad.cli", "score", "tiny_kdd", str(src),
                          "-o", str(tmp_path / "out.csv"), "--batch-size", "8"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 1  # bad rows were reported
    assert "line 5:" in res.stderr and "tcpx" in res.stderr
    assert "line 10:" in res.stderr and "fields" in res.stderr
    rows = (tmp_path / "out.csv").read_text().strip().splitlines()
    assert rows[0] == "line,score,is_anomaly" and len(rows) == 1 + 28
    model = zoo.load("tiny_kdd")
    good = [ln for i, ln in enumerate(lines) if i not in (4, 9)]
    got = np.array([float(r.split(",")[1]) for r in rows[1:]])
    np.testing.assert_allclose(got, model.score(good), rtol=1e-5)


def test_cli_list_info_export(small_zoo, tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "tfgan_ad.cli", *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=300)
    assert "tiny_kdd" in run("list").stdout
    assert json.loads(run("info", "tiny_kdd").stdout)["version"] == 1
    res = run("export", "tiny_kdd", str(tmp_path / "serving"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "serving" / "tiny_kdd" / "1" / "saved_model.pb").exists()
    assert 'name: "tiny_kdd"' in (tmp_path / "serving" / "models.config").read_text()
    again = run("export", "tiny_kdd", str(tmp_path / "serving"))
    assert again.returncode != 0 and "not overwritten" in again.stderr
    missing = run("score", "tiny_kdd", str(tmp_path / "nope.csv"))
    assert missing.returncode != 0 and "not found" in missing.stderr
    unknown = run("score", "nope", str(GZ))
    assert unknown.returncode == 2 and "available: tiny_kdd" in unknown.stderr


def test_a_user_image_model_is_served_by_what_its_graph_takes(tmp_path, monkeypatch):
    """What a zoo model takes comes from its signatures, not from card keys a user's
    card may lack (an image model published without 'image_shape' took (N, 121));
    the exported graph refuses images outside [-1, 1] as the Python check does."""
    import tensorflow as tf
    from tfgan_ad.training.bigan import BiGANConfig
    monkeypatch.setenv("TFGAN_AD_ZOO", str(tmp_path))
    pixels = np.random.default_rng(0).integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    images = (pixels / 127.5 - 1.0)[..., None].astype(np.float32)
    det = BiGANDetector(model=BiGANConfig(architecture="mnist"),
                        train=TrainConfig(epochs=1, batch_size=20, progress=False))
    det.fit(images)
    zoo.publish(det, "my_mnist", 1, {"summary": "no image_shape here"})
    model = zoo.load("my_mnist")
    expect = det.score_samples(images)
    np.testing.assert_allclose(model.score(pixels), expect, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(model.score(images), expect, rtol=1e-4, atol=1e-4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be floats in \[-1, 1\]"):
        model.signature("score_features")(features=tf.constant(images * 255.0))
