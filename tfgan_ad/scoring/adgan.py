"""ADGAN scoring: a joint search over latent codes and generator weights (Deecke et al. 2018).

For a test point x, ``n_seeds`` searches start from z_j ~ N(0, I); each seed j
follows its own path (z_j, θ_j) for ``steps`` Adam steps on
``ℓ = ‖x − g_θj(z_j)‖²`` (squared L2 over the image), θ_j starting from the
trained weights θ₀ for every test point. The score is the mean over seeds of
the final losses ℓ(x, g_θj,k(z_j,k)) (ADGAN §3, Algorithm 1; n_seed = 64,
k = 5, §4.2). ``share_theta=True`` is the cheaper variant in which the seeds of
a point share one θ (its loss is the sum over the seeds); z_j stay per seed.

Vectorisation. All searches of a call run side by side as *paths*:
``P = points × seeds`` paths of one row each (``share_theta``: P = points,
``n_seeds`` rows each). Every trainable leaf of θ gets a leading path axis
(:func:`tfgan_ad.networks.dcgan.generate` runs P generators at once with
batched matmuls), the loss is a sum of per-path terms, so each path's
gradient is exactly its own, and Adam is written out elementwise per path
(bias-corrected, Keras's form ``α_t = lr·sqrt(1 − β₂ᵗ)/(1 − β₁ᵗ)``,
``p ← p − α_t·m/(sqrt(v) + ε)``): paths never interact. The ``steps`` Adam
steps are unrolled when traced (5 in the paper), so each step's graph is
specialised (at the first, m = v = 0 and θ is the same for every path); one
test point or many, the search is one graph, usable inside an exported
SavedModel (pure TF, no Python state).

Starts. The seeds' starts z_1..z_S are one stateless draw from ``seed``, the
same S starts for every test point (as AnoGAN's shared z₀ in
:mod:`tfgan_ad.scoring.anogan`, and for the same reason: a start tied to a
point's position in the batch breaks batch independence, one tied to its
content changes with the last bit of a pixel). A point's score is therefore a
deterministic function of (x, weights, config), whatever else is in its batch.

BatchNorm runs in inference mode: an affine map with the moving statistics,
which are constants of the search; γ and β are part of θ and adapt.

Learning rates (the paper says only "Adam"; its footnote with the values is
missing from our copy of the text): ``learning_rate = 0.025`` for z and
``theta_learning_rate = 1e-5`` for θ, β = (0.9, 0.999), ε = 1e-8. Adam's
first steps move every coordinate by about the learning rate whatever the
gradient's scale. For z (coordinates ~N(0, 1)) 5 steps of 0.025 move z by at
most 0.125 per coordinate: a local refinement around each start. The same
step on θ would be drastic: the first layer's kernel is N(0, 0.02)-sized,
and a sign step of size lr on the 256 weights of a unit moves its
pre-activation by lr·Σ|z_k| ≈ 200·lr, about 600·lr standard deviations at
initialisation (16 at lr = 0.025): g_θ would fit any image within a step or
two and the score would stop separating classes. On an initialised generator
and in-distribution targets (8 seeds, 5 steps) z alone at 0.025 lowers the
loss by 16 %, θ alone by 11 % at 1e-5, 67 % at 1e-4 and 89 % at 1e-3; 1e-5
makes θ's share comparable to z's, "a small amount of flexibility" (§3), and
trained weights, larger than the initial ones, are moved relatively less.
Checked on holdout data (training-set digits, never test items;
experiments/mnist_adgan_validation.py → ``results/mnist_adgan_validation.json``):
for the class-0 WGAN-GP of the one-vs-all experiment, 80 holdout images, ROC-AUC
0.981 at θ 1e-5, 0.931 at 1e-4 (θ fits the anomalies too), 0.983 with z alone;
1e-5 stays the default. ``theta_learning_rate=None`` uses one rate for both.

Memory. Every path holds θ, Adam's m and v and θ's gradient: 4 arrays of the
generator's trainable size (845,601 floats for :mod:`tfgan_ad.networks.dcgan`,
3.4 MB each); during an update the old and new θ, m, v and the update's
transients coexist, and the measured peak is about 9.5 such arrays per path:
≈ 2.0 GB per test point at 64 seeds (peak RSS growth, 1 and 2 points per call;
``share_theta``: one path per point, ≈ 0.1 GB per point measured, mostly the
activations of its 64 rows, ≈ 1 MB each). :func:`search_memory_bytes`
estimates it and :func:`make_adgan_scorer` searches ``points_per_call``
points at a time in a sequential in-graph loop (``tf.map_fn``,
``parallel_iterations=1``), so memory stays bounded for any batch.

Speed. The first layer's kernel (802,816 of the 845,601 weights) dominates:
every step reads and writes it, with its Adam moments, once per path. Its
gradient is formed as the outer product z_j ⊗ ∂ℓ/∂b_j where Adam uses it, not
by the tape, which saves writing and re-reading a θ-sized gradient per step
(about 1.4× faster). ``jit_compile=True`` (XLA) fuses the updates and is faster
again on this CPU; it is off by default because an exported search would
then need XLA wherever it is served. The chunk size is static, so every shape
in the search is known when it is traced. Measured figures:
benchmarks/results/adgan_speed.json (``benchmarks/adgan_speed.py``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from tfgan_ad.networks.dcgan import IMAGE_SHAPE, MOVING, generate
from tfgan_ad.scoring.compile import compile_search
from tfgan_ad.validate import whole_number

#: generator-sized arrays per path at the peak: θ, m, v, gradient, the new θ, m, v
#: and the update's transients (measured ≈ 9.5, see the module doc)
ARRAYS_PER_PATH = 10
#: activations and their gradients per searched row (point × seed), measured
ACTIVATION_BYTES_PER_ROW = 1_000_000


@dataclass(frozen=True)
class ADGANSearchConfig:
    """Settings of the ADGAN search (defaults: ADGAN §4.2 and the module doc).

    Args:
        n_seeds: searches per test point (64).
        steps: Adam steps per search (k = 5).
        learning_rate: Adam step size for the latent codes z.
        theta_learning_rate: Adam step size for the generator weights θ
            (``None``: the same as ``learning_rate``).
        beta_1, beta_2, epsilon: Adam's, Keras's defaults except ε.
        share_theta: one θ per test point shared by its seeds (loss summed over
            the seeds) instead of one θ per seed.
        seed: the stateless seed of the starts z_j.
    """

    n_seeds: int = 64
    steps: int = 5
    learning_rate: float = 0.025
    theta_learning_rate: float | None = 1e-5
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    share_theta: bool = False
    seed: int = 0

    def __post_init__(self):
        whole_number("n_seeds", self.n_seeds, 1)
        whole_number("steps", self.steps, 0)
        whole_number("seed", self.seed, 0)
        lrs = (self.learning_rate, self.lr_theta)
        if any(not np.isfinite(lr) or lr < 0 for lr in lrs):
            raise ValueError(f"learning rates must be finite and >= 0, got {lrs}")
        if not (0.0 <= self.beta_1 < 1.0 and 0.0 <= self.beta_2 < 1.0):
            raise ValueError(f"Adam betas must be in [0, 1), got {(self.beta_1, self.beta_2)}")
        if self.epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {self.epsilon}")

    @property
    def lr_theta(self) -> float:
        return self.learning_rate if self.theta_learning_rate is None else self.theta_learning_rate

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def initial_latents(latent_dim: int, config: ADGANSearchConfig):
    """The seeds' starts z_1..z_S ~ N(0, I), [S, latent]: one stateless draw, shared by all points.

    Philox explicitly: "auto_select" may pick another generator on other
    devices, and the starts (hence the scores) would change. XLA implements even
    Philox differently, so :func:`make_adgan_scorer` draws them outside XLA.
    """
    return tf.random.stateless_normal([config.n_seeds, latent_dim],
                                      seed=tf.constant([config.seed, 0], tf.int64),
                                      alg="philox")


def split_params(generator):
    """(θ: trainable leaves, constants: BN moving statistics) of ``generator.params()``."""
    theta, consts = {}, {}
    for layer, leaves in generator.params().items():
        for leaf, v in leaves.items():
            (consts if leaf in MOVING else theta).setdefault(layer, {})[leaf] = \
                tf.convert_to_tensor(v)
    return theta, consts


def _merge(theta, consts):
    out = {layer: dict(leaves) for layer, leaves in theta.items()}
    for layer, leaves in consts.items():
        out.setdefault(layer, {}).update(leaves)
    return out


def _adam(p, g, m, v, lr, t, config):
    """One bias-corrected Adam step, elementwise (Keras's form)."""
    b1, b2 = config.beta_1, config.beta_2
    m = b1 * m + (1.0 - b1) * g
    v = b2 * v + (1.0 - b2) * tf.square(g)
    alpha = lr * tf.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
    return p - alpha * m / (tf.sqrt(v) + config.epsilon), m, v


def adgan_search(generator, x, config: ADGANSearchConfig = ADGANSearchConfig(),
                 z0=None) -> dict:
    """The ADGAN search for every row of ``x`` [N, 28, 28, 1], all points and seeds at once.

    Args:
        generator: a :class:`tfgan_ad.networks.dcgan.Generator` (anything with
            ``latent_dim`` and ``params()`` in the structure of :func:`generate`);
            θ₀ is read from its variables at call time (inside ``ema.averaged()``:
            the EMA weights).
        z0: the seeds' starts [S, latent] (default :func:`initial_latents`).

    Returns:
        ``score`` [N] (mean final loss over the seeds), ``losses`` [N, S] (final
        ‖x − g_θj(z_j)‖² per seed) and ``initial_losses`` [N, S] (at the starts).
    """
    x = tf.cast(x, tf.float32)
    if x.shape.rank != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise ValueError(f"ADGAN input x must have shape (batch, 28, 28, 1), got {tuple(x.shape)}")
    n, s = tf.shape(x)[0], config.n_seeds
    theta0, consts = split_params(generator)
    z0 = initial_latents(generator.latent_dim, config) if z0 is None else z0  # [S, L]
    z = tf.tile(z0[None], [n, 1, 1])  # [N, S, L]
    if config.share_theta:
        paths, target = n, x[:, None]  # path = point, rows = its seeds
    else:
        z = tf.reshape(z, [n * s, 1, generator.latent_dim])  # path = (point, seed), one row
        paths, target = n * s, tf.repeat(x, s, axis=0)[:, None]
    flat0 = tf.nest.flatten(theta0)
    theta = [tf.tile(v[None], [paths] + [1] * v.shape.rank) for v in flat0]

    def path_losses(z_, theta_):  # [P, R]
        params = _merge(tf.nest.pack_sequence_as(theta0, theta_), consts)
        return tf.reduce_sum(tf.square(target - generate(params, z_)), axis=[2, 3, 4])

    m_z, v_z = tf.zeros_like(z), tf.zeros_like(z)
    m_t, v_t = [tf.zeros_like(p) for p in theta], [tf.zeros_like(p) for p in theta]
    initial = None  # the losses at the starts (first step's forward pass)
    lr_z, lr_t = config.learning_rate, config.lr_theta
    # One row per path: the first layer's kernel gradient is the outer product
    # z_j ⊗ ∂ℓ/∂b_j (its bias gradient), formed where Adam consumes it rather than by
    # the tape, so that XLA fuses it into the update of that ~800k-weight kernel
    # instead of writing and re-reading a gradient as large as θ.
    names = [(layer, leaf) for layer in sorted(theta0) for leaf in sorted(theta0[layer])]
    assert len(names) == len(theta)  # tf.nest.flatten orders dict keys the same way
    kernel_i, bias_i = names.index(("fc1", "kernel")), names.index(("fc1", "bias"))
    outer = not config.share_theta
    sources = [i for i in range(len(theta)) if not (outer and i == kernel_i)]
    for t in range(config.steps):  # unrolled: each step is specialised (e.g. m = v = 0 at the first)
        with tf.GradientTape() as tape:
            tape.watch([z] + theta)
            losses = path_losses(z, theta)
            total = tf.reduce_sum(losses)  # a sum of per-path terms: no coupling
        if t == 0:
            initial = losses
        g_z, *g_src = tape.gradient(total, [z] + [theta[i] for i in sources])
        g_t = [None] * len(theta)
        for i, g in zip(sources, g_src):
            g_t[i] = g
        if outer:  # [P, 1, L] ⊗ [P, H] → [P, L, H]
            g_t[kernel_i] = z[:, 0, :, None] * g_t[bias_i][:, None, :]
        step = float(t + 1)
        z, m_z, v_z = _adam(z, g_z, m_z, v_z, lr_z, step, config)
        new = [_adam(*a, lr_t, step, config) for a in zip(theta, g_t, m_t, v_t)]
        theta, m_t, v_t = [o[0] for o in new], [o[1] for o in new], [o[2] for o in new]
    final = tf.reshape(path_losses(z, theta), [n, s])
    if initial is None:  # no steps: the starts are final
        initial = final
    return {"score": tf.reduce_mean(final, axis=1), "losses": final,
            "initial_losses": tf.reshape(initial, [n, s])}


def adgan_search_chunked(generator, x, config: ADGANSearchConfig = ADGANSearchConfig(),
                         points_per_call: int = 2, z0=None) -> dict:
    """:func:`adgan_search` over ``points_per_call`` points at a time (a sequential
    ``tf.map_fn``), so that memory is that of one chunk whatever the batch size."""
    if points_per_call < 1:
        raise ValueError(f"points_per_call must be >= 1, got {points_per_call}")
    x = tf.cast(x, tf.float32)
    n = tf.shape(x)[0]
    # a static chunk size: every shape inside the search is then known at trace
    # time, which makes the per-path kernels markedly faster than dynamic ones
    c = int(points_per_call)
    if x.shape[0] is not None:
        c = max(1, min(c, x.shape[0]))
    k = (n + c - 1) // c
    pad = tf.zeros(tf.concat([[k * c - n], tf.shape(x)[1:]], axis=0), x.dtype)
    chunks = tf.reshape(tf.concat([x, pad], axis=0), [k, c, *IMAGE_SHAPE])
    spec = {"score": tf.TensorSpec([None], tf.float32),
            "losses": tf.TensorSpec([None, config.n_seeds], tf.float32),
            "initial_losses": tf.TensorSpec([None, config.n_seeds], tf.float32)}
    out = tf.map_fn(lambda xc: adgan_search(generator, xc, config, z0), chunks,
                    fn_output_signature=spec, parallel_iterations=1)
    return {key: tf.reshape(v, tf.concat([[k * c], tf.shape(v)[2:]], axis=0))[:n]
            for key, v in out.items()}


def search_memory_bytes(generator, config: ADGANSearchConfig = ADGANSearchConfig(),
                        points: int = 1) -> int:
    """Estimated peak bytes of searching ``points`` points at once (see the module doc; the
    activation term, measured at width 1, scales with the generator's ``width``)."""
    size = sum(int(np.prod(v.shape)) for v in generator.trainable_variables)
    paths = points if config.share_theta else points * config.n_seeds
    rows = points * config.n_seeds
    width = getattr(generator, "width", 1)
    return paths * size * 4 * ARRAYS_PER_PATH + rows * ACTIVATION_BYTES_PER_ROW * width


def points_per_call_for(generator, config: ADGANSearchConfig = ADGANSearchConfig(),
                        memory_bytes: float = 2e9) -> int:
    """The most points per call whose search fits in ``memory_bytes`` (at least 1)."""
    return max(1, int(memory_bytes // search_memory_bytes(generator, config)))


def make_adgan_scorer(generator, config: ADGANSearchConfig = ADGANSearchConfig(),
                      points_per_call: int | None = None, jit_compile: bool = False):
    """A ``tf.function`` x [N, 28, 28, 1] → :func:`adgan_search` result, traced once per shape.

    ``points_per_call``: points searched at once (``None``: as many as fit in
    2 GB by :func:`points_per_call_for`); the chunks run one after another. With
    ``jit_compile`` XLA compiles the search from the same starts
    (:func:`tfgan_ad.scoring.compile.compile_search`).
    """
    ppc = points_per_call or points_per_call_for(generator, config)
    return compile_search(
        lambda x, z0: adgan_search_chunked(generator, x, config, ppc, z0),
        lambda x: initial_latents(generator.latent_dim, config), jit_compile)
