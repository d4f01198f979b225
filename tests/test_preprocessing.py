import numpy as np
import pytest
import tensorflow as tf

from tfgan_ad.data.kdd99 import CATEGORICAL_COLUMNS, CONTINUOUS_COLUMNS, VOCABULARY, parse_rows
from tfgan_ad.preprocessing import KDDPreprocessor

ROW = ("0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,"
       "1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.").split(",")


def one_hot_offset(column, value):
    """Hand-computed position of column=value in the 121-vector."""
    offset = len(CONTINUOUS_COLUMNS)
    for c in CATEGORICAL_COLUMNS:
        if c == column:
            return offset + VOCABULARY[c].index(value)
        offset += len(VOCABULARY[c])
    raise KeyError(column)


def test_hand_written_record_unscaled():
    rec = parse_rows([ROW])
    x = KDDPreprocessor("none")(rec.as_inputs()).numpy()
    assert x.shape == (1, 121)
    # continuous block in file order without the categoricals
    assert x[0, 0] == 0 and x[0, 1] == 181 and x[0, 2] == 5450
    assert x[0, CONTINUOUS_COLUMNS.index("count")] == 8
    assert x[0, CONTINUOUS_COLUMNS.index("dst_host_same_src_port_rate")] == pytest.approx(0.11)
    hot = {one_hot_offset("protocol_type", "tcp"), one_hot_offset("service", "http"),
           one_hot_offset("flag", "SF"), one_hot_offset("land", "0"),
           one_hot_offset("logged_in", "1"), one_hot_offset("is_host_login", "0"),
           one_hot_offset("is_guest_login", "0")}
    assert len(hot) == 7
    one_hot_part = x[0, 34:]
    assert np.sum(one_hot_part) == 7
    assert {34 + i for i in np.flatnonzero(one_hot_part)} == hot
    # manual check of the first offsets: icmp, tcp, udp come first
    assert one_hot_offset("protocol_type", "tcp") == 35
    assert one_hot_offset("service", "IRC") == 37


def records(rows):
    return parse_rows([r for r in rows])


def test_minmax_fit_on_training_and_not_clipped():
    a, b = list(ROW), list(ROW)
    b[4] = "1181"  # src_bytes 181 -> 1181
    pre = KDDPreprocessor("minmax").adapt(records([a, b]).as_inputs())
    x = pre(records([a, b]).as_inputs()).numpy()
    j = CONTINUOUS_COLUMNS.index("src_bytes")
    assert x[:, j].tolist() == [0.0, 1.0]
    c = list(ROW)
    c[4] = "2181"
    assert pre(records([c]).as_inputs()).numpy()[0, j] == pytest.approx(2.0)  # beyond range
    # constant column: range 1, so value - min = 0
    assert x[0, CONTINUOUS_COLUMNS.index("count")] == 0.0


def test_log_minmax():
    a, b = list(ROW), list(ROW)
    b[4] = "0"
    pre = KDDPreprocessor("log_minmax").adapt(records([a, b]).as_inputs())
    x = pre(records([a, b]).as_inputs()).numpy()
    j = CONTINUOUS_COLUMNS.index("src_bytes")
    assert x[:, j].tolist() == pytest.approx([1.0, 0.0])
    c = list(ROW)
    c[4] = "13"
    assert pre(records([c]).as_inputs()).numpy()[0, j] == pytest.approx(
        np.log1p(13) / np.log1p(181), rel=1e-5)


def test_unknown_category_error_names_column_and_value():
    bad = list(ROW)
    bad[2] = "gopher2"
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)service.*gopher2"):
        KDDPreprocessor("none")(records([bad]).as_inputs())


def test_unknown_category_ignore_gives_zero_block():
    bad = list(ROW)
    bad[2] = "gopher2"
    x = KDDPreprocessor("none", unknown_category="ignore")(records([bad, ROW]).as_inputs()).numpy()
    start = one_hot_offset("service", "IRC")
    block = slice(start, start + len(VOCABULARY["service"]))
    assert x[0, block].sum() == 0 and x[1, block].sum() == 1
    assert x[0, 34:].sum() == 6


def test_bad_inputs():
    pre = KDDPreprocessor("none")
    rec = records([ROW]).as_inputs()
    with pytest.raises(ValueError, match=r"shape \(N, 34\)"):
        pre({"continuous": rec["continuous"][:, :30], "categorical": rec["categorical"]})
    with pytest.raises(TypeError, match="string"):
        pre({"continuous": rec["continuous"], "categorical": np.zeros((1, 7), np.float32)})
    with pytest.raises(ValueError, match="keys"):
        pre(rec["continuous"])
    nan = dict(rec, continuous=rec["continuous"].copy())
    nan["continuous"][0, 3] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN"):
        pre(nan)
    with pytest.raises(ValueError, match="adapt"):
        KDDPreprocessor("minmax")(rec)
    with pytest.raises(ValueError, match="scaling"):
        KDDPreprocessor("zscore")


@pytest.mark.parametrize("scaling", ["none", "minmax", "log_minmax"])
def test_negative_counts_are_refused_in_the_graph_naming_the_column(scaling):
    """log_minmax used to take log1p(max(x, 0)): a negative byte count scored as 0."""
    rec = records([ROW, ROW]).as_inputs()
    pre = KDDPreprocessor(scaling).adapt(rec)
    bad = dict(rec, continuous=rec["continuous"].copy())
    bad["continuous"][1, CONTINUOUS_COLUMNS.index("src_bytes")] = -5000.0
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)negative value.*src_bytes"):
        pre(bad)
    assert np.all(np.isfinite(pre(rec).numpy()))


def test_config_round_trip():
    pre = KDDPreprocessor("log_minmax").adapt(records([ROW, ROW]).as_inputs())
    again = KDDPreprocessor.from_config(pre.get_config())
    rec = records([ROW]).as_inputs()
    np.testing.assert_array_equal(pre(rec).numpy(), again(rec).numpy())


def test_check_categories_takes_what_the_layer_takes():
    """Bytes (tensor.numpy()), tensors and object arrays were all called unknown."""
    pre = KDDPreprocessor()
    row = ["tcp", "http", "SF", "0", "1", "0", "0"]
    for form in (np.array([row]), tf.constant([row]), tf.constant([row]).numpy(),
                 np.array([[v.encode() for v in row]], dtype=object), [row]):
        pre.check_categories(form)
    with pytest.raises(ValueError, match=r"^row 0: unknown category value\(s\) in column "
                                         r"'service' .*: 'htp'$"):
        pre.check_categories(tf.constant([["tcp", "htp", "SF", "0", "1", "0", "0"]]))
