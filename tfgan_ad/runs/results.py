"""Results files: a JSON list of run records, appended run by run, and Markdown tables.

Every record states its seed, data sizes and machine, so each number in a
table can be traced to the run that produced it.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import platform
from collections import defaultdict
from pathlib import Path

import numpy as np


def machine() -> dict:
    """The machine and the thread counts in force. ``native_threads``: each native thread
    pool (BLAS, OpenMP) and its size, which ``--threads`` (TensorFlow's) does not limit and
    which can change a result (the KDE baseline's bandwidth choice does;
    experiments/adgan_pilots.md, "A larger test sample")."""
    import sklearn
    import tensorflow as tf
    from threadpoolctl import threadpool_info  # a scikit-learn dependency
    pools = sorted({(p["internal_api"], p["num_threads"]) for p in threadpool_info()})
    return {"host_cpus": os.cpu_count(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "scikit_learn": sklearn.__version__,
            "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "native_threads": [{"api": api, "threads": n} for api, n in pools]}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class ResultStore:
    """A JSON file of records; writes are atomic so an interrupted run loses nothing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.records: list[dict] = []
        if self.path.exists():
            self.records = json.loads(self.path.read_text())["records"]

    def find(self, **key) -> list[dict]:
        """The records whose fields equal ``key``'s."""
        return [r for r in self.records if all(r.get(k) == v for k, v in key.items())]

    def has(self, **key) -> bool:
        return bool(self.find(**key))

    def add(self, records: list[dict]):
        """Append records; safe with several processes writing the same file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.path.exists():
                self.records = json.loads(self.path.read_text())["records"]
            self.records.extend(records)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"records": self.records}, indent=1) + "\n")
            tmp.replace(self.path)


def mean_std(values) -> str:
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return f"{v[0]:.4f}"
    return f"{v.mean():.4f} ± {v.std(ddof=1):.4f}"


def seed_interval(values: dict, level: float = 0.95) -> tuple[float, float] | None:
    """(mean, half-width) of a ``level`` t-interval for the mean over classes of each class's
    mean over its seeds, from ``values`` {(class, seed): value}, e.g. one method's ROC-AUC
    minus another's on the same job.

    The classes are fixed (every one is scored), so the spread that matters is from seed to
    seed within a class: its variance is pooled over the classes (each with n_c seeds gives
    n_c - 1 degrees of freedom), and the mean's variance is Σ_c s²/n_c / C². ``None`` when no
    class has two seeds (no spread to estimate)."""
    from scipy import stats

    by = defaultdict(list)
    for (c, _), v in values.items():
        by[c].append(float(v))
    groups = [np.asarray(v) for v in by.values()]
    df = sum(len(g) - 1 for g in groups)
    mean = float(np.mean([g.mean() for g in groups]))
    if df == 0:
        return None
    pooled = sum(((g - g.mean()) ** 2).sum() for g in groups) / df
    se = np.sqrt(pooled * sum(1 / len(g) for g in groups)) / len(groups)
    return mean, float(stats.t.ppf(0.5 + level / 2, df) * se)


def summary_table(records: list[dict], group_keys: tuple, metric_cols: list[tuple],
                  seed_key: str = "seed") -> str:
    """Markdown table: one row per group, each metric as mean ± sample std over seeds.

    ``metric_cols``: (header, threshold_source or None, metric key).
    """
    groups = defaultdict(lambda: defaultdict(list))
    seeds = defaultdict(set)
    for r in records:
        g = tuple(r.get(k) for k in group_keys)
        groups[g][(r.get("threshold_source"), "_")].append(r)
        seeds[g].add(r[seed_key])
    head = [*group_keys, "seeds", *[h for h, _, _ in metric_cols]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in sorted(groups, key=lambda t: tuple(str(x) for x in t)):
        cells = [str(x) for x in g] + [str(len(seeds[g]))]
        for _, source, key in metric_cols:
            rows = groups[g].get((source, "_"), [])
            cells.append(mean_std([r[key] for r in rows]) if rows else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
