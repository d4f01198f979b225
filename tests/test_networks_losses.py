import numpy as np
import pytest
import tensorflow as tf

from tfgan_ad.networks import kdd
from tfgan_ad.training import losses
from tfgan_ad.training.ema import EMA


def test_table6_shapes_and_parameter_counts():
    e, g, d = kdd.Encoder(), kdd.Generator(), kdd.Discriminator()
    x = tf.zeros([3, 121])
    z = e(x)
    assert z.shape == (3, 32) and g(z).shape == (3, 121)
    logits, feats = d((x, z))
    assert logits.shape == (3, 1) and feats.shape == (3, 128)
    # Table 6: E 121-64-32, G 32-64-128-121, D x:121-128, z:32-128, xz:256-128-1
    assert e.count_params() == 121 * 64 + 64 + 64 * 32 + 32
    assert g.count_params() == 32 * 64 + 64 + 64 * 128 + 128 + 128 * 121 + 121
    assert d.count_params() == (121 * 128 + 128) + (32 * 128 + 128) + (256 * 128 + 128) + 129


@pytest.mark.parametrize("cls,args", [(kdd.Encoder, {}), (kdd.Generator, {}),
                                      (kdd.Discriminator, {"spectral_norm": True})])
def test_get_config_round_trip(cls, args):
    net = cls(n_features=10, latent_dim=4, **args)
    again = cls.from_config(net.get_config())
    again.set_weights(net.get_weights())
    x = tf.random.normal([5, 10])
    z = tf.random.normal([5, 4])
    inputs = (x, z) if cls is kdd.Discriminator else (z if cls is kdd.Generator else x)
    out, out2 = net(inputs), again(inputs)
    for a, b in zip(tf.nest.flatten(out), tf.nest.flatten(out2)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_wrong_width_is_named():
    with pytest.raises(ValueError, match=r"encoder input x must have shape \(batch, 121\)"):
        kdd.Encoder()(tf.zeros([2, 120]))
    with pytest.raises(ValueError, match="discriminator input z"):
        kdd.Discriminator()((tf.zeros([2, 121]), tf.zeros([2, 31])))


def test_dropout_only_in_training_and_seeded():
    d = kdd.Discriminator(n_features=4, latent_dim=2)
    x, z = tf.ones([8, 4]), tf.ones([8, 2])
    a = d((x, z), training=False)[1]
    np.testing.assert_array_equal(a, d((x, z), training=False)[1])
    s = tf.constant([1, 2], tf.int64)
    t1 = d((x, z), training=True, seed=s)[1]
    np.testing.assert_array_equal(t1, d((x, z), training=True, seed=s)[1])
    t3 = d((x, z), training=True, seed=tf.constant([1, 3], tf.int64))[1]
    assert not np.array_equal(t1, t3)


def tiny_discriminator():
    """n_features=2, latent=1, units=1, no dropout, fixed weights."""
    d = kdd.Discriminator(n_features=2, latent_dim=1, units=1, dropout=0.0)
    d.fc_x.set_weights([np.array([[1.0], [2.0]]), np.array([0.5])])
    d.fc_z.set_weights([np.array([[-1.0]]), np.array([0.0])])
    d.fc_xz.set_weights([np.array([[1.0], [1.0]]), np.array([0.0])])
    d.logit.set_weights([np.array([[2.0]]), np.array([-1.0])])
    return d


def lrelu(v):
    return np.where(v > 0, v, 0.1 * v)


def test_discriminator_and_loss_golden_values():
    d = tiny_discriminator()
    x = np.array([[1.0, 1.0], [0.0, -1.0]], np.float32)
    z = np.array([[1.0], [2.0]], np.float32)
    # by hand: hx = lrelu(x@[1,2]+0.5) = [3.5, lrelu(-1.5)=-0.15]; hz = lrelu(-z) = [-0.1, -0.2]
    # f = lrelu(hx + hz) = [3.4, lrelu(-0.35) = -0.035]; logit = 2 f - 1 = [5.8, -1.07]
    logits, feats = d((x, z))
    np.testing.assert_allclose(feats.numpy()[:, 0], [3.4, -0.035], rtol=1e-6)
    np.testing.assert_allclose(logits.numpy()[:, 0], [5.8, -1.07], rtol=1e-6)

    def bce(l, y):  # -y log σ(l) - (1-y) log(1-σ(l))
        p = 1 / (1 + np.exp(-l))
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    lr, lf = np.array([5.8, -1.07]), np.array([0.3, 2.0])
    expect_d = bce(lr, 1).mean() + bce(lf, 0).mean()
    assert losses.bigan_discriminator_loss(lr, lf).numpy() == pytest.approx(expect_d, rel=1e-6)
    assert losses.bigan_generator_loss(lf).numpy() == pytest.approx(bce(lf, 1).mean(), rel=1e-6)
    assert losses.bigan_encoder_loss(lr).numpy() == pytest.approx(bce(lr, 0).mean(), rel=1e-6)
    # a plain number: BCE(0, 1) = ln 2
    assert losses.bigan_generator_loss([0.0]).numpy() == pytest.approx(np.log(2), rel=1e-6)


def test_ema_arithmetic_and_swap():
    w = tf.Variable([1.0, 10.0])
    ema = EMA([w], decay=0.9)
    w.assign([3.0, 0.0])
    ema.update()  # 0.9*1 + 0.1*3 = 1.2 ; 0.9*10 + 0 = 9
    np.testing.assert_allclose(ema.shadows[0].numpy(), [1.2, 9.0], rtol=1e-6)
    w.assign([5.0, 0.0])
    ema.update()  # 0.9*1.2 + 0.5 = 1.58 ; 8.1
    np.testing.assert_allclose(ema.shadows[0].numpy(), [1.58, 8.1], rtol=1e-6)
    with ema.averaged():
        np.testing.assert_allclose(w.numpy(), [1.58, 8.1], rtol=1e-6)
        with ema.averaged():  # nested: still averaged
            np.testing.assert_allclose(w.numpy(), [1.58, 8.1], rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), [5.0, 0.0])
    with pytest.raises(ValueError):
        EMA([w], decay=1.0)


def test_ema_warmup_ramps_decay_like_num_updates():
    w = tf.Variable([0.0])
    ema = EMA([w], decay=0.999, warmup=True)
    w.assign([10.0])
    ema.update()  # decay min(0.999, 1/10) = 0.1: 0.1*0 + 0.9*10 = 9
    np.testing.assert_allclose(ema.shadows[0].numpy(), [9.0], rtol=1e-6)
    ema.update()  # decay 2/11: 2/11*9 + 9/11*10
    np.testing.assert_allclose(ema.shadows[0].numpy(), [2 / 11 * 9 + 9 / 11 * 10], rtol=1e-6)
    for _ in range(20000):  # the ramp ends at the configured decay
        ema.updates.assign_add(1)
    ema.update()
    np.testing.assert_allclose(ema.shadows[0].numpy(),
                               [0.999 * (2 / 11 * 9 + 9 / 11 * 10) + 0.001 * 10], rtol=1e-6)
