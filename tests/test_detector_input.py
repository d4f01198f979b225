"""Bad input to Detector.fit / scoring is refused by name, the same way in fit as in scoring."""

import numpy as np
import pytest

from tfgan_ad.data.kdd99 import CONTINUOUS_COLUMNS, parse_rows
from tfgan_ad.detector import ADGANDetector, BiGANDetector
from tfgan_ad.preprocessing import KDDPreprocessor
from tfgan_ad.training.bigan import BiGANConfig
from tfgan_ad.training.trainer import TrainConfig

LINE = ("0,tcp,{service},SF,{src_bytes},5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,"
        "0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00")
SRC_BYTES = CONTINUOUS_COLUMNS.index("src_bytes")


def lines(n):
    rng = np.random.default_rng(0)
    return [LINE.format(service=rng.choice(["http", "smtp", "private"]),
                        src_bytes=int(rng.integers(0, 5000))) for i in range(n)]


def records(text):
    return parse_rows([ln.split(",") for ln in text], with_label=False)


def kdd_detector():
    return BiGANDetector(KDDPreprocessor("log_minmax"),
                         train=TrainConfig(epochs=1, batch_size=50, progress=False))


@pytest.fixture(scope="module")
def fitted():
    return kdd_detector().fit(records(lines(100)))


def with_value(records, row, column, value):
    inputs = records.as_inputs()
    cont = inputs["continuous"].astype(np.float64)
    cont[row, column] = value
    return dict(inputs, continuous=cont)


# --- B, E: fit refuses what scoring refuses, with the same ValueError -----------------------

@pytest.mark.parametrize("value, problem", [(-100, "is negative"), (np.nan, "is NaN")])
def test_bad_values_are_refused_alike_in_fit_and_scoring(fitted, value, problem):
    bad = with_value(records(lines(100)), 5, SRC_BYTES, value)
    message = f"row 5: column 'src_bytes' {problem}"
    with pytest.raises(ValueError, match=message) as in_fit:
        kdd_detector().fit(bad)
    with pytest.raises(ValueError, match=message) as in_scoring:
        fitted.decision_function(bad)
    assert str(in_fit.value) == str(in_scoring.value)


@pytest.mark.parametrize("value", ["nosuchproto", " tcp"])
def test_unknown_category_in_fit_is_the_scoring_valueerror(fitted, value):
    """Named by row and quoted (the graph's message read ' tcp' as tcp, and named no row),
    and refused before a fit touches anything: the fitted detector keeps its fit."""
    bad = lines(100)
    bad[7] = bad[7].replace(",tcp,", f",{value},")
    says = (rf"^row 7: unknown category value\(s\) in column 'protocol_type' \(known: icmp, "
            rf"tcp, udp\): '{value}'$")
    with pytest.raises(ValueError, match=says) as in_fit:
        kdd_detector().fit(bad)
    with pytest.raises(ValueError) as in_scoring:
        fitted.decision_function(bad)
    assert str(in_fit.value) == str(in_scoring.value)
    before = fitted.decision_function(lines(3))
    with pytest.raises(ValueError, match=says):
        fitted.fit(bad)
    np.testing.assert_array_equal(fitted.decision_function(lines(3)), before)


# --- A, D: input forms ----------------------------------------------------------------------

def test_csv_lines_are_raw_records(fitted):
    text = lines(4)
    np.testing.assert_allclose(fitted.decision_function(text),
                               fitted.decision_function(records(text)), rtol=1e-6)
    labelled = [ln + ",smurf." for ln in text]
    np.testing.assert_allclose(fitted.decision_function(labelled),
                               fitted.decision_function(text), rtol=1e-6)


@pytest.mark.parametrize("x, message", [
    (np.random.default_rng(0).random((200, 121)).astype(np.float32),
     r"raw KDD records must be KDDRecords, a dict .* or CSV lines .*got ndarray of dtype "
     r"float32, shape \(200, 121\)"),
    ([[1.0] * 41] * 60, r"raw KDD records must be .*shape \(60, 41\)"),
    (None, "raw KDD records must be"),
])
def test_other_input_forms_name_the_accepted_ones(fitted, x, message):
    with pytest.raises(TypeError, match=message):
        kdd_detector().fit(x)
    with pytest.raises(TypeError, match=message):
        fitted.decision_function(x)


def test_dict_shapes_are_checked_before_the_graph(fitted):
    inputs = records(lines(5)).as_inputs()
    with pytest.raises(ValueError, match="'continuous' has 5 rows but 'categorical' has 3"):
        fitted.decision_function(dict(inputs, categorical=inputs["categorical"][:3]))
    with pytest.raises(ValueError, match=r"'categorical' must have shape \(N, 7\)"):
        fitted.decision_function(dict(inputs, categorical=inputs["categorical"][:, :6]))
    with pytest.raises(ValueError, match="exactly the keys"):
        fitted.decision_function(dict(inputs, labels=np.zeros(5)))


# --- C: images must be in [-1, 1] -----------------------------------------------------------

PIXELS = np.random.default_rng(1).integers(0, 256, size=(40, 28, 28, 1), dtype=np.uint8)


@pytest.mark.parametrize("make", [
    lambda: BiGANDetector(model=BiGANConfig(architecture="mnist"),
                          train=TrainConfig(epochs=1, batch_size=20, progress=False)),
    lambda: ADGANDetector(train=TrainConfig(epochs=1, batch_size=20, progress=False)),
])
@pytest.mark.parametrize("images, dtype", [(PIXELS, "uint8"),
                                           (PIXELS.astype(np.float32), "float32"),
                                           (PIXELS / 127.5 - 0.5, "float64")])
def test_images_outside_unit_range_are_refused(make, images, dtype):
    message = (r"images must be floats in \[-1, 1\] .*"
               rf"to_unit_range\), got dtype {dtype} with values in \[")
    with pytest.raises(ValueError, match=message):
        make().fit(images)
    det = make()
    det.gan = object()  # only the input path matters: it refuses before any network runs
    with pytest.raises(ValueError, match=message):
        det.decision_function(images)


def test_images_in_unit_range_pass_the_check():
    from tfgan_ad.data.features import check_features
    unit = PIXELS / 127.5 - 1.0
    assert unit.min() == -1.0 and unit.max() == 1.0
    assert check_features(unit, (28, 28, 1)).dtype == np.float32
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28, 1\).*got shape \(40, 28, 28\)"):
        check_features(PIXELS[..., 0], (28, 28, 1))


def test_images_scaled_to_0_1_are_warned_about_not_refused():
    """[0, 1] images fit inside [-1, 1]; a batch with no pixel below 0 is named in a warning."""
    import warnings
    from tfgan_ad.data.features import check_features
    with pytest.warns(UserWarning, match=r"no pixel of these 40 image\(s\) is below 0.*2 \* x - 1"):
        out = check_features(PIXELS / 255.0, (28, 28, 1))
    assert out.shape == (40, 28, 28, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # [-1, 1] images: no warning
        check_features(PIXELS / 127.5 - 1.0, (28, 28, 1))
        check_features(np.ones((3, 6)), (6,))  # feature rows are not images


def test_the_0_1_warning_comes_once_per_fit_and_names_the_callers_line():
    """fit checks its images once (not again inside), and the warning points at this file,
    not at the library's own call."""
    import warnings
    det = BiGANDetector(model=BiGANConfig(architecture="mnist"),
                        train=TrainConfig(epochs=1, batch_size=20, progress=False))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        det.fit(PIXELS / 255.0)
    ours = [w for w in caught if "is below 0" in str(w.message)]
    assert len(ours) == 1 and ours[0].filename == __file__


def test_ragged_image_lists_are_named():
    from tfgan_ad.data.features import check_features
    ragged = [np.zeros((28, 28, 1)), np.zeros((27, 28, 1))]
    with pytest.raises(ValueError, match=r"rows of unequal shapes \(a ragged list\?\)"):
        check_features(ragged, (28, 28, 1))


# --- a score that overflows is refused, not called normal -----------------------------------

def test_a_score_that_overflows_is_refused_by_the_detector_and_its_export(tmp_path):
    """src_bytes 3e38 is finite and >= 0, so it passes the record checks; unscaled (as the
    official code ran KDD99) it overflows the networks to an infinite or NaN score (a NaN
    one, NaN >= threshold being False, was predicted normal). Now the detector and the
    exported graph refuse the row, naming it."""
    import tensorflow as tf

    from tfgan_ad.errors import SCORE_NOT_FINITE
    from tfgan_ad.export import export_saved_model
    det = BiGANDetector(KDDPreprocessor("none"),
                        train=TrainConfig(epochs=1, batch_size=50, progress=False))
    det.fit(records(lines(100)))
    bad = with_value(records(lines(4)), 2, SRC_BYTES, 3e38)
    for method in (det.decision_function, det.predict):
        with pytest.raises(ValueError, match=rf"^row 2: {SCORE_NOT_FINITE} \((NaN|Inf)\)$"):
            method(bad)
    good = with_value(records(lines(4)), 2, SRC_BYTES, 1e6)
    assert np.isfinite(det.decision_function(good)).all()
    served = tf.saved_model.load(str(export_saved_model(det, tmp_path, 1, {})))
    call = served.signatures["score_records"]
    out = call(continuous=tf.constant(good["continuous"], tf.float32),
               categorical=tf.constant(good["categorical"]))
    np.testing.assert_allclose(out["score"].numpy(), det.decision_function(good), rtol=1e-5)
    with pytest.raises(tf.errors.InvalidArgumentError, match=SCORE_NOT_FINITE):
        call(continuous=tf.constant(bad["continuous"], tf.float32),
             categorical=tf.constant(bad["categorical"]))


def test_the_range_error_shows_values_just_outside_it():
    """-1.0000001 (float32) was reported as 'values in [-1, -1]', which reads as in range."""
    from tfgan_ad.data.features import IMAGE_SHAPE, check_features
    x = np.zeros((1, *IMAGE_SHAPE), np.float32)
    x[0, 0, 0, 0] = np.float32(-1.0000001)
    with pytest.raises(ValueError, match=r"values in \[-1\.00000012, 0\]$"):
        check_features(x, IMAGE_SHAPE)


def test_configs_name_an_unknown_architecture_and_a_width_mismatch():
    """architecture='MNIST' built the KDD nets and failed on '(N, 121)' features; a KDD
    model of 120 features failed only after the preprocessing was fitted, in a traced
    Keras error."""
    from tfgan_ad.training.wgan_gp import WGANGPConfig
    with pytest.raises(ValueError, match=r"^unknown architecture 'MNIST' for BiGANConfig; "
                                         r"known: kdd, mnist$"):
        BiGANConfig(architecture="MNIST")
    with pytest.raises(ValueError, match=r"^unknown architecture 'kdd' for WGANGPConfig; "
                                         r"known: dcgan$"):
        WGANGPConfig(architecture="kdd")
    with pytest.raises(ValueError, match=r"^the model's n_features \(120\) is not the "
                                         r"preprocessor's output width \(121\)$"):
        BiGANDetector(KDDPreprocessor("log_minmax"), model=BiGANConfig(n_features=120))
