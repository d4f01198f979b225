"""Sizes of the committed zoo artifacts against the repository's budget.

Measures what ``tests/test_zoo_models.py`` enforces: the total size of the files
under ``saved_models/`` (``zoo.size_bytes``) against ``zoo.SIZE_BUDGET_BYTES``,
plus each model version's size and its ``saved_model.pb`` (the graph).
Writes benchmarks/results/artifact_sizes.json.

    python benchmarks/artifact_sizes.py
"""

import json
from pathlib import Path

from absl import app, flags

from tfgan_ad import zoo
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_string("out", "benchmarks/results/artifact_sizes.json", "results file")


def main(_):
    base = zoo.root() / "saved_models"
    versions = []
    for directory in sorted(p for p in base.glob("*/*") if p.is_dir()):
        graph = directory / "saved_model.pb"
        versions.append({"model": directory.parent.name, "version": directory.name,
                         "bytes": zoo.size_bytes(directory),
                         "saved_model_pb_bytes": graph.stat().st_size if graph.exists() else None})
    total = zoo.size_bytes(base)
    record = {"benchmark": "artifact_sizes", "date": now(), "machine": machine(),
              "saved_models_bytes": total, "budget_bytes": zoo.SIZE_BUDGET_BYTES,
              "headroom_bytes": zoo.SIZE_BUDGET_BYTES - total,
              "smallest_version_bytes": min(v["bytes"] for v in versions),
              "versions": versions}
    Path(FLAGS.out).parent.mkdir(parents=True, exist_ok=True)
    Path(FLAGS.out).write_text(json.dumps(record, indent=1) + "\n")
    for v in versions:
        print(f"{v['model']}/{v['version']}: {v['bytes']:,} bytes "
              f"(saved_model.pb {v['saved_model_pb_bytes']:,})")
    print(f"saved_models/: {total:,} of {zoo.SIZE_BUDGET_BYTES:,} bytes; "
          f"headroom {record['headroom_bytes']:,}")


if __name__ == "__main__":
    app.run(main)
