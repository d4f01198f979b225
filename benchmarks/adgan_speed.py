"""ADGAN scoring speed: the vectorised search against the plain per-point, per-seed loop.

On the same test points and generator, times test points/s of
:func:`tfgan_ad.scoring.adgan.make_adgan_scorer` (all points × seeds of a
chunk as paths of one ``tf.function``; ``--points_per_call`` points at a
time, traced and warmed up by one untimed call on the same input first) and of the oracle of
tests/adgan_oracle.py (one eager Keras-Adam search per point and seed), checks
that both give the same scores (``allclose``) and prints the speed ratio.
Timing does not depend on the weights' values, so the generator is freshly
initialised (BN statistics from a few training-mode batches). The oracle is
slow (~0.1-0.2 s per search, 64 searches a point): ``--oracle_points`` scores
only the first points with it. Writes benchmarks/results/adgan_speed.json.

    python benchmarks/adgan_speed.py --points=16 --oracle_points=4
    python benchmarks/adgan_speed.py --jit_compile --points=8 --oracle_points=2 --theta=per_seed,shared
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from absl import app, flags

from tfgan_ad.runs import set_threads, share_theta_values
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_integer("points", 16, "test points scored by the vectorised search")
flags.DEFINE_integer("oracle_points", 4, "of which scored by the oracle loop too")
flags.DEFINE_integer("seeds", 64, "n_seeds (paper: 64)")
flags.DEFINE_integer("steps", 5, "Adam steps (paper: k = 5)")
flags.DEFINE_list("theta", ["per_seed"], "generator weights θ of the search to time, one "
                  "after the other in the same run: per_seed (the paper's) and/or shared (one θ "
                  "per point)")
flags.DEFINE_integer("points_per_call", 0, "points per search chunk (0 = fit in 2 GB)")
flags.DEFINE_bool("jit_compile", False, "compile the vectorised search with XLA")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_float("rtol", 1e-4, "tolerance of the score agreement check")
flags.DEFINE_string("out", "benchmarks/results/adgan_speed.json", "results file")


def main(_):
    set_threads(FLAGS.threads)
    import tensorflow as tf

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tfgan_ad.networks import dcgan

    if not 1 <= FLAGS.oracle_points <= FLAGS.points:
        raise app.UsageError("need 1 <= --oracle_points <= --points")
    try:
        sharing = share_theta_values(FLAGS.theta)
    except ValueError as e:
        raise app.UsageError(str(e)) from None
    tf.keras.utils.set_random_seed(0)
    gen = dcgan.Generator(name="generator")
    for _ in range(3):
        gen(tf.random.normal([64, gen.latent_dim]), training=True)
    rng = np.random.default_rng(0)
    x = np.tanh(rng.normal(size=(FLAGS.points, 28, 28, 1))).astype(np.float32)
    results = [_time_option(gen, x, share) for share in sharing]
    if len(results) == 2:
        a, b = (r["vectorised_points_per_s"] for r in results)
        print(f"vectorised, {FLAGS.theta[1]} θ against {FLAGS.theta[0]} θ in the same run: "
              f"{b / a:.2f}x the points/s", flush=True)
    out = {"benchmark": "adgan_speed", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "results": results}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")
    if not all(r["scores_allclose"] for r in results):
        raise SystemExit("vectorised and oracle scores differ")


def _time_option(gen, x, share_theta: bool) -> dict:
    """Points/s of the vectorised search and of the oracle loop on ``x`` (one θ per seed or,
    with ``share_theta``, per point), and whether their scores agree."""
    from adgan_oracle import OracleSearch

    from tfgan_ad.scoring.adgan import (
        ADGANSearchConfig,
        make_adgan_scorer,
        points_per_call_for,
        search_memory_bytes,
    )

    cfg = ADGANSearchConfig(n_seeds=FLAGS.seeds, steps=FLAGS.steps, share_theta=share_theta)
    # the points searched at once: the search never chunks more than the points it is given
    ppc = min(FLAGS.points_per_call or points_per_call_for(gen, cfg), len(x))
    scorer = make_adgan_scorer(gen, cfg, points_per_call=ppc, jit_compile=FLAGS.jit_compile)
    t0 = time.perf_counter()
    scorer(x)["score"].numpy()  # trace + warm-up, on the timed shape (no retrace when timed)
    trace_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vec = scorer(x)["score"].numpy()
    vec_s = time.perf_counter() - t0

    oracle = OracleSearch(gen, cfg)
    t0 = time.perf_counter()
    ref = oracle(x[:FLAGS.oracle_points])["score"]
    oracle_s = time.perf_counter() - t0

    n_ref = FLAGS.oracle_points
    agree = bool(np.allclose(vec[:n_ref], ref, rtol=FLAGS.rtol, atol=0.0))
    max_rel = float(np.max(np.abs(vec[:n_ref] / ref - 1.0)))
    vec_pps, oracle_pps = FLAGS.points / vec_s, n_ref / oracle_s
    rec = {"points": FLAGS.points, "oracle_points": n_ref, "seeds": FLAGS.seeds,
           "steps": FLAGS.steps, "share_theta": share_theta, "points_per_call": ppc,
           "jit_compile": FLAGS.jit_compile,
           "estimated_bytes_per_call": search_memory_bytes(gen, cfg, ppc),
           "trace_and_warmup_s": trace_s, "vectorised_points_per_s": vec_pps,
           "oracle_points_per_s": oracle_pps, "speedup": vec_pps / oracle_pps,
           "scores_allclose": agree, "max_relative_difference": max_rel, "rtol": FLAGS.rtol}
    print(f"ADGAN {FLAGS.seeds} seeds x {FLAGS.steps} steps, share_theta={share_theta}, "
          f"{ppc} points/call: vectorised {vec_pps:.3f} points/s ({FLAGS.points} points), "
          f"oracle loop {oracle_pps:.3f} points/s ({n_ref} points), "
          f"ratio {rec['speedup']:.2f}x; scores allclose: {agree} (max rel. diff {max_rel:.1e})",
          flush=True)
    return rec


if __name__ == "__main__":
    app.run(main)
