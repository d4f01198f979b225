import numpy as np
import pytest
import tensorflow as tf

from tfgan_ad.networks import mnist


def test_table4_shapes():
    e, g, d = mnist.Encoder(), mnist.Generator(), mnist.Discriminator()
    x = tf.random.uniform([3, 28, 28, 1], -1, 1)
    z = e(x)
    assert z.shape == (3, 200)
    img = g(z)
    assert img.shape == (3, 28, 28, 1) and float(tf.reduce_max(tf.abs(img))) <= 1.0
    logits, feats = d((x, z))
    assert logits.shape == (3, 1) and feats.shape == (3, 1024)
    logits, feats = mnist.GANDiscriminator()(x)
    assert logits.shape == (3, 1) and feats.shape == (3, 1024)
    with pytest.raises(ValueError, match=r"\(batch, 28, 28, 1\)"):
        e(tf.zeros([2, 784]))


def test_batchnorm_statistics_do_not_change_in_inference_and_scores_are_batch_independent():
    g, e = mnist.Generator(), mnist.Encoder()
    x = tf.random.uniform([8, 28, 28, 1], -1, 1)
    g(tf.random.normal([16, 200]), training=True)  # one training call moves the statistics
    stats = [v.numpy().copy() for v in g.non_trainable_variables + e.non_trainable_variables]
    full = g(e(x)).numpy()
    alone = g(e(x[3:4])).numpy()
    after = [v.numpy() for v in g.non_trainable_variables + e.non_trainable_variables]
    for a, b in zip(stats, after):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(alone[0], full[3], rtol=1e-5, atol=1e-6)


def test_architecture_picks_its_table_defaults():
    """architecture="mnist" alone gives the MNIST settings (Table 4 and the reference
    code), not KDD99's Table 6; explicit values win; records round-trip unchanged."""
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig
    from tfgan_ad.training.gan import GANConfig
    from tfgan_ad.training.wgan_gp import WGANGPConfig
    for cls in (BiGANConfig, GANConfig):
        m, k = cls(architecture="mnist"), cls()
        assert (m.latent_dim, m.ema_decay, m.dropout) == (200, 0.999, 0.5)
        assert (k.latent_dim, k.ema_decay, k.dropout) == (32, 0.9999, 0.2)
        assert cls(architecture="mnist", latent_dim=64, dropout=0.0).to_dict()["latent_dim"] == 64
        assert cls.from_dict(m.to_dict()) == m and None not in m.to_dict().values()
    assert WGANGPConfig().latent_dim == 256 and WGANGPConfig().ema_decay == 0.999
    gan = BiGAN(BiGANConfig(architecture="mnist"))
    assert gan.encoder(tf.zeros([1, 28, 28, 1])).shape == (1, 200)


def test_mnist_bigan_and_gan_train_a_few_steps():
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig
    from tfgan_ad.training.gan import GAN, GANConfig
    from tfgan_ad.training.trainer import Trainer, TrainConfig
    x = np.random.default_rng(0).uniform(-1, 1, size=(40, 28, 28, 1)).astype(np.float32)
    for model in (BiGAN(BiGANConfig(architecture="mnist", latent_dim=200, dropout=0.5,
                                    ema_decay=0.999, learning_rate=1e-4)),
                  GAN(GANConfig(architecture="mnist", latent_dim=200, ema_decay=0.999))):
        tr = Trainer(model, TrainConfig(epochs=1, batch_size=20, steps_per_call=2,
                                        progress=False))
        hist = tr.fit(x)
        assert int(tr.step) == 2 and all(np.isfinite(v) for v in hist[-1].values())


def test_exported_image_detector_scales_raw_pixels_in_the_graph(tmp_path):
    from tfgan_ad.data.mnist import to_unit_range
    from tfgan_ad.detector import BiGANDetector
    from tfgan_ad.export import export_saved_model
    from tfgan_ad.training.bigan import BiGANConfig
    from tfgan_ad.training.trainer import TrainConfig
    pixels = np.random.default_rng(1).integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    det = BiGANDetector(model=BiGANConfig(architecture="mnist", latent_dim=200, dropout=0.5),
                        train=TrainConfig(epochs=1, batch_size=20, steps_per_call=2,
                                          progress=False))
    det.fit(to_unit_range(pixels))
    loaded = tf.saved_model.load(str(export_saved_model(det, tmp_path, 1, {})))
    out = loaded.signatures["serving_default"](pixels=tf.constant(pixels))
    # every grey level scaled bit for bit as for training: the scores are the same numbers
    np.testing.assert_array_equal(out["score"].numpy(), det.score_samples(to_unit_range(pixels)))
    levels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    x = np.zeros((1, 28, 28), np.uint8)
    x[:, :16, :16] = levels
    np.testing.assert_array_equal(
        loaded.signatures["serving_default"](pixels=tf.constant(x))["score"].numpy(),
        loaded.signatures["score_features"](features=tf.constant(to_unit_range(x)))["score"])


def test_statistics_kept_undoes_training_passes_and_only_with_keep():
    from tfgan_ad.training import steps
    g = mnist.Generator()
    g(tf.zeros([1, 200]))
    assert len(steps.moving_statistics(g)) == 2 * sum(
        "moving_mean" in v.path for v in g.non_trainable_variables) > 0
    before = [v.numpy().copy() for v in steps.moving_statistics(g)]

    @tf.function
    def passes(keep):
        with steps.statistics_kept((g,), keep):
            g(tf.random.stateless_normal([16, 200], seed=[1, 2]), training=True)

    passes(True)
    for a, v in zip(before, steps.moving_statistics(g)):
        np.testing.assert_array_equal(a, v.numpy())
    passes(False)
    assert any(not np.array_equal(a, v.numpy()) for a, v in zip(before, steps.moving_statistics(g)))


@pytest.mark.parametrize("kind", ["bigan", "gan"])
def test_own_step_bn_statistics_change_the_statistics_not_the_training(kind):
    """bn_statistics="own_step" (the official EGBAD code): a network's moving statistics
    skip its passes in the other networks' step. Training uses batch statistics, so the
    weights after a step are the same either way; the statistics are not."""
    import keras
    from tfgan_ad.training import steps
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig
    from tfgan_ad.training.gan import GAN, GANConfig
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (20, 28, 28, 1)), tf.float32)

    def one_step(mode):
        keras.utils.set_random_seed(3)
        if kind == "bigan":
            gan = BiGAN(BiGANConfig(architecture="mnist", bn_statistics=mode))
            nets, batches = (gan.encoder, gan.generator, gan.discriminator), (x, x[::-1])
        else:
            gan = GAN(GANConfig(architecture="mnist", bn_statistics=mode))
            nets, batches = (gan.generator, gan.discriminator), (x,)
        tf.function(gan.train_step)(batches, tf.constant([4, 5], tf.int64))
        return ([v.numpy() for n in nets for v in n.trainable_variables],
                [[v.numpy() for v in steps.moving_statistics(n)] for n in nets])

    weights_every, stats_every = one_step("every_pass")
    weights_own, stats_own = one_step("own_step")
    # The two graphs differ (own_step restores statistics), so oneDNN may sum in another
    # order: equal up to float32 rounding (seen: 3e-8), where a wrong rule moves weights
    # by the size of a step.
    close = dict(rtol=1e-5, atol=1e-6)
    for a, b in zip(weights_every, weights_own):
        np.testing.assert_allclose(a, b, **close)
    for every, own in zip(stats_every, stats_own):  # each network runs in the other's step
        assert every and any(not np.allclose(a, b, **close) for a, b in zip(every, own))


def test_unknown_bn_statistics_is_refused():
    from tfgan_ad.training.bigan import BiGANConfig
    with pytest.raises(ValueError, match="unknown bn_statistics 'official'"):
        BiGANConfig(bn_statistics="official")
