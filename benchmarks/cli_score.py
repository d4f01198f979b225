"""Streaming scoring with the command line: rows/s and peak RSS against file size.

Runs ``tfgan-ad score MODEL FILE`` as a separate process on the first N lines
of the KDD99 file and on the whole file, and reads the rows/s and peak RSS the
command prints. Peak RSS should not grow with the file (the command streams).
Writes benchmarks/results/cli_score.json.

    python benchmarks/cli_score.py --model=bigan_kdd99
"""

import gzip
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from absl import app, flags

from tfgan_ad.data.kdd99 import KDD99_FILE
from tfgan_ad.data.datadir import fetch
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "bigan_kdd99", "zoo model")
flags.DEFINE_list("rows", ["20000", "100000", "all"], "file sizes to score")
flags.DEFINE_string("out", "benchmarks/results/cli_score.json", "results file")

SUMMARY = re.compile(r"([\d,]+) rows scored, (\d+) bad rows, ([\d.]+) s, ([\d,]+) rows/s, "
                     r"peak RSS (\d+) MB")


def main(_):
    full = fetch(KDD99_FILE)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in FLAGS.rows:
            if n == "all":
                path = full
            else:
                path = Path(tmp) / f"first{n}.csv.gz"
                with gzip.open(full, "rt") as src, gzip.open(path, "wt") as dst:
                    dst.writelines(itertools.islice(src, int(n)))
            res = subprocess.run([sys.executable, "-m", "tfgan_ad.cli", "score", FLAGS.model,
                                  str(path), "-o", os.devnull, "--no-progress"],
                                 capture_output=True, text=True, check=True)
            m = SUMMARY.search(res.stderr)
            rec = {"rows": int(m.group(1).replace(",", "")), "bad_rows": int(m.group(2)),
                   "seconds": float(m.group(3)), "rows_per_second": int(m.group(4).replace(",", "")),
                   "peak_rss_mb": int(m.group(5)), "file": Path(path).name}
            rows.append(rec)
            print(f"{rec['rows']:>9,} rows: {rec['rows_per_second']:>9,} rows/s, "
                  f"peak RSS {rec['peak_rss_mb']} MB")
    out = {"benchmark": "cli_score", "model": FLAGS.model, "date": now(),
           "machine": machine(), "results": rows}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
