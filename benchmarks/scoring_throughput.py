"""KDD99 BiGAN scoring throughput (rows/s) against batch size, next to this CPU's FLOP ceiling.

Scores the paper protocol's test split (seed 0, ``--rows`` rows, already
preprocessed to the 121 model features) with the EGBAD Table 6 networks, for
each batch size in ``--batch_sizes``, each L_D variant, each precision
(``float32``, ``mixed_bfloat16``) and with and without XLA (``jit_compile``).
The whole split streams through one ``tf.function`` call: a sequential loop over
its batches (the last partial batch included), each batch one forward pass.
Each setting is timed ``--repeats`` times after a warm-up call; rows/s is
rows ÷ mean wall time. Preprocessing raw records is not included (see
``benchmarks/cli_score.py`` for the end-to-end command line).

FLOPs per row are counted from the networks: 2·in·out per Dense layer a score
evaluates (E, G, and D once for σ, twice for FM), plus the bias adds. The FLOP
ceiling is measured in the same run: the best of ``--repeats`` timings of a
4096×4096 matmul in float32 and in bfloat16 (what dense kernels on this CPU
can reach); the share is achieved FLOP/s ÷ the ceiling of the precision used.
Timing does not depend on the weights' values: the networks are freshly initialised.

    python benchmarks/scoring_throughput.py
"""

import json
import time
from pathlib import Path

import numpy as np
from absl import app, flags

from tfgan_ad.runs import set_threads
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_list("batch_sizes", ["50", "500", "5000", "50000"], "batch sizes")
flags.DEFINE_list("variants", ["sigma", "fm"], "L_D variants")
flags.DEFINE_list("precisions", ["float32", "mixed_bfloat16"], "network precisions")
flags.DEFINE_list("jit", ["false", "true"], "XLA settings")
flags.DEFINE_integer("rows", 0, "test rows to score (0: the whole test split)")
flags.DEFINE_integer("repeats", 5, "timed calls per setting")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default, i.e. all cores)")
flags.DEFINE_string("out", "benchmarks/results/scoring_throughput.json", "results file")


def dense_flops(layer_shapes) -> int:
    """FLOPs of one row through Dense layers given as (in, out) kernel shapes."""
    return sum(2 * i * o + o for i, o in layer_shapes)


def flops_per_row(bigan, variant: str) -> int:
    def kernels(net):
        return [tuple(w.shape) for w in net.weights if len(w.shape) == 2]

    d_calls = 1 if variant == "sigma" else 2
    return (dense_flops(kernels(bigan.encoder)) + dense_flops(kernels(bigan.generator))
            + d_calls * dense_flops(kernels(bigan.discriminator)))


def matmul_ceiling(tf, dtype, repeats: int, n: int = 4096) -> float:
    """Best measured FLOP/s of an n×n×n matmul in ``dtype``."""
    a = tf.random.stateless_normal([n, n], seed=[0, 1], dtype=tf.float32)
    a = tf.cast(a, dtype)
    fn = tf.function(lambda m: tf.reduce_sum(tf.cast(tf.matmul(m, m), tf.float32)))
    fn(a).numpy()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(a).numpy()
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best


def main(_):
    set_threads(FLAGS.threads)
    import tensorflow as tf

    from tfgan_ad.data.kdd99 import load_kdd99, paper_split
    from tfgan_ad.preprocessing import KDDPreprocessor
    from tfgan_ad.scoring.egbad import ScoreConfig, egbad_score
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig

    split = paper_split(load_kdd99(), 0)
    pre = KDDPreprocessor("log_minmax").adapt(split.train.as_inputs())
    x = pre(split.test.as_inputs()).numpy()
    if FLAGS.rows:
        x = x[:FLAGS.rows]
    n = len(x)
    ceilings = {"float32": matmul_ceiling(tf, tf.float32, FLAGS.repeats),
                "mixed_bfloat16": matmul_ceiling(tf, tf.bfloat16, FLAGS.repeats)}
    print(f"{n} rows; matmul ceiling float32 {ceilings['float32'] / 1e9:.1f} GFLOP/s, "
          f"bfloat16 {ceilings['mixed_bfloat16'] / 1e9:.1f} GFLOP/s", flush=True)
    rows = []
    for precision in FLAGS.precisions:
        tf.keras.utils.set_random_seed(0)
        bigan = BiGAN(BiGANConfig(precision=precision))
        for variant in FLAGS.variants:
            cfg = ScoreConfig(variant=variant)
            fpr = flops_per_row(bigan, variant)
            for jit in (j == "true" for j in FLAGS.jit):
                for b in map(int, FLAGS.batch_sizes):
                    full, rest = divmod(n, b)
                    head = tf.constant(x[:full * b].reshape(full, b, -1))
                    tail = tf.constant(x[full * b:])

                    def score(xb, cfg=cfg):
                        return egbad_score(bigan.encoder, bigan.generator,
                                           bigan.discriminator, xb, cfg)

                    @tf.function(jit_compile=jit)
                    def stream(head, tail, score=score):
                        out = tf.map_fn(score, head, parallel_iterations=1,
                                        fn_output_signature=tf.float32)
                        return tf.concat([tf.reshape(out, [-1]), score(tail)], 0)

                    got = stream(head, tail).numpy()
                    assert got.shape == (n,) and np.all(np.isfinite(got))
                    times = []
                    for _ in range(FLAGS.repeats):
                        t0 = time.perf_counter()
                        stream(head, tail).numpy()
                        times.append(time.perf_counter() - t0)
                    t = np.asarray(times)
                    rps = n / t.mean()
                    rec = {"precision": precision, "variant": variant, "jit_compile": jit,
                           "batch_size": b, "rows": n, "repeats": len(t),
                           "seconds_mean": float(t.mean()), "seconds_std": float(t.std(ddof=1)),
                           "rows_per_second": rps, "flops_per_row": fpr,
                           "gflops_per_second": rps * fpr / 1e9,
                           "ceiling_share": rps * fpr / ceilings[precision]}
                    rows.append(rec)
                    print(f"{precision:15s} {variant:5s} xla={str(jit):5s} batch {b:6d}: "
                          f"{rps:11,.0f} rows/s ({t.mean():.3f} ± {t.std(ddof=1):.3f} s), "
                          f"{rec['gflops_per_second']:.1f} GFLOP/s = "
                          f"{100 * rec['ceiling_share']:.1f}% of ceiling", flush=True)
    out = {"benchmark": "bigan_kdd99_scoring_throughput", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "data": "KDD99 paper split seed 0, test rows",
           "matmul_ceiling_flops_per_second": ceilings, "results": rows}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
