"""``tfgan-ad``: list, inspect, export and run zoo models from the shell.

    tfgan-ad list
    tfgan-ad info bigan_kdd99
    tfgan-ad score bigan_kdd99 kddcup.data_10_percent.gz -o scores.csv
    tfgan-ad export bigan_kdd99 /srv/models      # TF Serving model base path

``score`` streams the file in batches (memory does not grow with its size),
writes ``line,score,is_anomaly`` per record, and reports bad rows with their
line number on stderr (they are left out of the output).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _open_text(path: str):
    if path == "-":
        return sys.stdin
    p = Path(path)
    if not p.exists():
        raise SystemExit(f"tfgan-ad: input file not found: {p}")
    return gzip.open(p, "rt", newline="") if p.suffix == ".gz" else open(p, newline="")


def _batches(f, size: int):
    batch = []
    for i, line in enumerate(f, start=1):
        line = line.rstrip("\r\n")
        if not line:
            continue
        batch.append((i, line))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def cmd_score(args) -> int:
    import numpy as np
    import tensorflow as tf

    from tfgan_ad import zoo
    from tfgan_ad.errors import assertion_text
    model = zoo.load(args.model)
    serve = model.signature()
    out = open(args.output, "w") if args.output else sys.stdout
    out.write("line,score,is_anomaly\n")
    n_ok = n_bad = 0
    t0 = last = time.time()
    with _open_text(args.file) as f:
        for batch in _batches(f, args.batch_size):
            nums = [n for n, _ in batch]
            lines = np.array([s for _, s in batch], dtype=object)
            try:
                res = serve(records=tf.constant(lines))
                results = [(nums, res)]
            except tf.errors.InvalidArgumentError:
                results = []  # find the bad rows one by one, keep the good ones
                for n, s in batch:
                    try:
                        results.append(([n], serve(records=tf.constant([s]))))
                    except tf.errors.InvalidArgumentError as err:
                        n_bad += 1
                        print(f"line {n}: {assertion_text(err.message)}", file=sys.stderr)
            for ns, res in results:
                scores, flags = res["score"].numpy(), res["is_anomaly"].numpy()
                out.write("".join(f"{n},{s:.6g},{int(a)}\n" for n, s, a in zip(ns, scores, flags)))
                n_ok += len(ns)
            if args.progress and time.time() - last > 1.0:
                last = time.time()
                print(f"\r{n_ok:,} rows scored, {n_ok / (last - t0):,.0f} rows/s",
                      end="", file=sys.stderr)
    if out is not sys.stdout:
        out.close()
    dt = time.time() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\r{n_ok:,} rows scored, {n_bad} bad rows, {dt:.1f} s, {n_ok / max(dt, 1e-9):,.0f} "
          f"rows/s, peak RSS {rss_mb:.0f} MB", file=sys.stderr)
    return 1 if n_bad else 0


def cmd_list(args) -> int:
    from tfgan_ad import zoo
    for name in zoo.list():
        card = zoo.registry(name)["card"]
        print(f"{name}\t{card.get('summary', '')}")
    return 0


def cmd_info(args) -> int:
    from tfgan_ad import zoo
    reg = zoo.registry(args.model)
    zoo.verify(args.model)
    print(json.dumps(reg, indent=1))
    return 0


def cmd_export(args) -> int:
    """Copy a verified zoo SavedModel to ``DIR/<name>/<version>`` and write a models.config."""
    from tfgan_ad import zoo
    src = zoo.verify(args.model)
    reg = zoo.registry(args.model)
    base = Path(args.directory) / args.model
    dest = base / str(reg["version"])
    if dest.exists():
        raise SystemExit(f"tfgan-ad: {dest} exists; not overwritten")
    shutil.copytree(src, dest)
    config = Path(args.directory) / "models.config"
    entry = (f"  config {{\n    name: \"{args.model}\"\n    base_path: \"/models/{args.model}\"\n"
             f"    model_platform: \"tensorflow\"\n  }}\n")
    if not config.exists():
        config.write_text("model_config_list {\n" + entry + "}\n")
    elif f'name: "{args.model}"' not in config.read_text():
        text = config.read_text().rstrip().rstrip("}")
        config.write_text(text + entry + "}\n")
    print(f"exported {args.model} version {reg['version']} to {dest}; TF Serving config: {config}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tfgan-ad", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list zoo models").set_defaults(fn=cmd_list)
    p = sub.add_parser("info", help="show a model's registry entry and card")
    p.add_argument("model")
    p.set_defaults(fn=cmd_info)
    p = sub.add_parser("score", help="score a CSV/.gz file of raw records")
    p.add_argument("model")
    p.add_argument("file", help="CSV or .gz of raw records, one per line ('-' = stdin)")
    p.add_argument("-o", "--output", help="output CSV (default stdout)")
    p.add_argument("--batch-size", type=int, default=8192)
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(fn=cmd_score)
    p = sub.add_parser("export", help="copy a zoo model into a TF Serving model directory")
    p.add_argument("model")
    p.add_argument("directory")
    p.set_defaults(fn=cmd_export)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except Exception as err:  # a clear one-line error, not a traceback
        from tfgan_ad.zoo import ZooError
        if isinstance(err, (ZooError, FileNotFoundError, ValueError)):
            print(f"tfgan-ad: {err}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
