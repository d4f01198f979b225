"""Bad input to the zoo and to the raw-record parsers is refused by name (committed models,
registry copies corrupted under tmp_path)."""

import gzip
import json
import os
import shutil

import numpy as np
import pytest

from tfgan_ad import zoo
from tfgan_ad.data.kdd99 import CONTINUOUS_COLUMNS, KDDRecords, parse_rows, read_csv

LINE = ("0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,"
        "1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00")
SRC_BYTES = CONTINUOUS_COLUMNS.index("src_bytes")


def lines(n=5):
    """n distinct valid CSV lines (41 fields)."""
    return [LINE.replace(",181,", f",{181 + 10 * i},") for i in range(n)]


def records(text):
    return parse_rows([ln.split(",") for ln in text], with_label=False)


def with_src_bytes(line, value):
    fields = line.split(",")
    fields[4] = str(value)
    return ",".join(fields)


@pytest.fixture(scope="module")
def kdd_model():
    old = os.environ.pop("TFGAN_AD_ZOO", None)  # the committed zoo of this checkout
    try:
        yield zoo.load("bigan_kdd99")
    finally:
        if old is not None:
            os.environ["TFGAN_AD_ZOO"] = old


@pytest.fixture
def inputs():
    return records(lines()).as_inputs()


# --- A: dict records are checked before the graph sees them ------------------------------

@pytest.mark.parametrize("change, error, message", [
    (lambda d: dict(d, continuous=d["continuous"][:, :33]), ValueError,
     r"'continuous' must have shape \(N, 34\), got \(5, 33\)"),
    (lambda d: dict(d, categorical=d["categorical"][:, :6]), ValueError,
     r"'categorical' must have shape \(N, 7\), got \(5, 6\)"),
    (lambda d: dict(d, categorical=d["categorical"][:3]), ValueError,
     "'continuous' has 5 rows but 'categorical' has 3"),
    (lambda d: dict(d, continuous=d["continuous"][:3]), ValueError,
     "'continuous' has 3 rows but 'categorical' has 5"),
    (lambda d: {"continuous": d["continuous"][0], "categorical": d["categorical"][0]},
     ValueError, r"'continuous' must have shape \(N, 34\), got \(34,\)"),
    (lambda d: {"continuous": d["continuous"]}, ValueError,
     r"exactly the keys 'continuous' and 'categorical', got \['continuous'\]"),
    (lambda d: dict(d, extra=1), ValueError, r"exactly the keys.*'extra'"),
    (lambda d: dict(d, continuous=d["continuous"].astype(str)), TypeError,
     "'continuous' must hold numbers"),
    (lambda d: dict(d, categorical=np.zeros((5, 7), int)), TypeError,
     "'categorical' must hold strings"),
    (lambda d: dict(d, continuous=np.zeros((0, 34)), categorical=np.zeros((0, 7), str)),
     ValueError, "empty batch"),
])
def test_dict_records_are_checked_by_name(kdd_model, inputs, change, error, message):
    with pytest.raises(error, match=message):
        kdd_model.score(change(inputs))


def test_values_are_checked_naming_row_and_column(kdd_model, inputs):
    for value, problem in ((np.nan, "is NaN"), (np.inf, "is infinite"),
                           (1e40, "is infinite or beyond float32's range")):
        cont = inputs["continuous"].astype(np.float64)
        cont[2, CONTINUOUS_COLUMNS.index("wrong_fragment")] = value
        with pytest.raises(ValueError, match=f"row 2: column 'wrong_fragment' {problem}"):
            kdd_model.score(dict(inputs, continuous=cont))


def test_good_records_score_alike_in_every_form(kdd_model, inputs):
    want = kdd_model.score(records(lines()))
    np.testing.assert_allclose(kdd_model.score(inputs), want, rtol=1e-6)
    np.testing.assert_allclose(kdd_model.score(lines()), want, rtol=1e-6)
    labelled = [ln + ",normal." for ln in lines()]  # a 42nd label field is ignored
    np.testing.assert_allclose(kdd_model.score(labelled), want, rtol=1e-6)
    # the Python parser agrees with the exported graph's own (serving_default)
    served = kdd_model.signature()(records=np.array(labelled, dtype=object))["score"].numpy()
    np.testing.assert_allclose(served, want, rtol=1e-5)
    counts = np.floor(inputs["continuous"])  # integer counts may come as integers
    np.testing.assert_allclose(kdd_model.score(dict(inputs, continuous=counts.astype(np.int64))),
                               kdd_model.score(dict(inputs, continuous=counts)), rtol=1e-6)


def test_csv_line_errors_name_line_and_column(kdd_model):
    bad = lines(3)
    bad[1] = with_src_bytes(bad[1], "lots")
    with pytest.raises(ValueError, match="line 2: column 'src_bytes' is not a number: 'lots'"):
        kdd_model.score(bad)
    with pytest.raises(ValueError, match=r"line 1: expected 41 comma-separated fields \(or 42 with the label\), got 44"):
        kdd_model.score([LINE + ",1,2,3"])
    with pytest.raises(TypeError, match="raw KDD records must be .* CSV lines"):
        kdd_model.score(np.array([[LINE]]))
    with pytest.raises(TypeError, match="raw KDD records must be"):
        kdd_model.score(None)


# --- B: negative counts are refused, not clamped to 0 -------------------------------------

def test_negative_counts_are_refused_naming_column_and_row(kdd_model, inputs, tmp_path):
    cont = inputs["continuous"].copy()
    cont[1, SRC_BYTES] = -5000
    with pytest.raises(ValueError, match="row 1: column 'src_bytes' is negative"):
        kdd_model.score(dict(inputs, continuous=cont))
    with pytest.raises(ValueError, match="row 1: column 'src_bytes' is negative"):
        kdd_model.score(KDDRecords(cont.astype(np.float64), inputs["categorical"]))
    bad = lines(3)
    bad[2] = with_src_bytes(bad[2], -1e30)
    with pytest.raises(ValueError, match="line 3: column 'src_bytes' is negative"):
        kdd_model.score(bad)
    with pytest.raises(ValueError, match="line 8: column 'src_bytes' is negative"):
        parse_rows([ln.split(",") for ln in bad], first_line=6, with_label=False)
    path = tmp_path / "neg.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("\n".join(bad) + "\n")
    with pytest.raises(ValueError, match="line 3: column 'src_bytes' is negative"):
        read_csv(path)


def test_unreadable_csv_file_is_named(tmp_path):
    path = tmp_path / "cut.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines(200)) + "\n")
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="cannot read KDD records file .*cut.csv.gz"):
        read_csv(path)


# --- G: image models say what they take ---------------------------------------------------

@pytest.mark.parametrize("name", ["bigan_mnist_0", "adgan_mnist_0"])
def test_image_models_name_what_they_take(name, monkeypatch):
    monkeypatch.delenv("TFGAN_AD_ZOO", raising=False)
    model = zoo.load(name)
    takes = rf"{name} is an image model: it takes uint8 \[N, 28, 28\]"
    with pytest.raises(ValueError, match=takes + ".*got dtype <U"):
        model.score([LINE])
    with pytest.raises(ValueError, match=takes + ".*got str"):
        model.score(LINE)
    with pytest.raises(ValueError, match=takes + ".*got dict"):
        model.score(records(lines(2)).as_inputs())
    with pytest.raises(ValueError, match=takes + ".*got KDDRecords"):
        model.score(records(lines(2)))
    with pytest.raises(ValueError, match=r"\[-1, 1\].*got dtype uint8 with values in \[255, 255\]"):
        model.score(np.full((1, 28, 28, 1), 255, np.uint8))
    with pytest.raises(ValueError, match=r"rows of unequal shapes \(a ragged list\?\)"):
        model.score([np.zeros((28, 28), np.uint8), np.zeros((27, 28), np.uint8)])


# --- F, H: the registry and the artifacts -------------------------------------------------

@pytest.fixture
def zoo_copy(tmp_path, monkeypatch):
    """A zoo root in tmp_path holding a copy of bigan_kdd99; returns (root, registry path)."""
    monkeypatch.delenv("TFGAN_AD_ZOO", raising=False)
    root = zoo.root()
    reg = json.loads((root / "zoo" / "bigan_kdd99.json").read_text())
    (tmp_path / "zoo").mkdir()
    shutil.copytree(root / reg["path"], tmp_path / reg["path"])
    path = tmp_path / "zoo" / "bigan_kdd99.json"
    shutil.copy(root / "zoo" / "bigan_kdd99.json", path)
    monkeypatch.setenv("TFGAN_AD_ZOO", str(tmp_path))
    return tmp_path, path


def edit_registry(path, fn, rehash=False):
    entry = json.loads(path.read_text())
    fn(entry)
    if rehash:
        entry["files"] = zoo.file_hashes(path.parents[1] / entry["path"])
    path.write_text(json.dumps(entry))


def test_copy_loads(zoo_copy):
    assert zoo.load("bigan_kdd99").threshold > 0


def test_truncated_registry_is_named(zoo_copy):
    _, path = zoo_copy
    path.write_text(path.read_text()[:500])
    with pytest.raises(zoo.ZooError, match=r"registry file .*bigan_kdd99.json .*not valid JSON"):
        zoo.load("bigan_kdd99")


@pytest.mark.parametrize("key", ["files", "path", "card"])
def test_registry_without_a_key_is_named(zoo_copy, key):
    _, path = zoo_copy
    edit_registry(path, lambda e: e.pop(key))
    with pytest.raises(zoo.ZooError, match=f"bigan_kdd99.json lacks '{key}'"):
        zoo.load("bigan_kdd99")


def test_registry_path_must_stay_inside_the_root(zoo_copy):
    _, path = zoo_copy
    edit_registry(path, lambda e: e.update(path="../elsewhere/1"))
    with pytest.raises(zoo.ZooError, match="'path' must lie inside the zoo root"):
        zoo.load("bigan_kdd99")


@pytest.mark.parametrize("version, says", [
    (None, r"version must be an integer >= 0 .*got None"),
    ("../../x", r"version must be an integer >= 0 .*got '\.\./\.\./x'"),
    (True, r"version must be .*got True"),
    (2, r"version 2 is not the artifact directory 'saved_models/bigan_kdd99/1''s name"),
])
def test_registry_version_is_the_artifact_directory(zoo_copy, tmp_path, version, says):
    """'tfgan-ad export' makes DIR/<name>/<version>: a version that is not the artifact's
    own directory name (or a path) is refused before anything is copied."""
    from tfgan_ad import cli
    _, path = zoo_copy
    edit_registry(path, lambda e: e.update(version=version) if version is not None
                  else e.pop("version"))
    with pytest.raises(zoo.ZooError, match="bigan_kdd99.json: " + says):
        zoo.load("bigan_kdd99")
    assert cli.main(["export", "bigan_kdd99", str(tmp_path / "serving")]) == 2
    assert not (tmp_path / "serving").exists()


def test_registry_card_must_match_the_artifact_card(zoo_copy):
    _, path = zoo_copy
    edit_registry(path, lambda e: e["card"].update(threshold=0.001))
    with pytest.raises(zoo.ZooError, match=r"disagrees with the artifact's own .*model_card.json "
                                           r"on \['threshold'\]"):
        zoo.load("bigan_kdd99")


def test_card_threshold_must_be_the_model_threshold(zoo_copy):
    """Both cards edited alike and the registry re-hashed: the graph's threshold still tells."""
    root, path = zoo_copy
    card_file = root / "saved_models" / "bigan_kdd99" / "1" / "assets" / "model_card.json"
    card = json.loads(card_file.read_text())
    card["threshold"] = 0.001
    card_file.write_text(json.dumps(card))
    edit_registry(path, lambda e: e["card"].update(threshold=0.001), rehash=True)
    with pytest.raises(zoo.ZooError, match="card's threshold 0.001 is not the model's own 7.54"):
        zoo.load("bigan_kdd99")


def test_damaged_variables_with_matching_hashes_name_the_directory(zoo_copy):
    root, path = zoo_copy
    data = root / "saved_models" / "bigan_kdd99" / "1" / "variables"
    data = data / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    edit_registry(path, lambda e: None, rehash=True)
    with pytest.raises(zoo.ZooError, match=r"cannot load the SavedModel in .*bigan_kdd99/1"):
        zoo.load("bigan_kdd99")


@pytest.mark.parametrize("name", ["../zoo/bigan_kdd99", "bigan_kdd99/../bigan_kdd99",
                                  "/tmp/bigan_kdd99", ""])
def test_names_with_path_parts_are_refused(zoo_copy, name):
    with pytest.raises(zoo.ZooError, match="no path parts"):
        zoo.load(name)


def test_csv_lines_go_through_the_graph_and_a_bad_one_is_named_by_line(kdd_model):
    """CSV lines are parsed by the model's own graph (as the CLI and TF Serving do); a line
    it refuses is found by bisection and named by its line number (from 1)."""
    text = lines(300)
    want = kdd_model.signature()(records=np.array(text, dtype=object))["score"].numpy()
    np.testing.assert_array_equal(kdd_model.score(text), want)
    bad = list(text)
    bad[136] = bad[136].replace(",http,", ",gopher2,")
    with pytest.raises(ValueError, match=r"^line 137: unknown category value\(s\) in column "
                                         r"'service' .*: 'gopher2'$"):
        kdd_model.score(bad)


@pytest.mark.parametrize("number", ["1_81", "١٨١", "0x10", "-3"])
def test_numbers_the_graph_and_python_read_differently_are_refused(kdd_model, number):
    """Python's float() takes '1_81' and non-ASCII digits, the graph does not; the graph
    takes '0x10' and clamps '-3', Python does not: each path refuses all four."""
    from tfgan_ad.data.kdd99 import parse_lines
    line = with_src_bytes(LINE, number)
    with pytest.raises(ValueError, match=r"line 1: column 'src_bytes' is (not a number|negative)"):
        parse_lines([line])
    with pytest.raises(ValueError, match=r"line 2: column 'src_bytes' is (not a number|negative)"):
        kdd_model.score([LINE, line])


@pytest.mark.parametrize("field, column, says", [
    ("ht\rtp", "service", r"unknown category value\(s\) in column 'service' .*: 'ht\\rtp'$"),
    ("x" * 200_000, "service",
     r"unknown category value\(s\) in column 'service' .*: 'x{60}'\.\.\. \(200,000 characters\)$"),
    ("x" * 200_000, "src_bytes",
     r"column 'src_bytes' is not a number: 'x{60}'\.\.\. \(200,000 characters\)$"),
    ('"181"', "src_bytes", r"column 'src_bytes' is not a number: '\"181\"'$"),
    (" tcp", "protocol_type",
     r"unknown category value\(s\) in column 'protocol_type' \(known: icmp, tcp, udp\): ' tcp'$"),
], ids=["carriage_return", "long_category", "long_number", "quoted_number", "leading_space"])
def test_any_text_in_a_field_is_a_named_bad_line(kdd_model, field, column, says):
    """Python's csv module raised _csv.Error on a carriage return inside a field or one over
    131,072 characters, and unquoted '"181"' that the graph refuses; the graph's message
    lost a category's leading space. Now each is the named line's error, the value shown
    quoted and cut short, and the Python parser splits as the graph does."""
    from tfgan_ad.data.kdd99 import CATEGORICAL_COLUMNS, COLUMNS, parse_lines
    fields = LINE.split(",")
    fields[COLUMNS.index(column)] = field
    bad = ",".join(fields)
    with pytest.raises(ValueError, match="^line 2: " + says) as err:
        kdd_model.score([LINE, bad])
    assert len(str(err.value)) < 400
    if column == "src_bytes":  # the Python parser alone names numbers
        with pytest.raises(ValueError, match="^line 1: " + says):
            parse_lines([bad])
    else:  # categories are the graph's to judge: the Python parser splits the line
        assert parse_lines([bad]).categorical[0].tolist() == [
            fields[COLUMNS.index(c)] for c in CATEGORICAL_COLUMNS]


@pytest.mark.parametrize("space", ["\xa0", "\u2003", "\x1c"])
def test_only_the_graphs_whitespace_is_stripped_from_a_line(kdd_model, space):
    """The graph strips ASCII whitespace only; str.strip() also took a trailing no-break
    space, so the Python parser accepted a line the graph refused as an unknown number."""
    from tfgan_ad.data.kdd99 import parse_lines
    says = r"column 'dst_host_srv_rerror_rate' is not a number: '0\.00\\"
    with pytest.raises(ValueError, match="^line 1: " + says):
        parse_lines([LINE + space])
    with pytest.raises(ValueError, match="^line 2: " + says):
        kdd_model.score([LINE, LINE + space])
    np.testing.assert_array_equal(kdd_model.score([LINE + " \t\r\n"]), kdd_model.score([LINE]))


def test_a_committed_graph_s_nan_score_is_a_named_bad_row(kdd_model):
    """The committed graphs predate the in-graph check: features of 3e38 gave score NaN
    and is_anomaly 0 (normal). zoo refuses the row; call_by_halves keeps the others."""
    from tfgan_ad.errors import SCORE_NOT_FINITE
    x = np.zeros((5, 121), np.float32)
    x[[1, 3]] = 3e38
    for method in (kdd_model.score, kdd_model.predict):
        with pytest.raises(ValueError, match=rf"^row 1: {SCORE_NOT_FINITE} \((NaN|Inf)\)$"):
            method(x)
    done, refused = zoo.call_by_halves(kdd_model.signature("score_features"), {"features": x})
    assert [row for row, _ in refused] == [1, 3]
    assert [(start, len(out["score"])) for start, out in done] == [(0, 1), (2, 1), (4, 1)]
    want = kdd_model.score(x[[0, 2, 4]])
    np.testing.assert_array_equal(np.concatenate([out["score"] for _, out in done]), want)


def test_an_unknown_category_in_a_dict_is_quoted_from_the_record(kdd_model, inputs):
    """The graph's message collapses whitespace: ' tcp' in a dict was shown as tcp."""
    bad = dict(inputs, categorical=inputs["categorical"].astype(object))
    bad["categorical"][1, 0] = " tcp"
    with pytest.raises(ValueError, match=r"^row 1: unknown category value\(s\) in column "
                                         r"'protocol_type' \(known: icmp, tcp, udp\): ' tcp'$"):
        kdd_model.score(bad)


def test_bytes_that_are_not_utf8_name_their_line(kdd_model):
    """A bare UnicodeDecodeError named no line."""
    from tfgan_ad.data.kdd99 import parse_lines
    bad = [LINE.encode(), b"\xff" + LINE.encode()]
    with pytest.raises(ValueError, match=r"^line 2: not UTF-8 text \(byte 0xff at column 1\)$"):
        kdd_model.score(bad)
    with pytest.raises(ValueError, match=r"^line 2: not UTF-8 text \(byte 0xff at column 1\)$"):
        parse_lines(bad)


def test_the_finite_check_message_is_its_own_line_of_the_graph_error():
    """assert_all_finite's words are the text on the marker's line after the traceback's
    last '>' or newline, whatever precedes it (a 200,000-character line included)."""
    from tfgan_ad.errors import assertion_text
    trace = ('Graph execution error:\n\nDetected at node CheckNumerics defined at (most '
             'recent call last):\n  File "<stdin>", line 1, in <module>\n')
    found = ": Tensor had Inf values\n\t [[{{node CheckNumerics}}]]"
    assert assertion_text(trace + "'continuous' columns contain NaN " + found) == \
        "'continuous' columns contain NaN (Inf)"
    assert assertion_text(trace + "<x>  cut here " + found) == "cut here (Inf)"
    long = "y" * 200_000
    assert assertion_text(trace + long + " " + found) == long + " (Inf)"
    assert assertion_text(trace + long + " is nan") == " ".join((trace + long).split())[:600]


def test_tensors_and_bytes_are_records_too(kdd_model, inputs):
    """What tensor.numpy() gives back (bytes) and dicts of tensors score like str arrays;
    a non-string categorical value is named with its column."""
    import tensorflow as tf
    want = kdd_model.score(inputs)
    as_tensors = {k: tf.constant(v) for k, v in inputs.items()}
    np.testing.assert_array_equal(kdd_model.score(as_tensors), want)
    as_bytes = dict(inputs, categorical=np.char.encode(inputs["categorical"], "utf-8"))
    np.testing.assert_array_equal(kdd_model.score(as_bytes), want)
    text = lines(3)
    np.testing.assert_array_equal(kdd_model.score(tf.constant(text)), kdd_model.score(text))
    np.testing.assert_array_equal(kdd_model.score(tf.constant(text[0])),
                                  kdd_model.score(text[:1]))
    mixed = dict(inputs, categorical=inputs["categorical"].astype(object))
    mixed["categorical"][0, 3] = 0  # 'land' as an int, as pandas reads it
    with pytest.raises(TypeError, match=r"row 0: categorical column 'land' holds 0 \(int\)"):
        kdd_model.score(mixed)
