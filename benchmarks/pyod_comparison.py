"""tfgan_ad next to PyOD (ALAD and AnoGAN, PyTorch) on the same KDD99 split, in one run.

Run it in an environment with ``pip install pyod torch==2.13.0`` (CPU wheel) and
tfgan_ad; it writes benchmarks/results/pyod_comparison.json.

Both libraries get the same features: the paper split of seed ``--seed`` through
tfgan_ad's ``log_minmax`` preprocessor fitted on the training rows (PyOD then
applies its own default standardisation, as a PyOD user would). Per model:
training seconds per epoch (one pass over the training rows), scoring rows/s on
the test rows (mean of ``--repeats`` timed calls of the public scoring method,
``decision_function``), and F1 with the paper's rule (top 20% of test scores
flagged). Each library's training wall time includes everything its ``fit``
does per pass; the time ``fit`` then spends scoring the training rows is
measured separately and subtracted.

- **BiGAN (tfgan_ad)**: the ``stable`` KDD99 recipe (Table 6 nets, Adam 1e-4,
  batch 50, ``--epochs`` epochs), one run (no restarts), σ score.
- **ALAD (PyOD)**: widths of the ALAD/EGBAD KDD99 nets (encoder 64 → 32,
  decoder 64 → 128 → 121, D_xz and D_xx 128, D_zz 64), latent 32, batch 50,
  Adam 1e-4, dropout 0.2, PyOD's other defaults. PyOD's ``epochs`` counts
  mini-batches (each ``fit`` iteration shuffles the whole array and trains on its
  first ``batch_size`` rows), so one pass over the data is N // 50 of them;
  ``--alad_passes`` passes are trained.
- **AnoGAN (both)**: PyOD's ``AnoGAN.fit`` runs its latent query for every
  training row, one row at a time in Python, so both AnoGANs train on a seeded
  sample of ``--anogan_train_rows`` training rows for ``--anogan_epochs`` epochs
  and score a stratified seeded sample of ``--anogan_test_rows`` test rows (same
  rows for both). tfgan_ad: Table 5 nets, Adam 1e-4, batch 50, 500-step search
  (σ); PyOD: the same widths, batch 50, its 20-step query.

    /work/pyodenv/bin/python benchmarks/pyod_comparison.py
"""

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from absl import app, flags

from tfgan_ad.runs import set_threads
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_integer("seed", 0, "split, data order and initial weights")
flags.DEFINE_integer("epochs", 10, "tfgan_ad BiGAN epochs (stable recipe: 10)")
flags.DEFINE_float("alad_passes", 1.0, "PyOD ALAD training passes over the data")
flags.DEFINE_integer("anogan_train_rows", 5000, "training rows for both AnoGANs")
flags.DEFINE_integer("anogan_test_rows", 2000, "test rows for both AnoGANs")
flags.DEFINE_integer("anogan_epochs", 10, "AnoGAN epochs over the sampled rows")
flags.DEFINE_integer("repeats", 3, "timed scoring calls")
flags.DEFINE_integer("threads", 0, "threads for TensorFlow and PyTorch (0 = all cores)")
flags.DEFINE_string("out", "benchmarks/results/pyod_comparison.json", "results file")


def timed(fn, repeats):
    """(result of the first call, mean and std seconds of ``repeats`` calls after it)."""
    out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return out, float(np.mean(times)), float(np.std(times, ddof=1) if repeats > 1 else 0.0)


def f1_top20(y, scores):
    from tfgan_ad import metrics
    return metrics.prf_top_fraction(y, np.asarray(scores, np.float64), 0.2)["f1"]


def main(_):
    set_threads(FLAGS.threads)
    import os

    import torch
    import pyod
    from pyod.models.alad import ALAD
    from pyod.models.anogan import AnoGAN

    from tfgan_ad import recipes
    from tfgan_ad.data.kdd99 import load_kdd99, paper_split
    from tfgan_ad.detector import AnoGANDetector, BiGANDetector
    from tfgan_ad.preprocessing import KDDPreprocessor
    from tfgan_ad.scoring.anogan import AnoGANSearchConfig
    from tfgan_ad.training.config import GANConfig

    torch.set_num_threads(FLAGS.threads or os.cpu_count())
    torch.manual_seed(FLAGS.seed)
    np.random.seed(FLAGS.seed)  # PyOD draws from numpy's global generator

    split = paper_split(load_kdd99(), FLAGS.seed)
    pre = KDDPreprocessor("log_minmax").adapt(split.train.as_inputs())
    x_train = pre(split.train.as_inputs()).numpy()
    x_test = pre(split.test.as_inputs()).numpy()
    y_test = split.y_test
    n, batch = len(x_train), 50
    steps_per_pass = n // batch
    print(f"seed {FLAGS.seed}: {n} training rows, {len(x_test)} test rows", flush=True)
    results = []

    pyod_name = f"pyod {pyod.__version__} (torch {torch.__version__})"

    def measure(library, model_name, detector, x_fit, x_score, y, epochs, **extra):
        """Fit, then time scoring; record training seconds per epoch, rows/s and F1."""
        t0 = time.perf_counter()
        detector.fit(x_fit)
        fit_s = time.perf_counter() - t0
        _, rescore_s, _ = timed(lambda: detector.decision_function(x_fit), 1)
        scores, s_mean, s_std = timed(lambda: detector.decision_function(x_score),
                                      FLAGS.repeats)
        rec = {"library": library, "model": model_name, "train_rows": len(x_fit),
               "epochs": epochs, "fit_seconds": fit_s,
               "train_seconds_per_epoch": (fit_s - rescore_s) / epochs, **extra,
               "test_rows": len(x_score), "score_seconds": s_mean,
               "score_seconds_std": s_std, "score_rows_per_second": len(x_score) / s_mean,
               "f1_top20": f1_top20(y, scores)}
        results.append(rec)
        print(json.dumps(rec), flush=True)
        return rec

    # -- tfgan_ad BiGAN ------------------------------------------------------------------
    stable = recipes.get("stable")
    det = BiGANDetector(model=stable.model, score=stable.score, contamination=0.02,
                        train=dataclasses.replace(stable.train, epochs=FLAGS.epochs,
                                                  seed=FLAGS.seed, progress=False))
    rec = measure("tfgan_ad", "BiGAN (EGBAD, sigma)", det, x_train, x_test, y_test,
                  FLAGS.epochs)
    rec["steady_state_seconds_per_epoch"] = steps_per_pass / det.trainer.steps_per_second

    # -- PyOD ALAD -------------------------------------------------------------------------
    alad_steps = int(round(FLAGS.alad_passes * steps_per_pass))
    alad = ALAD(enc_layers=[64], dec_layers=[64, 128], latent_dim=32,
                disc_xz_layers=[128], disc_xx_layers=[128], disc_zz_layers=[64],
                learning_rate_gen=1e-4, learning_rate_disc=1e-4, dropout_rate=0.2,
                epochs=alad_steps, batch_size=batch, contamination=0.02)
    measure(pyod_name, "ALAD", alad, x_train, x_test, y_test, alad_steps / steps_per_pass,
            train_steps=alad_steps)

    # -- AnoGAN, both, on the same samples -------------------------------------------------
    rng = np.random.default_rng([FLAGS.seed, 11])
    tr_rows = np.sort(rng.choice(n, FLAGS.anogan_train_rows, replace=False))
    frac = FLAGS.anogan_test_rows / len(x_test)
    te_rows = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(y_test == c), int(round(frac * np.sum(y_test == c))),
                   replace=False) for c in (0, 1)]))
    xa_train, xa_test, ya_test = x_train[tr_rows], x_test[te_rows], y_test[te_rows]
    ours = AnoGANDetector(model=GANConfig(learning_rate=1e-4),
                          search=AnoGANSearchConfig(variant="sigma"), contamination=0.02,
                          train=dataclasses.replace(stable.train, epochs=FLAGS.anogan_epochs,
                                                    seed=FLAGS.seed, progress=False))
    measure("tfgan_ad", "AnoGAN (sigma, 500 search steps)", ours, xa_train, xa_test, ya_test,
            FLAGS.anogan_epochs)
    theirs = AnoGAN(latent_dim_G=32, G_layers=[64, 128], D_layers=[256, 128, 128],
                    dropout_rate=0.2, learning_rate=1e-4, epochs=FLAGS.anogan_epochs,
                    batch_size=batch, contamination=0.02)
    measure(pyod_name, f"AnoGAN ({theirs.epochs_query} query steps)", theirs, xa_train,
            xa_test, ya_test, FLAGS.anogan_epochs)

    out = {"benchmark": "pyod_comparison", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "seed": FLAGS.seed,
           "data": f"KDD99 paper split seed {FLAGS.seed}, log_minmax features",
           "results": results}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
