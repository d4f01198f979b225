"""What searching all 5,000 test items per job (the issue's protocol) would cost here.

The one-vs-all run compares every method on a sample of each job's test split
(320 of 5,000 items) because ADGAN's search is slow on this CPU. This script
projects, from the search rates that run measured itself (its records'
``search_points_per_second``, two single-thread job processes side by side, one
per CPU), the time ADGAN's search would need for the items not yet searched.
Generator training (the work dir does not survive between sessions, so the 20
WGAN-GPs would be retrained) is not counted.

    python experiments/mnist_adgan_protocol_cost.py

Writes experiments/results/mnist_adgan_protocol_cost.json and prints it.
"""

import json
from pathlib import Path

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("records", "experiments/results/mnist_adgan_n320.json",
                    "one-vs-all results file whose ADGAN rates are projected")
flags.DEFINE_string("out", "experiments/results/mnist_adgan_protocol_cost.json", "results file")
flags.DEFINE_integer("processes", 2, "job processes run side by side (one per CPU here)")


def main(_):
    from tfgan_ad.runs.one_vs_all import OneVsAllRun, record_variant, run_variant
    from tfgan_ad.runs.results import now

    records = json.loads(Path(FLAGS.records).read_text())["records"]
    primary = run_variant(OneVsAllRun())
    jobs = [r for r in records if r.get("method") == "adgan" and record_variant(r) == primary]
    if not jobs:
        raise SystemExit(f"{FLAGS.records} holds no ADGAN record of the run's settings")
    rows, seconds = [], 0.0
    for r in sorted(jobs, key=lambda r: (r["normal_class"], r["seed"])):
        remaining = r["n_test"] - r["n_sample"]
        rate = r["search_points_per_second"]
        seconds += remaining / rate
        rows.append({"normal_class": r["normal_class"], "seed": r["seed"],
                     "searched": r["n_sample"], "remaining": remaining,
                     "points_per_second": rate})
    result = {
        "records": FLAGS.records, "jobs": len(rows),
        "items_searched": sum(x["searched"] for x in rows),
        "items_remaining": sum(x["remaining"] for x in rows),
        "process_hours": seconds / 3600,
        "processes": FLAGS.processes,
        "wall_hours": seconds / 3600 / FLAGS.processes,
        "rates_min_max": [min(x["points_per_second"] for x in rows),
                          max(x["points_per_second"] for x in rows)],
        "machine": jobs[0]["machine"], "rates_measured": sorted({r["date"] for r in jobs})[-1],
        "written": now(), "per_job": rows,
        "note": "search only; retraining the 20 WGAN-GPs is not counted",
    }
    Path(FLAGS.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"{result['jobs']} jobs: {result['items_searched']:,} items searched, "
          f"{result['items_remaining']:,} to go at {result['rates_min_max'][0]:.3f}-"
          f"{result['rates_min_max'][1]:.3f} items/s per process: "
          f"{result['process_hours']:.1f} process-hours, {result['wall_hours']:.1f} h wall "
          f"with {FLAGS.processes} processes (search only)")


if __name__ == "__main__":
    app.run(main)
