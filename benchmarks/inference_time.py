"""EGBAD Table 2 analogue: mean ms per batch, BiGAN vs AnoGAN, measured in one run.

For each data set (KDD99: batch 50, Table 5/6 MLPs; MNIST: batch 100, Table 3/4
conv nets) and each L_D variant (σ, FM), times ``--batches`` batches of AnoGAN
scoring (the 500-step latent search, one compiled while loop per batch, called
through a concrete function with a dynamic batch dimension, which is what a
SavedModel signature serves) and the same number of BiGAN batches (one compiled
forward pass each) in three call forms:

- ``concrete``: one call of the dynamic-batch concrete function per batch;
- ``polymorphic``: one call of a ``tf.function`` per batch, traced for the
  batch's static shape;
- ``streamed``: the batches stacked into one [n, batch, ...] tensor and scored
  one batch after the other by a sequential ``tf.map_fn`` (parallel_iterations=1)
  inside one call, so the per-call cost of the Python/TF runtime is paid once per
  stream, not once per batch. This is how a stream of records is scored in
  practice; every batch is still its own forward pass of ``batch`` rows.

The BiGAN forms are timed before and after the AnoGAN batches and pooled, so
both models see the same machine state. An AnoGAN batch pays one call cost too,
but it is below 0.2% of its time (compare ``concrete`` and ``streamed`` BiGAN
times). Timing does not depend on the weights' values, so the networks are
freshly initialised. Writes benchmarks/results/inference_time.json.

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
                     "(an MNIST AnoGAN batch takes ~20 s here); the record says how many")
flags.DEFINE_integer("stream_repeats", 5, "timed calls of the streamed BiGAN form, "
                     "before and after AnoGAN each")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("out", "benchmarks/results/inference_time.json", "results file")

SETUP = {"kdd99": dict(batch=50, shape=(121,), latent=32),
         "mnist": dict(batch=100, shape=(28, 28, 1), latent=200)}
FORMS = ("concrete", "polymorphic", "streamed")


def _time_calls(fn, batches, n):
    """Per-batch wall times (ms) of ``n`` calls, after one warm-up call; each call's
    result is fetched before the next starts."""
    np.asarray(fn(batches[0]))  # trace + warm-up
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        np.asarray(fn(batches[i]))
        times.append(1000 * (time.perf_counter() - t0))
    return times


def _time_stream(fn, stack, repeats):
    """Per-batch wall time (ms) of each of ``repeats`` calls scoring the whole stack."""
    np.asarray(fn(stack))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.asarray(fn(stack))
        times.append(1000 * (time.perf_counter() - t0) / int(stack.shape[0]))
    return times


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
        n = FLAGS.batches
        stack = tf.constant(rng.uniform(-1, 1, (n, s["batch"], *s["shape"])).astype(np.float32))
        batches = [stack[i] for i in range(n)]
        spec = tf.TensorSpec([None, *s["shape"]], tf.float32)
        for variant in ("sigma", "fm"):
            cfg = ScoreConfig(variant=variant)

            def score(x, cfg=cfg):
                return egbad_score(bigan.encoder, bigan.generator, bigan.discriminator, x, cfg)

            bigan_fn = tf.function(score)
            streamed = tf.function(lambda xs: tf.map_fn(score, xs, parallel_iterations=1))
            timers = {"concrete": lambda: _time_calls(bigan_fn.get_concrete_function(spec),
                                                      batches, n),
                      "polymorphic": lambda: _time_calls(bigan_fn, batches, n),
                      "streamed": lambda: _time_stream(streamed, stack, FLAGS.stream_repeats)}
            bigan_t = {form: timers[form]() for form in FORMS}
            anogan_fn = make_anogan_scorer(gan.generator, gan.discriminator,
                                           AnoGANSearchConfig(variant=variant))
            n_anogan = min(FLAGS.anogan_batches or n, n)
            t_anogan = np.asarray(_time_calls(
                lambda x, f=anogan_fn.get_concrete_function(spec): f(x)["score"],
                batches, n_anogan))
            for form in FORMS:
                bigan_t[form] += timers[form]()
            ms_anogan = float(t_anogan.mean())
            print(f"{name:6s} {variant:5s} batch {s['batch']}: AnoGAN {ms_anogan:9.1f} ± "
                  f"{t_anogan.std(ddof=1):.1f} ms ({len(t_anogan)} batches)", flush=True)
            for form in FORMS:
                t = np.asarray(bigan_t[form])
                rec = {"dataset": name, "variant": variant, "batch_size": s["batch"],
                       "bigan_call": form,
                       "bigan_timed_batches": n * len(t) if form == "streamed" else len(t),
                       "bigan_timings": len(t), "anogan_batches": len(t_anogan),
                       "bigan_ms_per_batch": float(t.mean()),
                       "bigan_ms_std": float(t.std(ddof=1)),
                       "anogan_ms_per_batch": ms_anogan,
                       "anogan_ms_std": float(t_anogan.std(ddof=1)),
                       "speedup": ms_anogan / float(t.mean())}
                rows.append(rec)
                print(f"    BiGAN {form:11s} {t.mean():8.3f} ± {t.std(ddof=1):.3f} ms "
                      f"-> speed-up {rec['speedup']:,.0f}x", flush=True)
    out = {"benchmark": "inference_time_table2", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "anogan_steps": 500,
           "note": "streamed: std is over calls that each score all batches "
                   "(per-batch mean of one call); other forms: std over single batches",
           "results": rows}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
