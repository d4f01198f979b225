"""ADGAN: the DCGAN generator/critic, the WGAN-GP step and the vectorised z+θ search."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from adgan_oracle import OracleSearch

from tfgan_ad.networks import dcgan
from tfgan_ad.scoring.adgan import (
    ADGANSearchConfig,
    adgan_search,
    make_adgan_scorer,
    search_memory_bytes,
)
from tfgan_ad.training.trainer import TrainConfig, Trainer
from tfgan_ad.training.wgan_gp import WGANGP, WGANGPConfig, gradient_penalty


def images(n, seed=0):
    return np.tanh(np.random.default_rng(seed).normal(size=(n, 28, 28, 1))).astype(np.float32)


def perturbed_generator(seed=1, width=1):
    """A generator whose BN statistics, γ, β and biases are not at their initial values."""
    tf.keras.utils.set_random_seed(seed)
    g = dcgan.Generator(width=width, name="generator")
    g(tf.random.normal([16, g.latent_dim]), training=True)
    rng = np.random.default_rng(seed)
    for v in g.weights:
        if "kernel" not in v.path:
            v.assign(v.numpy() + rng.uniform(0.0, 0.3, v.shape).astype(np.float32))
    return g


@pytest.fixture(scope="module")
def generator():
    return perturbed_generator()


@pytest.fixture(scope="module", params=[1, 2], ids=["width1", "width2"])
def any_width_generator(request):
    return perturbed_generator(width=request.param)


# --- networks ---------------------------------------------------------------------------

@pytest.mark.parametrize("h,c_in,c_out,k,s", [(7, 64, 32, 4, 2), (14, 32, 1, 4, 2),
                                              (5, 3, 2, 3, 2), (4, 3, 2, 5, 3)])
def test_per_path_transposed_conv_equals_conv2d_transpose(h, c_in, c_out, k, s):
    rng = np.random.default_rng(h)
    x = rng.normal(size=(3, 2, h, h, c_in)).astype(np.float32)
    w = rng.normal(size=(3, k, k, c_out, c_in)).astype(np.float32)
    got = dcgan.conv2d_transpose_paths(tf.constant(x), tf.constant(w), s).numpy()
    for p in range(3):
        want = tf.nn.conv2d_transpose(x[p], w[p], [2, s * h, s * h, c_out], s, "SAME").numpy()
        np.testing.assert_allclose(got[p], want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def keras_layers_generator(g):
    """The architecture from stock Keras layers (Dense, BatchNormalization, Conv2DTranspose)."""
    p, c = g.params(), 64 * g.width
    net = keras.Sequential([
        keras.Input((g.latent_dim,)), keras.layers.Dense(7 * 7 * c),
        keras.layers.BatchNormalization(epsilon=dcgan.BN_EPSILON), keras.layers.ReLU(),
        keras.layers.Reshape((7, 7, c)), keras.layers.Conv2DTranspose(c // 2, 4, 2, "same"),
        keras.layers.BatchNormalization(epsilon=dcgan.BN_EPSILON), keras.layers.ReLU(),
        keras.layers.Conv2DTranspose(1, 4, 2, "same", activation="tanh")])
    bn = lambda q: [q["gamma"], q["beta"], q["moving_mean"], q["moving_variance"]]
    weights = ([p["fc1"]["kernel"], p["fc1"]["bias"]] + bn(p["bn1"])
               + [p["deconv2"]["kernel"], p["deconv2"]["bias"]] + bn(p["bn2"])
               + [p["deconv3"]["kernel"], p["deconv3"]["bias"]])
    net.set_weights([np.asarray(w) for w in weights])
    return net


def test_generator_matches_stock_keras_layers(any_width_generator):
    generator = any_width_generator
    z = tf.random.normal([5, generator.latent_dim], seed=3)
    want = keras_layers_generator(generator)(z, training=False).numpy()
    np.testing.assert_allclose(generator(z).numpy(), want, atol=2e-5)
    assert generator(z).shape == (5, 28, 28, 1)
    n = sum(int(np.prod(v.shape)) for v in generator.trainable_variables)
    # width 1: 256·3136 + 3136 + 2·3136 + 16·32·64 + 32 + 2·32 + 16·32 + 1
    assert n == {1: 845_601, 2: 1_756_737}[generator.width]


def test_per_path_generate_equals_generator_on_each_paths_weights(any_width_generator):
    generator = any_width_generator
    theta = [v.numpy() for v in generator.weights]
    rng = np.random.default_rng(0)
    copies = [[w + rng.normal(0, 0.02, w.shape).astype(np.float32) for w in theta]
              for _ in range(3)]
    other = dcgan.Generator.from_config(generator.get_config())
    names = [v.path.split("/")[-1] for v in generator.weights]
    stacked = {}
    for layer, leaves in generator.params().items():
        stacked[layer] = {leaf: np.stack([c[names.index(f"{layer}_{leaf}")] for c in copies])
                          for leaf in leaves}
    z = tf.random.normal([3, 2, generator.latent_dim], seed=4)
    got = dcgan.generate(tf.nest.map_structure(tf.constant, stacked), z).numpy()
    assert got.shape == (3, 2, 28, 28, 1)
    for p, weights in enumerate(copies):
        other.set_weights(weights)
        np.testing.assert_allclose(got[p], other(z[p]).numpy(), atol=2e-5)


def test_generator_training_mode_updates_moving_statistics():
    g = dcgan.Generator()
    before = g.bn1_moving_mean.numpy().copy()
    g(tf.random.normal([8, g.latent_dim]), training=True)
    assert not np.allclose(before, g.bn1_moving_mean.numpy())
    with pytest.raises(ValueError, match="shape"):
        g(tf.zeros([2, 10]))


def test_standing_statistics_make_inference_mode_match_batch_statistics():
    """With the moving statistics replaced by standing ones for the current weights, inference
    mode on a fresh batch is close to training mode (batch statistics) on it; with the initial
    (0, 1) statistics it is far off. The replaced values come back exactly."""
    g = dcgan.Generator()
    z = tf.random.stateless_normal([256, g.latent_dim], seed=[9, 9])
    initial_stats = g(z, training=False)  # the initial moving statistics (0, 1)
    train_out = dcgan.generate(g.params(), z, training=True).numpy()  # batch statistics
    before = np.abs(initial_stats.numpy() - train_out).mean()
    stats = dcgan.standing_statistics(g, n_batches=20, batch_size=64, seed=3)
    assert set(stats) == {"bn1", "bn2"}
    with dcgan.moving_statistics(g, stats):
        after = np.abs(g(z).numpy() - train_out).mean()
        np.testing.assert_array_equal(g.bn1_moving_mean.numpy(), stats["bn1"][0].numpy())
    assert after < before / 5, (after, before)
    np.testing.assert_array_equal(g.bn1_moving_mean.numpy(), np.zeros_like(stats["bn1"][0]))
    np.testing.assert_array_equal(g.bn2_moving_variance.numpy(), np.ones_like(stats["bn2"][1]))
    with pytest.raises(RuntimeError, match="inside"):  # restored on an error too
        with dcgan.moving_statistics(g, stats):
            raise RuntimeError("inside")
    np.testing.assert_array_equal(g.bn2_moving_variance.numpy(), np.ones_like(stats["bn2"][1]))
    with pytest.raises(ValueError, match="n_batches"):
        dcgan.standing_statistics(g, n_batches=0)
    with pytest.raises(ValueError, match=r"no BatchNorm layer named \['bn3'\]"):
        with dcgan.moving_statistics(g, {"bn3": stats["bn1"]}):
            pass


def test_critic_shape_and_config():
    c = dcgan.Critic()
    assert c(tf.zeros([3, 28, 28, 1])).shape == (3, 1)
    assert not any("batch_normalization" in v.path for v in c.weights)
    assert dcgan.Generator.from_config(dcgan.Generator(latent_dim=8).get_config()).latent_dim == 8


def test_width_multiplies_every_channel_count_and_is_validated():
    c2 = dcgan.Critic(width=2)
    assert c2(tf.zeros([2, 28, 28, 1])).shape == (2, 1)
    assert [v.shape[-1] for v in c2.weights if v.path.endswith("kernel")] == [128, 256, 1]
    assert dcgan.Critic.from_config(c2.get_config()).width == 2
    g2 = dcgan.Generator.from_config(dcgan.Generator(width=2).get_config())
    assert g2.width == 2 and g2.deconv2_kernel.shape == (4, 4, 64, 128)
    assert g2.fc1_kernel.shape == (256, 7 * 7 * 128)
    from tfgan_ad.scoring.adgan import ACTIVATION_BYTES_PER_ROW, ARRAYS_PER_PATH
    assert search_memory_bytes(g2) == (64 * 1_756_737 * 4 * ARRAYS_PER_PATH
                                       + 64 * ACTIVATION_BYTES_PER_ROW * 2)
    gan = WGANGP(WGANGPConfig(width=2))
    assert gan.generator.width == 2 and gan.critic.width == 2
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="width"):
            dcgan.Generator(width=bad)
        with pytest.raises(ValueError, match="width"):
            WGANGPConfig(width=bad)


# --- gradient penalty -------------------------------------------------------------------

def linear_critic(w, b=0.3):
    return lambda x: tf.reduce_sum(x * w, axis=[1, 2, 3]) + b


def test_gradient_penalty_golden_linear_critic():
    # D(x) = Σ w·x + b has ∇D = w everywhere: GP = λ·(sqrt(Σw² + 1e-12) − 1)², whatever ε
    w = tf.fill([1, 2, 2, 1], 0.25)  # Σw² = 0.25
    real, fake = tf.constant(images(3)[:, :2, :2]), tf.constant(images(3, 1)[:, :2, :2])
    gp = gradient_penalty(linear_critic(w), real, fake, tf.constant([1, 2]), gp_weight=10.0)
    np.testing.assert_allclose(gp.numpy(), 10.0 * (np.sqrt(0.25 + 1e-12) - 1.0) ** 2, rtol=1e-6)
    assert gp.numpy() == pytest.approx(2.5)


def test_gradient_penalty_golden_quadratic_critic():
    # D(x) = ½Σx² has ∇D(x̂) = x̂ = real + ε(fake − real), ε ~ U[0, 1] per sample from the seed
    real, fake = images(4)[:, :3, :3], images(4, 1)[:, :3, :3]
    seed = tf.constant([5, 6])
    eps = tf.random.stateless_uniform([4, 1, 1, 1], seed=seed).numpy()
    x_hat = real + eps * (fake - real)
    norms = np.sqrt((x_hat ** 2).sum(axis=(1, 2, 3)) + 1e-12)
    gp = gradient_penalty(lambda x: 0.5 * tf.reduce_sum(x ** 2, axis=[1, 2, 3]), real, fake,
                          seed, gp_weight=2.0)
    np.testing.assert_allclose(gp.numpy(), 2.0 * np.mean((norms - 1.0) ** 2), rtol=1e-5)


def test_gradient_penalty_has_finite_gradient_at_zero_critic_gradient():
    w = tf.Variable(tf.zeros([1, 2, 2, 1]))
    real, fake = tf.constant(images(2)[:, :2, :2]), tf.constant(images(2, 1)[:, :2, :2])
    with tf.GradientTape() as tape:
        gp = gradient_penalty(linear_critic(w), real, fake, tf.constant([0, 0]), gp_weight=10.0)
    grad = tape.gradient(gp, w)
    np.testing.assert_allclose(gp.numpy(), 10.0 * (1e-6 - 1.0) ** 2, rtol=1e-6)
    assert grad is not None and np.all(np.isfinite(grad.numpy()))


# --- WGAN-GP on the shared trainer ------------------------------------------------------

SMALL_WGAN = WGANGPConfig(n_critic=2, learning_rate=1e-3)


def gan_weights(gan):
    nets = (gan.generator, gan.critic)
    return [w.numpy() for n in nets for w in n.weights] + [s.numpy() for s in gan.ema.shadows]


def fresh_wgan(ckpt=None, steps_per_call=2):
    tf.keras.utils.set_random_seed(7)
    gan = WGANGP(SMALL_WGAN)
    cfg = TrainConfig(epochs=2, batch_size=4, seed=5, steps_per_call=steps_per_call,
                      checkpoint_dir=ckpt, progress=False)
    return gan, Trainer(gan, cfg)


def test_wgan_gp_trains_and_resumes_exactly(tmp_path):
    x = images(12, 3)  # 3 steps per epoch, 2 critic batches per step
    gan_a, tr_a = fresh_wgan()
    assert gan_a.batches_per_step == 2
    hist = tr_a.fit(x)
    assert int(tr_a.step) == 6 and len(hist) == 2
    for rec in hist:
        assert all(np.isfinite(rec[k]) for k in WGANGP.loss_names)
    _, tr_b = fresh_wgan(str(tmp_path))
    tr_b.fit(x, until_step=4)  # interrupted mid-epoch
    gan_c, tr_c = fresh_wgan(str(tmp_path), steps_per_call=3)
    tr_c.fit(x)
    assert int(tr_c.step) == 6
    for a, c in zip(gan_weights(gan_a), gan_weights(gan_c)):
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-7)
    gan_0, _ = fresh_wgan()
    assert not any(np.allclose(a, b) for a, b in
                   zip(gan_weights(gan_0)[:2], gan_weights(gan_a)[:2]))


def critic_weights(gan):
    return np.concatenate([w.numpy().ravel() for w in gan.critic.trainable_weights])


@pytest.mark.parametrize("clip", [0.0, 0.01])
def test_weight_clipping_bounds_every_critic_weight(clip):
    """Arjovsky et al.'s WGAN: RMSprop, no penalty, critic weights clipped to [-c, c] after
    every critic update; without a clip the same steps leave weights beyond c."""
    tf.keras.utils.set_random_seed(7)
    gan = WGANGP(WGANGPConfig(n_critic=2, learning_rate=5e-3, optimizer="rmsprop",
                              gp_weight=0.0, clip_value=clip))
    assert isinstance(gan.opt_d, keras.optimizers.RMSprop)
    assert gan.opt_d.epsilon == 1e-16  # inside the root: PyTorch's 1e-8 outside it
    hist = Trainer(gan, TrainConfig(epochs=1, batch_size=4, seed=5, progress=False)).fit(
        images(12, 3))
    assert hist[-1]["gradient_penalty"] == 0.0 and np.isfinite(hist[-1]["loss_d"])
    w = np.abs(critic_weights(gan))
    if clip:
        assert w.max() == np.float32(clip)  # in bounds, and the bound was reached
    else:
        assert w.max() > 0.1


def test_wgan_gp_config_round_trip_and_validation():
    cfg = WGANGPConfig()
    assert (cfg.architecture, cfg.latent_dim, cfg.n_critic, cfg.gp_weight) == ("dcgan", 256, 5, 10.0)
    assert WGANGPConfig.from_dict(cfg.to_dict()) == cfg
    assert (cfg.optimizer, cfg.clip_value) == ("adam", 0.0)
    arjovsky = WGANGPConfig(optimizer="rmsprop", learning_rate=5e-5, gp_weight=0.0, clip_value=0.01)
    assert WGANGPConfig.from_dict(arjovsky.to_dict()) == arjovsky
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'"):
        WGANGPConfig(optimizer="sgd")
    for bad in (-0.01, float("nan")):
        with pytest.raises(ValueError, match="clip_value must be finite and >= 0"):
            WGANGPConfig(clip_value=bad)
        with pytest.raises(ValueError, match="gp_weight must be >= 0"):
            WGANGPConfig(gp_weight=bad)
    with pytest.raises(ValueError, match="clip_value must be finite"):
        WGANGPConfig(clip_value=float("inf"))  # clips nothing, yet looks like a clip
    for bad in (0.0, -1e-8, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="rmsprop_epsilon must be finite and > 0"):
            WGANGPConfig(rmsprop_epsilon=bad)
    with pytest.raises(ValueError, match="n_critic"):
        WGANGPConfig(n_critic=0)
    for lr in (0.0, -1e-4, float("nan")):  # e.g. a bad --wgan_lr: no silent no-op training
        with pytest.raises(ValueError, match="learning_rate must be > 0"):
            WGANGPConfig(learning_rate=lr)
    for beta in (-0.1, 1.0, float("nan")):  # e.g. a bad --wgan_beta_1
        with pytest.raises(ValueError, match=r"beta_1 must be in \[0, 1\)"):
            WGANGPConfig(beta_1=beta)
    assert WGANGPConfig(beta_1=0.0).beta_1 == 0.0  # Gulrajani et al.'s value is allowed
    with pytest.raises(ValueError, match=r"beta_2 must be in \[0, 1\)"):
        WGANGPConfig(beta_2=1.0)
    for dim in (0, -8, 64.5, True):  # e.g. a bad --wgan_latent_dim
        with pytest.raises(ValueError, match="latent_dim must be an integer >= 1"):
            WGANGPConfig(latent_dim=dim)
    assert WGANGPConfig(latent_dim=64).latent_dim == 64
    for batch in (0, -64):  # e.g. a bad --wgan_batch
        with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
            TrainConfig(epochs=1, batch_size=batch)


# --- the ADGAN search -------------------------------------------------------------------

# θ's learning rate well above the default so that the θ paths visibly matter
ORACLE_CFG = {"n_seeds": 3, "theta_learning_rate": 1e-3, "learning_rate": 0.05}


@pytest.mark.parametrize("share_theta", [False, True])
def test_vectorised_search_equals_per_point_per_seed_oracle(generator, share_theta):
    cfg = ADGANSearchConfig(share_theta=share_theta, **ORACLE_CFG)
    x = images(2, 7)
    got = make_adgan_scorer(generator, cfg, points_per_call=2)(x)
    want = OracleSearch(generator, cfg)(x)
    np.testing.assert_allclose(got["losses"].numpy(), want["losses"], rtol=1e-4)
    np.testing.assert_allclose(got["score"].numpy(), want["score"], rtol=1e-4)
    assert np.all(got["losses"].numpy() < got["initial_losses"].numpy())


def test_shared_and_separate_theta_differ(generator):
    x = images(1, 7)
    sep = adgan_search(generator, x, ADGANSearchConfig(**ORACLE_CFG))["losses"].numpy()
    shared = adgan_search(generator, x, ADGANSearchConfig(share_theta=True, **ORACLE_CFG))
    assert not np.allclose(sep, shared["losses"].numpy(), rtol=1e-4)


def test_scores_are_batch_independent_and_deterministic(generator):
    cfg = ADGANSearchConfig(n_seeds=2, steps=2, theta_learning_rate=1e-3)
    x = images(3, 9)
    together = make_adgan_scorer(generator, cfg, points_per_call=3)(x)["score"].numpy()
    chunked = make_adgan_scorer(generator, cfg, points_per_call=2)(x)["score"].numpy()
    again = make_adgan_scorer(generator, cfg, points_per_call=3)(x)["score"].numpy()
    np.testing.assert_array_equal(together, again)
    np.testing.assert_allclose(chunked, together, rtol=1e-5)
    alone = make_adgan_scorer(generator, cfg, points_per_call=1)
    for i in (0, 2):
        np.testing.assert_allclose(alone(x[i:i + 1])["score"].numpy()[0], together[i], rtol=1e-5)
    reordered = make_adgan_scorer(generator, cfg, points_per_call=3)(x[::-1])["score"].numpy()
    np.testing.assert_allclose(reordered[::-1], together, rtol=1e-5)
    other_seed = ADGANSearchConfig(n_seeds=2, steps=2, theta_learning_rate=1e-3, seed=1)
    assert not np.allclose(adgan_search(generator, x, other_seed)["score"].numpy(), together)


def test_zero_steps_scores_the_starts_and_empty_batch(generator):
    cfg = ADGANSearchConfig(n_seeds=2, steps=0)
    x = images(2, 4)
    out = adgan_search(generator, x, cfg)
    z0 = tf.random.stateless_normal([2, generator.latent_dim], seed=tf.constant([0, 0], tf.int64))
    want = ((x[:, None] - generator(z0).numpy()[None]) ** 2).sum(axis=(2, 3, 4))
    np.testing.assert_allclose(out["losses"].numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(out["score"].numpy(), want.mean(axis=1), rtol=1e-5)
    empty = make_adgan_scorer(generator, cfg, points_per_call=2)(np.zeros([0, 28, 28, 1], np.float32))
    assert empty["score"].shape == (0,)


def test_config_validation_and_memory_estimate(generator):
    with pytest.raises(ValueError, match="n_seeds"):
        ADGANSearchConfig(n_seeds=0)
    with pytest.raises(ValueError, match="learning rates"):
        ADGANSearchConfig(learning_rate=float("nan"))
    assert ADGANSearchConfig(theta_learning_rate=None).lr_theta == 0.025
    rows = 64 * 1_000_000
    assert search_memory_bytes(generator, ADGANSearchConfig()) == 64 * 845_601 * 40 + rows
    shared = search_memory_bytes(generator, ADGANSearchConfig(share_theta=True), points=2)
    assert shared == 2 * (845_601 * 40 + rows)


def test_search_runs_inside_a_saved_model(generator, tmp_path):
    cfg = ADGANSearchConfig(n_seeds=2, steps=2)
    module = tf.Module()
    module.generator = generator
    module.score = tf.function(lambda x: make_adgan_scorer(generator, cfg, 2)(x)["score"],
                               input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
    x = images(3, 2)
    want = module.score(x).numpy()
    tf.saved_model.save(module, str(tmp_path / "m"))
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.score(tf.constant(x)).numpy(), want, rtol=1e-6)


# --- the ADGAN detector and its export ----------------------------------------------------

@pytest.fixture(scope="module")
def adgan_detector():
    from tfgan_ad.detector import ADGANDetector
    det = ADGANDetector(model=SMALL_WGAN,
                        train=TrainConfig(epochs=1, batch_size=4, seed=3, progress=False),
                        search=ADGANSearchConfig(n_seeds=2, steps=2, theta_learning_rate=1e-3),
                        search_batch=3, points_per_call=2, threshold_sample=5)
    return det.fit(images(12, 1))


def test_adgan_detector_scores_with_the_ema_generator(adgan_detector):
    det = adgan_detector
    assert det.trainer.global_step == 3 and len(det.decision_scores_) == 5
    x = images(4, 8)
    got = det.score_samples(x)  # two calls of 3 and 1 rows
    with det.gan.ema.averaged():
        want = make_adgan_scorer(det.gan.generator, det.search_config, 2)(x)["score"].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)
    raw = make_adgan_scorer(det.gan.generator, det.search_config, 2)(x)["score"].numpy()
    assert not np.allclose(raw, want, rtol=1e-4)  # the EMA weights, not the raw ones
    assert det.threshold_ >= np.quantile(det.decision_scores_, 0.5)
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        det.score_samples(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match="search_batch"):
        type(det)(search_batch=0)


def test_adgan_detector_exports_the_search(adgan_detector, tmp_path):
    from tfgan_ad.data.mnist import to_pixels
    from tfgan_ad.export import export_saved_model
    det = adgan_detector
    x = images(3, 5)
    want = det.score_samples(x)
    path = export_saved_model(det, tmp_path, 1, {"name": "t"})
    loaded = tf.saved_model.load(str(path))
    out = loaded.signatures["score_features"](features=tf.constant(x))
    np.testing.assert_allclose(out["score"].numpy(), want, rtol=1e-5)
    np.testing.assert_array_equal(out["is_anomaly"].numpy(), (want >= det.threshold_).astype(int))
    px = loaded.signatures["serving_default"](pixels=tf.constant(to_pixels(x)))["score"].numpy()
    np.testing.assert_allclose(px, det.score_samples(to_pixels(x)[..., None] / 127.5 - 1.0),
                               rtol=1e-5)
    # only the generator is exported: the critic plays no part in the score
    assert not any("critic" in v.name for v in loaded.backing_variables)
    # the search loop is stored once, although three signatures run it
    from tensorflow.core.protobuf import saved_model_pb2
    sm = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    bodies = [f for f in sm.meta_graphs[0].graph_def.library.function
              if "while_body" in f.signature.name]
    assert len(bodies) == 1, [f.signature.name for f in bodies]


@pytest.mark.parametrize("field, value", [("steps", 1.5), ("n_seeds", 2.5), ("n_seeds", True),
                                          ("seed", -1)])
def test_search_counts_are_whole_numbers(field, value):
    """steps=1.5 or n_seeds=2.5 was taken and failed later in a traced TypeError."""
    with pytest.raises(ValueError, match=rf"^{field} must be an integer >= \d, got "):
        ADGANSearchConfig(**{field: value})
