"""EGBAD Table 2 analogue: mean ms per batch, BiGAN vs AnoGAN, measured in one run.

For each data set (KDD99: batch 50, Table 5/6 MLPs; MNIST: batch 100, Table 3/4
conv nets) and each L_D variant (σ, FM), times ``--batches`` batches of
BiGAN scoring (one compiled forward pass) and of AnoGAN scoring (the 500-step
latent search, one compiled while loop), after one warm-up batch, and prints
the speed-up. Two call forms are timed: ``concrete``, a concrete function with a
dynamic batch dimension, which is what a SavedModel signature serves, and
``polymorphic`` (``--polymorphic``, KDD99 by default), a ``tf.function`` called
directly, which traces the batch's static shape; on KDD99's small MLPs the
static shape makes the BiGAN batch markedly faster. ``--anogan_batches`` times
fewer AnoGAN batches than ``--batches`` (an MNIST AnoGAN batch takes ~20 s
here). Timing does not depend on the weights'
values, so the networks are freshly initialised. Writes benchmarks/results/inference_time.json.

    python benchmarks/inference_time.py --datasets=kdd99,mnist --batches=100
"""

import json
import time
from pathlib import Path

import numpy as np
from absl import app, flags

from tfgan_ad.runs import set_threads
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_list("datasets", ["kdd99", "mnist"], "kdd99 and/or mnist")
flags.DEFINE_integer("batches", 100, "timed batches per setting (paper: 100)")
flags.DEFINE_integer("anogan_batches", None, "timed AnoGAN batches if fewer than --batches "
                     "(an MNIST AnoGAN batch takes ~18 s here)")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_list("polymorphic", ["kdd99"], "data sets on which both scorers are also timed "
                  "through a polymorphic tf.function")
flags.DEFINE_string("out", "benchmarks/results/inference_time.json", "results file")

SETUP = {"kdd99": dict(batch=50, shape=(121,), latent=32),
         "mnist": dict(batch=100, shape=(28, 28, 1), latent=200)}


def _time(fn, batches, n):
    """Per-batch wall times (ms) of ``n`` calls, after one warm-up call; each call's
    result is fetched before the next starts."""
    np.asarray(fn(batches[0]))  # trace + warm-up
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        np.asarray(fn(batches[i % len(batches)]))
        times.append(1000 * (time.perf_counter() - t0))
    return np.asarray(times)


def main(_):
    set_threads(FLAGS.threads)
    import tensorflow as tf

    from tfgan_ad.scoring.anogan import AnoGANSearchConfig, make_anogan_scorer
    from tfgan_ad.scoring.egbad import ScoreConfig, egbad_score
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig
    from tfgan_ad.training.gan import GAN, GANConfig

    rows = []
    for name in FLAGS.datasets:
        s = SETUP[name]
        tf.keras.utils.set_random_seed(0)
        bigan = BiGAN(BiGANConfig(architecture=name.replace("99", ""), latent_dim=s["latent"]))
        gan = GAN(GANConfig(architecture=name.replace("99", ""), latent_dim=s["latent"]))
        rng = np.random.default_rng(0)
        batches = [tf.constant(rng.uniform(-1, 1, (s["batch"], *s["shape"])).astype(np.float32))
                   for _ in range(4)]
        for variant in ("sigma", "fm"):
            cfg = ScoreConfig(variant=variant)
            bigan_fn = tf.function(lambda x, cfg=cfg: egbad_score(
                bigan.encoder, bigan.generator, bigan.discriminator, x, cfg))
            anogan_fn = make_anogan_scorer(gan.generator, gan.discriminator,
                                           AnoGANSearchConfig(variant=variant))
            spec = tf.TensorSpec([None, *s["shape"]], tf.float32)
            calls = {"concrete": (bigan_fn.get_concrete_function(spec),
                                  anogan_fn.get_concrete_function(spec))}
            if name in FLAGS.polymorphic:
                calls["polymorphic"] = (bigan_fn, anogan_fn)
            for call, (b_fn, a_fn) in calls.items():
                t_bigan = _time(b_fn, batches, FLAGS.batches)
                n_anogan = min(FLAGS.anogan_batches or FLAGS.batches, FLAGS.batches)
                t_anogan = _time(lambda x, a_fn=a_fn: a_fn(x)["score"], batches, n_anogan)
                ms_bigan, ms_anogan = float(t_bigan.mean()), float(t_anogan.mean())
                rec = {"dataset": name, "variant": variant, "batch_size": s["batch"],
                       "call": call, "bigan_batches": len(t_bigan),
                       "anogan_batches": len(t_anogan), "bigan_ms_per_batch": ms_bigan,
                       "bigan_ms_std": float(t_bigan.std(ddof=1)),
                       "anogan_ms_per_batch": ms_anogan,
                       "anogan_ms_std": float(t_anogan.std(ddof=1)),
                       "speedup": ms_anogan / ms_bigan}
                rows.append(rec)
                print(f"{name:6s} {variant:5s} {call:11s} batch {s['batch']}: BiGAN "
                      f"{ms_bigan:8.3f} ± {rec['bigan_ms_std']:.3f} ms ({len(t_bigan)}), "
                      f"AnoGAN {ms_anogan:9.1f} ± {rec['anogan_ms_std']:.1f} ms "
                      f"({len(t_anogan)}), speed-up {rec['speedup']:,.0f}x", flush=True)
    out = {"benchmark": "inference_time_table2", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "anogan_steps": 500, "results": rows}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
