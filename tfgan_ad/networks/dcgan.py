"""DCGAN-style generator and WGAN-GP critic for 28×28×1 images (ADGAN, Deecke et al. 2018).

ADGAN §4.2 fixes "the architecture of DCGAN" and a latent dimension d' = 256;
the sizes below are ours, kept small on purpose (≈0.85 M generator weights),
because the ADGAN search holds one copy of the generator's weights per search
path (64 per test point, see :mod:`tfgan_ad.scoring.adgan`):

======  ===================================================================
G(z)    z[256] → Dense 7·7·64 BN ReLU → ConvT 4×4/2 32 BN ReLU
        → ConvT 4×4/2 1 tanh
D(x)    Conv 4×4/2 64 LReLU(0.2) → Conv 4×4/2 128 LReLU(0.2) → Dense 1
======  ===================================================================

``width`` (default 1) multiplies every channel count of both nets (width 2:
stem 7·7·128, ConvT 64; critic 128, 256; ≈1.76 M generator weights).

Kernels N(0, 0.02), zero biases, BN γ = 1, β = 0 (as the other nets). The
critic has no BatchNorm: the WGAN-GP penalty is per sample, and batch
statistics would couple the samples (Gulrajani et al. 2017, §4).

The generator's forward pass is one pure function, :func:`generate`, of an
explicit parameter structure (:meth:`Generator.params`)::

    {"fc1":     {"kernel": [256, 3136], "bias": [3136]},
     "bn1":     {"gamma", "beta", "moving_mean", "moving_variance": [3136]},
     "deconv2": {"kernel": [4, 4, 32, 64], "bias": [32]},
     "bn2":     {"gamma", "beta", "moving_mean", "moving_variance": [32]},
     "deconv3": {"kernel": [4, 4, 1, 32], "bias": [1]}}

The Keras :class:`Generator` calls it on its own variables; the ADGAN search
calls it on P independent copies (every leaf with a leading *path* axis P,
z of shape [P, R, 256]: path p's weights applied to its own R rows). The
moving statistics may keep their unbatched shape [C] there: in the search BN
runs in inference mode, i.e. an affine map with constant moving statistics,
and only γ, β (part of θ) adapt.

Per-path transposed convolution (:func:`conv2d_transpose_paths`). Neither
``tf.nn.conv2d_transpose`` nor ``tf.vectorized_map`` over it batches over
kernels: pfor requires a loop-invariant filter for ``Conv2DBackpropInput``
and silently falls back to a ``while_loop``. Grouped convolution (paths as
groups) runs with oneDNN, but without it (``TF_ENABLE_ONEDNN_OPTS=0``, other
builds of TF Serving) its gradients fail ("not supported on CPU"), so an
exported search would not be portable. We use the sub-pixel decomposition: a
stride-s transposed convolution is s² ordinary convolutions interleaved;
output pixel s·q + r sees only the taps k ≡ r + pad (mod s) (2×2 of the 4×4
here) at input offsets q − d, d ∈ {−1, 0, 1}. One ``tf.gather`` with a
constant index collects every output position's 3×3 input neighbourhood, one
batched matmul (``einsum`` over paths) multiplies it by a per-path "phase
kernel" [9·C_in, 4·C_out] (the 4×4 taps scattered to the phases, zeros
elsewhere), and a reshape interleaves the phases. Its gradients are one
scatter-add and batched matmuls. Forward + backward, 64 paths of one row,
it took 34 + 11 ms for the two layers against 84 + 83 ms for four per-phase
matmuls on sliced inputs (whose 16 slice gradients each write a full-size
tensor) and 29 + 30 ms for oneDNN's grouped convolution; with 8 paths of 64
rows, 76 + 69 ms, as fast as 8 separate ``conv2d_transpose`` (69 + 62 ms).
It multiplies 9/4 × the minimal number of products (the zeros of the phase
kernel), which costs less than the many small ops it replaces. Tests check
it against ``tf.nn.conv2d_transpose``.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import tensorflow as tf

from tfgan_ad.networks.layers import LOGIT_DTYPE

LATENT_DIM = 256
IMAGE_SHAPE = (28, 28, 1)
LEAKY_SLOPE = 0.2
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99
_STEM = (7, 7, 64)

#: names of the BatchNorm constants (not part of θ in the ADGAN search)
MOVING = ("moving_mean", "moving_variance")


def _init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _lrelu(x):
    # max(x, 0.2·x) rather than the LeakyRelu op: Grappler's remapper fuses
    # Conv2D + BiasAdd + LeakyRelu and then fails ("Mutation::Apply error",
    # logged, optimisation skipped) on the gradient-penalty graph, which
    # differentiates LeakyReluGrad once more.
    return tf.maximum(x, LEAKY_SLOPE * x)


def _check_width(width) -> int:
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive integer (channel multiplier), got {width!r}")
    return int(width)


def generator_shapes(latent_dim: int = LATENT_DIM, width: int = 1) -> dict:
    """The parameter structure of :func:`generate` as {layer: {name: shape}}.

    ``width`` multiplies every channel count (1: the table above; 2: stem 128, then 64).
    """
    width = _check_width(width)
    h, w, c = _STEM
    c, c2 = c * width, 32 * width
    bn = lambda n: {"gamma": (n,), "beta": (n,), "moving_mean": (n,),
                    "moving_variance": (n,)}
    return {"fc1": {"kernel": (latent_dim, h * w * c), "bias": (h * w * c,)},
            "bn1": bn(h * w * c),
            "deconv2": {"kernel": (4, 4, c2, c), "bias": (c2,)},
            "bn2": bn(c2),
            "deconv3": {"kernel": (4, 4, IMAGE_SHAPE[-1], c2), "bias": (IMAGE_SHAPE[-1],)}}


def _phase_taps(kernel: int, stride: int):
    """For each output phase r: [(tap k, input offset d)] with out[s·q + r] = Σ x[q − d]·w[k].

    ``padding="same"`` (output = input · stride): the transposed convolution is the
    gradient of a SAME conv with stride s, whose leading pad is max(k − s, 0) // 2.
    """
    before = max(kernel - stride, 0) // 2
    return [[(k, (k - r - before) // stride) for k in range(kernel)
             if (k - r - before) % stride == 0] for r in range(stride)]


def _subpixel_plan(kernel: int, stride: int, h: int, w: int):
    """Constants of :func:`conv2d_transpose_paths` (numpy, built at trace time).

    Returns (pad_lo, pad_hi, gather indices into the padded, flattened input
    [h·w·n·n], tap indices [n·n·s·s] into the flattened kernel taps (k·k = a zero
    tap), n): n = number of distinct input offsets.
    """
    taps = _phase_taps(kernel, stride)
    offs = sorted({d for phase in taps for _, d in phase}, reverse=True)
    n = len(offs)
    lo, hi = max(max(offs), 0), max(-min(offs), 0)
    wp = w + lo + hi
    # x[q − d] = xp[q − d + lo]: the n×n neighbourhood of every output position q
    gather = np.array([(qy - dy + lo) * wp + (qx - dx + lo)
                       for qy in range(h) for qx in range(w) for dy in offs for dx in offs],
                      np.int32)
    tap = np.full((n, n, stride, stride), kernel * kernel, np.int32)
    for ry, phase_y in enumerate(taps):
        for ky, dy in phase_y:
            for rx, phase_x in enumerate(taps):
                for kx, dx in phase_x:
                    tap[offs.index(dy), offs.index(dx), ry, rx] = ky * kernel + kx
    return lo, hi, gather, tap.reshape(-1), n


def conv2d_transpose_paths(x, kernel, stride: int = 2):
    """Per-path ``conv2d_transpose(padding="same")`` for square kernels.

    Args:
        x: [P, R, H, W, C_in] (path p's R rows; H, W static).
        kernel: [P, k, k, C_out, C_in] (Keras/TF transposed-conv layout, per path).
    Returns:
        [P, R, H·s, W·s, C_out], path p's rows convolved with path p's kernel.
    """
    k, c_out, c_in = kernel.shape[1], kernel.shape[3], kernel.shape[4]
    h, w = x.shape[2], x.shape[3]
    lo, hi, gather, tap, n = _subpixel_plan(k, stride, h, w)
    xs, ks = tf.shape(x), tf.shape(kernel)
    xp = tf.pad(x, [[0, 0], [0, 0], [lo, hi], [lo, hi], [0, 0]])
    xp = tf.reshape(xp, [xs[0], xs[1], (h + lo + hi) * (w + lo + hi), c_in])
    cols = tf.reshape(tf.gather(xp, gather, axis=2), [xs[0], xs[1], h, w, n * n * c_in])
    # phase kernel [P, n·n·C_in, s·s·C_out]: the taps each phase uses, zeros elsewhere
    taps = tf.reshape(kernel, [ks[0], k * k, c_out, c_in])
    taps = tf.concat([taps, tf.zeros_like(taps[:, :1])], axis=1)
    pk = tf.reshape(tf.gather(taps, tap, axis=1), [ks[0], n * n, stride * stride, c_out, c_in])
    pk = tf.reshape(tf.transpose(pk, [0, 1, 4, 2, 3]), [ks[0], n * n * c_in,
                                                         stride * stride * c_out])
    y = tf.einsum("prhwc,pco->prhwo", cols, pk)  # one batched matmul over paths
    y = tf.reshape(y, [xs[0], xs[1], h, w, stride, stride, c_out])
    y = tf.transpose(y, [0, 1, 2, 4, 3, 5, 6])  # interleave the phases
    return tf.reshape(y, [xs[0], xs[1], h * stride, w * stride, c_out])


def _per_channel(v, paths: bool, rank: int):
    """Broadcast a per-channel vector ([C], or [P, C] per path) against a rank-``rank`` tensor."""
    v = tf.convert_to_tensor(v)
    if paths and len(v.shape) == 2:
        return tf.reshape(v, [tf.shape(v)[0]] + [1] * (rank - 2) + [v.shape[-1]])
    return v


def _batch_norm(h, p, paths, training, moments, name):
    rank = h.shape.rank
    gamma = _per_channel(p["gamma"], paths, rank)
    beta = _per_channel(p["beta"], paths, rank)
    if training:
        mean, var = tf.nn.moments(h, axes=list(range(rank - 1)))
        moments[name] = (mean, var)
    else:
        mean = _per_channel(p["moving_mean"], paths, rank)
        var = _per_channel(p["moving_variance"], paths, rank)
    return (h - mean) * (gamma * tf.math.rsqrt(var + BN_EPSILON)) + beta


def generate(params, z, training=False, return_moments=False):
    """The generator G_θ(z): the architecture's only definition.

    Args:
        params: the structure of :func:`generator_shapes` (tensors or variables).
            With a leading path axis P on the trainable leaves (``fc1`` kernel of
            rank 3), P independent generators run side by side.
        z: [N, latent] for unbatched params; [P, R, latent] for per-path params.
        training: BatchNorm with batch statistics (unbatched params only); the
            caller updates the moving averages from the returned moments.
        return_moments: also return {"bn1": (mean, var), "bn2": ...} (training only).

    Returns:
        images in [-1, 1], [N, 28, 28, 1] (or [P, R, 28, 28, 1]); with
        ``return_moments``, ``(images, moments)``.
    """
    paths = len(params["fc1"]["kernel"].shape) == 3
    if paths and training:
        raise ValueError("per-path generate runs BatchNorm in inference mode only")
    latent = params["fc1"]["kernel"].shape[-2]
    want = 3 if paths else 2
    if z.shape.rank != want or z.shape[-1] != latent:
        raise ValueError(f"generator input z must have shape "
                         f"{'(paths, rows, ' if paths else '(batch, '}{latent}), "
                         f"got {tuple(z.shape)}")
    moments = {}
    fc, d2, d3 = params["fc1"], params["deconv2"], params["deconv3"]
    if paths:
        h = tf.einsum("prk,pkn->prn", z, fc["kernel"]) + _per_channel(fc["bias"], True, 3)
    else:
        h = tf.matmul(z, fc["kernel"]) + fc["bias"]
    h = tf.nn.relu(_batch_norm(h, params["bn1"], paths, training, moments, "bn1"))
    lead = tf.shape(z)[:-1]
    stem = (*_STEM[:2], d2["kernel"].shape[-1])  # the stem's channels: deconv2's input
    h = tf.reshape(h, tf.concat([lead, stem], axis=0))
    if paths:
        h = conv2d_transpose_paths(h, d2["kernel"]) + _per_channel(d2["bias"], True, 5)
    else:
        h = _conv_t(h, d2["kernel"]) + d2["bias"]
    h = tf.nn.relu(_batch_norm(h, params["bn2"], paths, training, moments, "bn2"))
    if paths:
        h = conv2d_transpose_paths(h, d3["kernel"]) + _per_channel(d3["bias"], True, 5)
    else:
        h = _conv_t(h, d3["kernel"]) + d3["bias"]
    x = tf.tanh(h)
    return (x, moments) if return_moments else x


def standing_statistics(generator: "Generator", n_batches: int = 100, batch_size: int = 64,
                        seed: int = 0) -> dict:
    """BatchNorm statistics of ``generator``'s *current* weights: {"bn1": (mean, var), ...},
    each the mean over ``n_batches`` batches of z ~ N(0, I) of that batch's moments (what the
    moving averages estimate, but for these weights alone).

    The moving averages follow the live weights of their last ~100 updates (momentum 0.99); the
    EMA weights are an average over many more, so under :meth:`EMA.averaged` they pair
    with statistics of other weights. Computing "standing" statistics for the weights in
    use (BigGAN's "standing statistics" for its EMA generator, Brock et al. 2019) removes the
    mismatch; :func:`moving_statistics` installs them for a ``with`` block.
    """
    if n_batches < 1 or batch_size < 2:
        raise ValueError(f"need n_batches >= 1 and batch_size >= 2, got {n_batches}, {batch_size}")
    params = generator.params()
    sums = {}
    for i in range(n_batches):
        z = tf.random.stateless_normal([batch_size, generator.latent_dim], seed=[seed, i])
        _, moments = generate(params, z, training=True, return_moments=True)
        for name, (mean, var) in moments.items():
            m, v = sums.get(name, (0.0, 0.0))
            sums[name] = (m + mean, v + var)
    return {name: (m / n_batches, v / n_batches) for name, (m, v) in sums.items()}


@contextlib.contextmanager
def moving_statistics(generator: "Generator", stats: dict):
    """``with moving_statistics(g, stats):`` the BatchNorm moving statistics hold ``stats``
    ({"bn1": (mean, var), ...}); on leaving, even on an error, every one of them (all taken
    before the first assignment) is put back exactly."""
    params = generator.params()
    bn_layers = sorted(name for name, leaves in params.items() if MOVING[0] in leaves)
    unknown = sorted(set(stats) - set(bn_layers))
    if unknown:
        raise ValueError(f"no BatchNorm layer named {unknown} in the generator; it has {bn_layers}")
    saved = [(v, v.numpy()) for name in stats for v in
             (params[name]["moving_mean"], params[name]["moving_variance"])]
    try:
        for name, (mean, var) in stats.items():
            params[name]["moving_mean"].assign(mean)
            params[name]["moving_variance"].assign(var)
        yield
    finally:
        for v, value in saved:
            v.assign(value)


def _conv_t(x, kernel, stride=2):
    """``tf.nn.conv2d_transpose`` with ``padding="same"`` (output = input · stride)."""
    s = tf.shape(x)
    out = tf.stack([s[0], s[1] * stride, s[2] * stride, tf.shape(kernel)[2]])
    return tf.nn.conv2d_transpose(x, kernel, out, stride, padding="SAME")


@keras.saving.register_keras_serializable(package="tfgan_ad.dcgan")
class Generator(keras.Model):
    """G(z): latent code [N, 256] → 28×28×1 image in [-1, 1] (ADGAN §4.2, DCGAN-style).

    Its call is :func:`generate` on its own variables; with ``training=True``
    BatchNorm uses the batch statistics and updates the moving averages
    (momentum 0.99, as the other nets).

    Args:
        latent_dim: width of z (256 in the paper).
        width: channel multiplier (1: the module table).

    Example:
        >>> g = Generator()
        >>> x = g(tf.random.normal([8, 256]))             # [8, 28, 28, 1]
        >>> x2 = generate(g.params(), tf.random.normal([8, 256]))

    Reference: Deecke et al., "Image anomaly detection with generative
    adversarial networks", ECML 2018, §4.2; Radford et al. 2016 (DCGAN).
    """

    def __init__(self, latent_dim=LATENT_DIM, width=1, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.width = _check_width(width)
        self._shapes = generator_shapes(latent_dim, self.width)
        for layer, leaves in self._shapes.items():
            for leaf, shape in leaves.items():
                if leaf == "kernel":
                    init = _init()
                elif leaf in ("gamma", "moving_variance"):
                    init = "ones"
                else:
                    init = "zeros"
                # one attribute per variable: what tf.train.Checkpoint tracks
                setattr(self, f"{layer}_{leaf}", self.add_weight(
                    shape=shape, initializer=init, trainable=leaf not in MOVING,
                    autocast=leaf not in MOVING,  # running statistics stay float32
                    # under tf.distribute, replicas average their statistics' updates
                    aggregation="mean" if leaf in MOVING else "none",
                    name=f"{layer}_{leaf}"))
        self.built = True

    def params(self) -> dict:
        """The variables, in the structure :func:`generate` takes."""
        return {layer: {leaf: getattr(self, f"{layer}_{leaf}") for leaf in leaves}
                for layer, leaves in self._shapes.items()}

    def call(self, z, training=False):
        # under a mixed-precision policy the math runs in the compute dtype; the
        # variables (and the BatchNorm moving statistics) stay float32
        dtype = self.compute_dtype
        z = tf.cast(z, dtype)
        params = self.params()
        cast = {layer: {leaf: tf.cast(v, dtype) for leaf, v in leaves.items()}
                for layer, leaves in params.items()}
        if not training:
            return generate(cast, z)
        x, moments = generate(cast, z, training=True, return_moments=True)
        for name, (mean, var) in moments.items():
            p = params[name]
            mean, var = tf.cast(mean, tf.float32), tf.cast(var, tf.float32)
            p["moving_mean"].assign(BN_MOMENTUM * p["moving_mean"] + (1 - BN_MOMENTUM) * mean)
            p["moving_variance"].assign(BN_MOMENTUM * p["moving_variance"]
                                        + (1 - BN_MOMENTUM) * var)
        return x

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "width": self.width}


@keras.saving.register_keras_serializable(package="tfgan_ad.dcgan")
class Critic(keras.Model):
    """D(x): 28×28×1 image → unbounded critic value [N, 1] (WGAN-GP; no BatchNorm).

    Reference: Deecke et al. 2018, §4.2 (WGAN objective, DCGAN architecture);
    Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", §4.
    """

    def __init__(self, width=1, **kwargs):
        super().__init__(**kwargs)
        self.width = _check_width(width)
        conv = lambda f, n: keras.layers.Conv2D(
            f, 4, strides=2, padding="same", kernel_initializer=_init(),
            bias_initializer="zeros", name=n)
        self.conv1 = conv(64 * self.width, "conv1")
        self.conv2 = conv(128 * self.width, "conv2")
        self.fc = keras.layers.Dense(1, kernel_initializer=_init(), bias_initializer="zeros",
                                     name="fc_critic", dtype=LOGIT_DTYPE)
        self(tf.zeros((1, *IMAGE_SHAPE)))

    def call(self, x, training=False):
        if x.shape.rank != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
            raise ValueError(f"critic input x must have shape (batch, 28, 28, 1), "
                             f"got {tuple(x.shape)}")
        h = _lrelu(self.conv1(x))
        h = _lrelu(self.conv2(h))
        return self.fc(tf.reshape(h, [tf.shape(h)[0], 7 * 7 * 128 * self.width]))

    def get_config(self):
        return {**super().get_config(), "width": self.width}
