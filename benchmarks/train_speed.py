"""Training speed of every trainer: steps/s, by precision, XLA and steps per call.

Trainers and data (the networks of the papers' tables):

- ``bigan_kdd99``, ``gan_kdd99``: EGBAD Tables 5-6 MLPs on the KDD99 paper split
  (seed 0, preprocessed training rows), batch 50; one step = a D update and a
  G(/E) update;
- ``bigan_mnist``, ``gan_mnist``: Tables 3-4 conv nets on 28×28 digits, batch 100;
- ``wgan_gp``: the DCGAN generator and critic of ADGAN, batch 64; one step =
  n_critic = 5 critic updates and one generator update.

For each trainer, precision (``float32``, ``mixed_bfloat16``) and XLA setting,
times ``--steps`` steps (``--conv_steps`` for the conv nets) after a warm-up that
traces the step, and prints steps/s and the seconds one epoch takes. The
``steps_per_call`` sweep (several steps per ``tf.function`` call) runs on
``bigan_kdd99`` in float32 without XLA. Conv nets train on random images
(speed does not depend on the pixels). Writes benchmarks/results/train_speed.json.

    python benchmarks/train_speed.py
"""

import json
import time
from pathlib import Path

import numpy as np
from absl import app, flags

from tfgan_ad.runs import set_threads
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_list("trainers", ["bigan_kdd99", "gan_kdd99", "bigan_mnist", "gan_mnist",
                               "wgan_gp"], "trainers to time")
flags.DEFINE_list("precisions", ["float32", "mixed_bfloat16"], "network precisions")
flags.DEFINE_list("jit", ["false", "true"], "XLA settings")
flags.DEFINE_integer("steps", 2000, "timed steps per setting, MLP trainers")
flags.DEFINE_integer("conv_steps", 20, "timed steps per setting, conv trainers")
flags.DEFINE_list("steps_per_call", ["1", "10", "100", "400"],
                  "steps-per-call sweep (bigan_kdd99, float32, no XLA)")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default, i.e. all cores)")
flags.DEFINE_string("out", "benchmarks/results/train_speed.json", "results file")

MNIST_TRAIN_ROWS = 14_400  # a typical EGBAD MNIST training split here (14,190-14,596)


def make(name, precision):
    """(model, batch size, training array, rows per epoch)."""
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig
    from tfgan_ad.training.gan import GAN, GANConfig
    from tfgan_ad.training.wgan_gp import WGANGP, WGANGPConfig

    if name == "wgan_gp":
        return WGANGP(WGANGPConfig(precision=precision)), 64, MNIST_TRAIN_ROWS
    arch = "kdd" if name.endswith("kdd99") else "mnist"
    kw = {} if arch == "kdd" else dict(architecture="mnist", latent_dim=200,
                                       learning_rate=1e-4, ema_decay=0.999, dropout=0.5)
    cls, cfg = (BiGAN, BiGANConfig) if name.startswith("bigan") else (GAN, GANConfig)
    return cls(cfg(precision=precision, **kw)), (50 if arch == "kdd" else 100), None


def time_steps(model, x, batch, steps, steps_per_call, jit):
    from tfgan_ad.training.trainer import Trainer, TrainConfig

    tr = Trainer(model, TrainConfig(epochs=10_000, batch_size=batch, progress=False,
                                    steps_per_call=steps_per_call, jit_compile=jit))
    tr.fit(x, until_step=max(2 * steps_per_call, 2))  # trace + warm up
    start, t0 = tr.global_step, time.perf_counter()
    tr.fit(x, until_step=start + steps)
    return (tr.global_step - start) / (time.perf_counter() - t0)


def main(_):
    set_threads(FLAGS.threads)
    from tfgan_ad.data.kdd99 import load_kdd99, paper_split
    from tfgan_ad.preprocessing import KDDPreprocessor

    split = paper_split(load_kdd99(), 0)
    x_kdd = KDDPreprocessor("log_minmax").adapt(split.train.as_inputs())(
        split.train.as_inputs()).numpy()
    x_img = np.random.default_rng(0).uniform(-1, 1, (2_000, 28, 28, 1)).astype(np.float32)
    rows = []

    def record(name, precision, jit, k, sps, batch, steps, n_epoch):
        per_epoch = n_epoch // batch
        rec = {"trainer": name, "precision": precision, "jit_compile": jit,
               "steps_per_call": k, "batch_size": batch, "timed_steps": steps,
               "steps_per_second": sps, "epoch_rows": n_epoch, "epoch_seconds": per_epoch / sps}
        rows.append(rec)
        print(f"{name:12s} {precision:15s} xla={str(jit):5s} steps/call={k:4d}: "
              f"{sps:8.1f} steps/s, epoch of {n_epoch} rows = {per_epoch / sps:7.1f} s",
              flush=True)

    for name in FLAGS.trainers:
        kdd = name.endswith("kdd99")
        x = x_kdd if kdd else x_img
        steps = FLAGS.steps if kdd else FLAGS.conv_steps
        k = 100 if kdd else 5
        for precision in FLAGS.precisions:
            for jit in (j == "true" for j in FLAGS.jit):
                model, batch, n_epoch = make(name, precision)
                n_epoch = n_epoch or (len(x_kdd) if kdd else MNIST_TRAIN_ROWS)
                try:
                    sps = time_steps(model, x, batch, steps, k, jit)
                except Exception as e:  # an XLA or kernel gap: recorded, not hidden
                    print(f"{name} {precision} xla={jit}: failed: {type(e).__name__}: "
                          f"{str(e)[:300]}", flush=True)
                    rows.append({"trainer": name, "precision": precision, "jit_compile": jit,
                                 "error": f"{type(e).__name__}: {str(e)[:300]}"})
                    continue
                record(name, precision, jit, k, sps, batch, steps, n_epoch)
    for k in map(int, FLAGS.steps_per_call):
        model, batch, _ = make("bigan_kdd99", "float32")
        sps = time_steps(model, x_kdd, batch, FLAGS.steps, k, False)
        record("bigan_kdd99", "float32", False, k, sps, batch, FLAGS.steps, len(x_kdd))
    out = {"benchmark": "train_speed", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "n_train_kdd99": len(x_kdd),
           "results": rows}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
