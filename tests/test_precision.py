"""Mixed precision: the policy reaches the networks' math, float32 stays where it must."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_ad.scoring.anogan import AnoGANSearchConfig, make_anogan_scorer
from tfgan_ad.scoring.egbad import ScoreConfig, egbad_score
from tfgan_ad.training.bigan import BiGAN, BiGANConfig
from tfgan_ad.training.gan import GAN, GANConfig
from tfgan_ad.training.trainer import Trainer, TrainConfig
from tfgan_ad.training.wgan_gp import WGANGP, WGANGPConfig, gradient_penalty

HALF = {"mixed_bfloat16": tf.bfloat16, "mixed_float16": tf.float16}


def _x(n=64, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 121)).astype(np.float32)


def _weights(nets):
    return [np.asarray(w) for net in nets for w in net.weights]


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_bigan_trains_in_half_precision_with_float32_weights_and_logits(precision):
    gan = BiGAN(BiGANConfig(precision=precision))
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    x = _x()
    # hidden layers compute in half precision, the logit layer in float32
    z = gan.encoder(x)
    assert z.dtype == HALF[precision]
    assert gan.generator(z).dtype == HALF[precision]
    logits, features = gan.discriminator((x, z))
    assert logits.dtype == tf.float32 and features.dtype == HALF[precision]
    assert all(w.dtype == "float32" for w in gan.encoder.weights + gan.discriminator.weights)
    assert all(s.dtype == tf.float32 for s in gan.ema.shadows)
    lso = isinstance(gan.opt_d, keras.optimizers.LossScaleOptimizer)
    assert lso == (precision == "mixed_float16")
    before = _weights([gan.encoder, gan.generator, gan.discriminator])
    hist = Trainer(gan, TrainConfig(epochs=2, batch_size=16, progress=False)).fit(x)
    assert all(np.isfinite(v) for v in hist[-1].values() if isinstance(v, float))
    after = _weights([gan.encoder, gan.generator, gan.discriminator])
    assert all(np.all(np.isfinite(a)) for a in after)
    assert any(not np.array_equal(a, b) for a, b in zip(after, before))
    for variant in ("sigma", "fm"):
        s = egbad_score(gan.encoder, gan.generator, gan.discriminator, x, ScoreConfig(variant))
        assert s.dtype == tf.float32 and np.all(np.isfinite(s.numpy()))


def test_half_precision_scores_track_float32_scores():
    """Same weights, two policies: bf16 changes scores by rounding, not by a bug."""
    keras.utils.set_random_seed(0)
    full = BiGAN(BiGANConfig())
    keras.utils.set_random_seed(0)
    half = BiGAN(BiGANConfig(precision="mixed_bfloat16"))
    for a, b in zip(full.encoder.weights + full.generator.weights
                    + full.discriminator.weights,
                    half.encoder.weights + half.generator.weights
                    + half.discriminator.weights):
        b.assign(a)
    x = _x(256, seed=1)
    s32 = egbad_score(full.encoder, full.generator, full.discriminator, x).numpy()
    s16 = egbad_score(half.encoder, half.generator, half.discriminator, x).numpy()
    assert not np.array_equal(s32, s16)  # the policy changed the arithmetic
    np.testing.assert_allclose(s16, s32, rtol=0.05)
    assert np.corrcoef(s16, s32)[0, 1] > 0.99


def test_anogan_search_stays_float32_under_mixed_policy():
    gan = GAN(GANConfig(precision="mixed_bfloat16"))
    x = _x(8)
    Trainer(gan, TrainConfig(epochs=1, batch_size=8, progress=False)).fit(x)
    out = make_anogan_scorer(gan.generator, gan.discriminator,
                             AnoGANSearchConfig(steps=30))(x)
    assert out["z"].dtype == tf.float32 and out["score"].dtype == tf.float32
    assert np.all(out["search_loss_final"].numpy() < out["search_loss_initial"].numpy())


def test_wgan_gp_mixed_bfloat16_step_and_float32_penalty():
    gan = WGANGP(WGANGPConfig(precision="mixed_bfloat16", n_critic=1))
    z = tf.random.normal([4, gan.config.latent_dim])
    fake = gan.generator(z)
    assert fake.dtype == tf.bfloat16
    assert gan.critic(fake).dtype == tf.float32
    real = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    gp = gradient_penalty(gan.critic, real, fake, tf.constant([0, 1], tf.int64))
    assert gp.dtype == tf.float32 and np.isfinite(gp.numpy())
    moving = gan.generator.params()["bn1"]["moving_mean"]
    hist = Trainer(gan, TrainConfig(epochs=1, batch_size=4, progress=False)).fit(
        np.concatenate([real, real]))
    assert all(np.isfinite(v) for k, v in hist[-1].items() if k != "epoch")
    assert moving.dtype == "float32" and np.any(np.asarray(moving) != 0)


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision 'float8'"):
        BiGANConfig(precision="float8")


def test_float16_refuses_inputs_beyond_its_range():
    """Under mixed_float16 a feature above 65504 would be inf in the first layer (NaN
    scores, a NaN loss); training and scoring refuse it by name, bf16 takes it."""
    from tfgan_ad.detector import BiGANDetector
    x = _x()
    x[3, 0] = 1e6  # a KDD99 byte count without scaling
    gan = BiGAN(BiGANConfig(precision="mixed_float16"))
    with pytest.raises(ValueError, match=r"training data reach 1e\+06, beyond float16's range"):
        Trainer(gan, TrainConfig(epochs=1, batch_size=16, progress=False)).fit(x)
    assert int(gan.opt_d.iterations.numpy()) == 0  # refused before any step
    ok = _x()
    det = BiGANDetector(model=BiGANConfig(precision="mixed_float16"),
                        train=TrainConfig(epochs=1, batch_size=16, progress=False)).fit(ok)
    assert np.all(np.isfinite(det.score_samples(ok)))
    with pytest.raises(ValueError, match="features reach 1e\\+06.*mixed_bfloat16"):
        det.score_samples(x)
    bf16 = BiGANDetector(model=BiGANConfig(precision="mixed_bfloat16"),
                         train=TrainConfig(epochs=1, batch_size=16, progress=False)).fit(x)
    assert np.all(np.isfinite(bf16.score_samples(x)))
