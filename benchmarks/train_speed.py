"""Training speed of the BiGAN trainer on KDD99 (EGBAD Table 6 networks, batch 50).

A training step is one D update plus one G/E update. Prints steps/s and the
seconds one KDD99 epoch takes (N // 50 steps of the paper protocol's training
split), for several ``steps_per_call`` values measured in the same run, and
writes benchmarks/results/train_speed.json.

    python benchmarks/train_speed.py --steps=3000
"""

import json
import time
from pathlib import Path

from absl import app, flags

from tfgan_ad.runs import set_threads
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_integer("steps", 3000, "timed steps per setting")
flags.DEFINE_list("steps_per_call", ["1", "10", "100", "400"], "settings to compare")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default, i.e. all cores)")
flags.DEFINE_string("out", "benchmarks/results/train_speed.json", "results file")


def main(_):
    set_threads(FLAGS.threads)
    from tfgan_ad.data.kdd99 import load_kdd99, paper_split
    from tfgan_ad.preprocessing import KDDPreprocessor
    from tfgan_ad.training.bigan import BiGAN, BiGANConfig
    from tfgan_ad.training.trainer import Trainer, TrainConfig

    split = paper_split(load_kdd99(), 0)
    x = KDDPreprocessor("log_minmax").adapt(split.train.as_inputs())(
        split.train.as_inputs()).numpy()
    steps_per_epoch = len(x) // 50
    rows = []
    for k in map(int, FLAGS.steps_per_call):
        gan = BiGAN(BiGANConfig())
        tr = Trainer(gan, TrainConfig(epochs=100, batch_size=50, steps_per_call=k,
                                      progress=False))
        tr.fit(x, until_step=max(2 * k, 200))  # trace + warm up
        start, t0 = int(tr.step), time.perf_counter()
        tr.fit(x, until_step=start + FLAGS.steps)
        dt = time.perf_counter() - t0
        sps = (int(tr.step) - start) / dt
        rows.append({"steps_per_call": k, "steps_per_second": sps,
                     "epoch_seconds": steps_per_epoch / sps, "timed_steps": int(tr.step) - start})
        print(f"steps_per_call={k:4d}: {sps:7.1f} steps/s, one KDD99 epoch "
              f"({steps_per_epoch} steps) = {steps_per_epoch / sps:5.1f} s")
    out = {"benchmark": "bigan_kdd99_train_speed", "date": now(), "machine": machine(),
           "threads": FLAGS.threads or "default", "batch_size": 50, "n_train": len(x),
           "results": rows}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
