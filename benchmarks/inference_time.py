"""EGBAD Table 2 analogue: mean ms per batch, BiGAN vs AnoGAN, measured in one run.

For each data set (KDD99: batch 50, Table 5/6 MLPs; MNIST: batch 100, Table 3/4
conv nets) and each L_D variant (σ, FM), times ``--batches`` batches of
BiGAN scoring (one compiled forward pass) and of AnoGAN scoring (the 500-step
latent search, one compiled while loop), after one warm-up batch, and prints
the speed-up. Timing does not depend on the weights' values, so the networks
are freshly initialised. Writes benchmarks/results/inference_time.json.

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
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("out", "benchmarks/results/inference_time.json", "results file")

SETUP = {"kdd99": dict(batch=50, shape=(121,), latent=32),
         "mnist": dict(batch=100, shape=(28, 28, 1), latent=200)}


def _time(fn, batches, n):
    fn(batches[0])  # trace + warm-up
    t0 = time.perf_counter()
    for i in range(n):
        out = fn(batches[i % len(batches)])
    np.asarray(out)  # make sure the last batch finished
    return 1000 * (time.perf_counter() - t0) / n


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
            ms_bigan = _time(bigan_fn, batches, FLAGS.batches)
            ms_anogan = _time(lambda x: anogan_fn(x)["score"], batches, FLAGS.batches)
            rec = {"dataset": name, "variant": variant, "batch_size": s["batch"],
                   "batches": FLAGS.batches, "bigan_ms_per_batch": ms_bigan,
                   "anogan_ms_per_batch": ms_anogan, "speedup": ms_anogan / ms_bigan}
            rows.append(rec)
            print(f"{name:6s} {variant:5s} batch {s['batch']}: BiGAN {ms_bigan:8.3f} ms, "
                  f"AnoGAN {ms_anogan:9.1f} ms, speed-up {rec['speedup']:,.0f}x", flush=True)
    out = {"benchmark": "inference_time_table2", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "anogan_steps": 500, "results": rows}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
