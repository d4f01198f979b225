"""KDD Cup 1999 ("10 percent" file): raw records and the EGBAD benchmark protocol.

Raw records keep the file's own representation: the 34 continuous columns as
numbers and the 7 categorical columns as strings. Turning them into the 121
model features is the job of :class:`tfgan_ad.preprocessing.KDDPreprocessor`,
which is saved inside every exported model.

Protocol (EGBAD section 4, following DAGMM/DSEBM): ``normal.`` traffic is the
*anomaly* class; a seeded 50/50 split of all records; training keeps only the
non-``normal.`` rows of the training half; the test half keeps all its attack
rows and at most ``n_attack * 0.2 / 0.8`` randomly chosen ``normal.`` rows, so
anomalies are 20% of the test set.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfgan_ad.data.datadir import RemoteFile, cache_dir, fetch
from tfgan_ad.errors import shown

KDD99_FILE = RemoteFile(
    relpath="kddcup99/kddcup.data_10_percent.gz",
    url="http://kdd.ics.uci.edu/databases/kddcup99/kddcup.data_10_percent.gz",
    sha256="7bfaa8cef1350f72842018c32893e2fa4539d57efbb22f998eb74ecefc3da3b4",
)

COLUMNS = (
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
    "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
)
CATEGORICAL_COLUMNS = (
    "protocol_type", "service", "flag", "land", "logged_in", "is_host_login", "is_guest_login",
)
CONTINUOUS_COLUMNS = tuple(c for c in COLUMNS if c not in CATEGORICAL_COLUMNS)
ANOMALY_LABEL = "normal."

#: Every value each categorical column takes in the published file, sorted as
#: the reference implementation's one-hot encoding orders them. 3 + 66 + 11 +
#: 2 + 2 + 1 + 2 = 87 one-hot features, + 34 continuous = 121.
VOCABULARY = {
    "protocol_type": ("icmp", "tcp", "udp"),
    "service": (
        "IRC", "X11", "Z39_50", "auth", "bgp", "courier", "csnet_ns", "ctf", "daytime",
        "discard", "domain", "domain_u", "echo", "eco_i", "ecr_i", "efs", "exec", "finger",
        "ftp", "ftp_data", "gopher", "hostnames", "http", "http_443", "imap4", "iso_tsap",
        "klogin", "kshell", "ldap", "link", "login", "mtp", "name", "netbios_dgm",
        "netbios_ns", "netbios_ssn", "netstat", "nnsp", "nntp", "ntp_u", "other", "pm_dump",
        "pop_2", "pop_3", "printer", "private", "red_i", "remote_job", "rje", "shell", "smtp",
        "sql_net", "ssh", "sunrpc", "supdup", "systat", "telnet", "tftp_u", "tim_i", "time",
        "urh_i", "urp_i", "uucp", "uucp_path", "vmnet", "whois",
    ),
    "flag": ("OTH", "REJ", "RSTO", "RSTOS0", "RSTR", "S0", "S1", "S2", "S3", "SF", "SH"),
    "land": ("0", "1"),
    "logged_in": ("0", "1"),
    "is_host_login": ("0",),
    "is_guest_login": ("0", "1"),
}
N_FEATURES = len(CONTINUOUS_COLUMNS) + sum(len(v) for v in VOCABULARY.values())


@dataclass(frozen=True)
class KDDRecords:
    """Raw KDD records: ``continuous`` float64 (N, 34), ``categorical`` str (N, 7)."""

    continuous: np.ndarray
    categorical: np.ndarray
    labels: np.ndarray | None = None  # raw label strings such as "smurf.", when known

    def __post_init__(self):
        if self.continuous.ndim != 2 or self.continuous.shape[1] != len(CONTINUOUS_COLUMNS):
            raise ValueError(
                f"continuous part must have shape (N, {len(CONTINUOUS_COLUMNS)}), "
                f"got {self.continuous.shape}"
            )
        if self.categorical.shape != (len(self.continuous), len(CATEGORICAL_COLUMNS)):
            raise ValueError(
                f"categorical part must have shape ({len(self.continuous)}, "
                f"{len(CATEGORICAL_COLUMNS)}), got {self.categorical.shape}"
            )

    def __len__(self) -> int:
        return len(self.continuous)

    def take(self, idx) -> "KDDRecords":
        return KDDRecords(
            self.continuous[idx],
            self.categorical[idx],
            None if self.labels is None else self.labels[idx],
        )

    def as_inputs(self) -> dict:
        """The dict the preprocessing layer takes."""
        return {"continuous": self.continuous.astype(np.float32), "categorical": self.categorical}

    @property
    def is_anomaly(self) -> np.ndarray:
        if self.labels is None:
            raise ValueError("these records carry no labels")
        return (self.labels == ANOMALY_LABEL).astype(np.int64)


#: positions of the continuous and categorical columns in a raw record (``COLUMNS``)
CONTINUOUS_INDEX = tuple(COLUMNS.index(c) for c in CONTINUOUS_COLUMNS)
CATEGORICAL_INDEX = tuple(COLUMNS.index(c) for c in CATEGORICAL_COLUMNS)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def parse_rows(rows, first_line: int = 1, with_label: bool = True) -> KDDRecords:
    """Parse CSV rows (lists of strings) into :class:`KDDRecords`.

    Raises ``ValueError`` naming the line number and the column of the first bad
    field (wrong field count, not a number, NaN or infinite, negative).
    """
    n_expected = len(COLUMNS) + (1 if with_label else 0)
    cont, cat, lab = [], [], []
    for i, row in enumerate(rows):
        if len(row) != n_expected:
            raise ValueError(
                f"line {first_line + i}: expected {n_expected} comma-separated fields, got {len(row)}"
            )
        try:
            fields = [row[j] for j in CONTINUOUS_INDEX]
            if not _plain("".join(fields)):  # one test for the whole row
                raise ValueError
            cont.append([float(f) for f in fields])
        except ValueError:
            for j in CONTINUOUS_INDEX:
                try:
                    if not _plain(row[j]):
                        raise ValueError
                    float(row[j])
                except ValueError:
                    raise ValueError(
                        f"line {first_line + i}: column {COLUMNS[j]!r} is not a number: "
                        f"{shown(row[j])}"
                    ) from None
        cat.append([row[j] for j in CATEGORICAL_INDEX])
        if with_label:
            lab.append(row[-1])
    continuous = np.asarray(cont, dtype=np.float64).reshape(-1, len(CONTINUOUS_INDEX))
    check_continuous(continuous, "line", first_line)
    return KDDRecords(
        continuous,
        np.asarray(cat, dtype=str).reshape(-1, len(CATEGORICAL_INDEX)),
        np.asarray(lab, dtype=str) if with_label else None,
    )


def _plain(text: str) -> bool:
    """No characters that ``float()`` reads but the graph's number parser does not: an
    underscore ('1_81') or a non-ASCII digit ('١٨١')."""
    return "_" not in text and text.isascii()


#: what ``tf.strings.strip`` strips
ASCII_WHITESPACE = " \t\n\v\f\r"


def split_line(text: str) -> list[str]:
    """One CSV line's fields as the exported graph splits them
    (:func:`tfgan_ad.export.split_csv_lines`): surrounding ASCII whitespace stripped (as
    ``tf.strings.strip``; not str.strip's Unicode spaces such as a no-break space), then
    every comma splits (no KDD99 field is quoted)."""
    return text.strip(ASCII_WHITESPACE).split(",")


def parse_lines(lines) -> KDDRecords:
    """CSV lines (strings, 41 fields; a 42nd label field is ignored, as the exported
    graph's ``serving_default`` does) → :class:`KDDRecords`. Errors name the line
    (1-based) and column, as :func:`parse_rows`.

    A line is split by :func:`split_line`, exactly as the exported graph splits it, so
    the two paths take and refuse the same lines: a quoted number ('"181"') is not a
    number to either. Any character may sit inside a field (a
    carriage return, a 200,000-character field): the field is then refused by name.
    """
    texts = [_decoded(ln, i) if isinstance(ln, bytes) else ln for i, ln in enumerate(lines, 1)]
    rows = []
    for i, text in enumerate(texts, 1):
        row = split_line(text)
        if len(row) not in (len(COLUMNS), len(COLUMNS) + 1):
            raise ValueError(f"line {i}: expected {len(COLUMNS)} comma-separated fields (or "
                             f"{len(COLUMNS) + 1} with the label), got {len(row)}")
        rows.append(row[:len(COLUMNS)])
    return parse_rows(rows, with_label=False)


def suspect_line(line: str) -> bool:
    """Whether a CSV line holds what the committed zoo graphs would take silently: a minus
    sign (they clamp negative counts to 0) or a hexadecimal number (they read 0x10 as 16).
    Substring tests: cheap enough for every line of a stream (no real KDD99 line has one)."""
    return "-" in line or "0x" in line or "0X" in line


def line_error(line: str) -> str | None:
    """Why the Python parser refuses one CSV line (column named), or None if it takes it."""
    try:
        parse_lines([line])
    except ValueError as err:
        return str(err).replace("line 1: ", "", 1)
    return None


def screen_lines(lines) -> list[tuple[int, str]]:
    """``(index, reason)`` of the lines the Python parser refuses among those that hold what
    the committed graphs would take silently (:func:`suspect_line`): one substring scan of
    the whole batch when, as in real KDD99 files, no line holds one."""
    if not suspect_line("\n".join(lines)):
        return []
    return [(i, reason) for i, line in enumerate(lines)
            if suspect_line(line) and (reason := line_error(line))]


def check_continuous(continuous: np.ndarray, unit: str = "row", first: int = 0) -> None:
    """Refuse NaN, infinite, beyond-float32 or negative values (all 34 continuous columns
    are counts or rates, so >= 0), naming the first bad value's ``unit`` and column."""
    with np.errstate(invalid="ignore"):
        out_of_range = ~(np.abs(continuous) <= _FLOAT32_MAX)  # NaN too
        bad = out_of_range | (continuous < 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        value = continuous[i, j]
        problem = ("is NaN" if np.isnan(value) else "is infinite or beyond float32's range"
                   if out_of_range[i, j] else "is negative")
        raise ValueError(f"{unit} {first + i}: column {CONTINUOUS_COLUMNS[j]!r} {problem} "
                         f"({value:g}); the KDD99 continuous columns are counts and rates, "
                         f"finite and >= 0")


def as_records(x) -> KDDRecords:
    """Raw KDD records, checked: the one validator of the Python scoring and fitting paths.

    Takes :class:`KDDRecords`, a dict ``{"continuous": numbers (N, 34), "categorical":
    strings (N, 7)}`` or CSV lines (a string or a 1-D sequence of strings, see
    :func:`parse_lines`). Raises ``TypeError``/``ValueError`` naming the problem:
    another input form, missing or unexpected keys, a wrong dtype or shape, row
    counts that differ, no rows, and (naming row and column) NaN, infinite or
    negative continuous values. Unknown category values are left to the
    preprocessing layer (its ``unknown_category`` decides).
    """
    if isinstance(x, KDDRecords):
        continuous, categorical, labels = x.continuous, x.categorical, x.labels
    elif isinstance(x, dict):
        if set(x) != {"continuous", "categorical"}:
            raise ValueError("KDD record dicts take exactly the keys 'continuous' and "
                             f"'categorical', got {sorted(map(str, x))}")
        continuous, categorical, labels = x["continuous"], x["categorical"], None
    else:
        lines = as_lines(x)
        if lines is not None:
            if not lines:
                raise ValueError("empty batch: no records")
            return parse_lines(lines)
        arr = np.asarray(x)
        raise TypeError(
            "raw KDD records must be KDDRecords, a dict {'continuous': (N, 34) numbers, "
            "'categorical': (N, 7) strings} or CSV lines (a 1-D sequence of strings); got "
            f"{type(x).__name__} of dtype {arr.dtype}, shape {arr.shape}")
    continuous, categorical = _numpy(continuous), categorical_text(categorical)
    if continuous.dtype.kind not in "iuf":
        raise TypeError(f"'continuous' must hold numbers, got dtype {continuous.dtype}")
    for key, arr, width in (("continuous", continuous, len(CONTINUOUS_COLUMNS)),
                            ("categorical", categorical, len(CATEGORICAL_COLUMNS))):
        if arr.ndim != 2 or arr.shape[1] != width:
            raise ValueError(f"{key!r} must have shape (N, {width}), got {arr.shape}")
    if len(continuous) != len(categorical):
        raise ValueError(f"'continuous' has {len(continuous)} rows but 'categorical' has "
                         f"{len(categorical)}")
    if len(continuous) == 0:
        raise ValueError("empty batch: no records")
    continuous = continuous.astype(np.float64, copy=False)
    check_continuous(continuous)
    return KDDRecords(continuous, categorical, labels)


def as_lines(x) -> list[str] | None:
    """``x`` as a list of CSV lines (str; bytes decoded as UTF-8) if it is one line or a
    1-D sequence of them, else None. Items are checked one by one: ``np.asarray`` of a
    list of strings would pad every line to the longest one. A string tensor (``tf.constant``
    of lines) counts as its ``.numpy()`` (bytes)."""
    if hasattr(x, "numpy") and getattr(getattr(x, "dtype", None), "name", "") == "string":
        x = x.numpy()
        if isinstance(x, bytes):
            x = [x]
    if isinstance(x, (str, bytes)):
        x = [x]
    elif isinstance(x, np.ndarray):
        if x.ndim != 1 or not (x.dtype.kind in "US" or x.dtype == object):
            return None
    elif not isinstance(x, (list, tuple)):
        return None
    if not all(isinstance(v, (str, bytes)) for v in x):
        return None
    return [_decoded(v, i) if isinstance(v, bytes) else str(v) for i, v in enumerate(x, 1)]


def _decoded(line: bytes, number: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"line {number}: not UTF-8 text (byte 0x{line[err.start]:02x} at "
                         f"column {err.start + 1})") from None


def _numpy(v) -> np.ndarray:
    """An array from a list, an array or a tensor (``.numpy()``)."""
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v)


def categorical_text(categorical) -> np.ndarray:
    """Categorical values (an array, a list or a tensor) as a str array (bytes decoded as
    UTF-8, as ``tensor.numpy()`` gives them); anything else is refused naming its column
    and value."""
    categorical = _numpy(categorical)
    if categorical.dtype.kind == "U":
        return categorical
    if categorical.dtype.kind == "S":
        return np.char.decode(categorical, "utf-8")
    if categorical.dtype == object:  # one pass: decode bytes, refuse anything else
        text = np.empty(categorical.shape, dtype=object)
        for idx, v in np.ndenumerate(categorical):
            if not isinstance(v, (str, bytes)):
                where = (f"row {idx[0]}: categorical column {CATEGORICAL_COLUMNS[idx[1]]!r}"
                         if len(idx) == 2 and idx[1] < len(CATEGORICAL_COLUMNS)
                         else f"categorical value at {idx}")
                raise TypeError(f"{where} holds {v!r} ({type(v).__name__}); the categorical "
                                f"values are strings, e.g. '0'/'1' for "
                                f"{CATEGORICAL_COLUMNS[3]!r}")
            text[idx] = v.decode("utf-8") if isinstance(v, bytes) else v
        return text.astype(str)
    raise TypeError(f"'categorical' must hold strings (e.g. 'tcp', or '0'/'1' for "
                    f"{CATEGORICAL_COLUMNS[3]!r}), got dtype {categorical.dtype}")


def read_csv(path: str | Path, with_label: bool | None = None) -> KDDRecords:
    """Read a KDD CSV file (plain or gzip, told by its content). ``with_label=None``
    detects a 42nd column.

    Lines are what the CLI and the exported graph take: split at newlines only, then by
    :func:`split_line` (so a quoted number is refused, as everywhere else); blank lines
    and a leading UTF-8 byte-order mark are skipped, and errors name the file's own line
    numbers."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"KDD records file not found: {path}")
    with open(path, "rb") as f:
        packed = f.read(2) == b"\x1f\x8b"
    rows, numbers = [], []
    try:
        with (gzip.open(path, "rb") if packed else open(path, "rb")) as f:
            for number, raw in enumerate(f, 1):
                text = _decoded(raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw,
                                number)
                if text.strip(ASCII_WHITESPACE):
                    rows.append(split_line(text))
                    numbers.append(number)
    except (OSError, EOFError) as err:
        raise ValueError(f"cannot read KDD records file {path}: {err} (truncated, not "
                         f"{'gzip' if packed else 'plain text'}, or damaged?)") from None
    except ValueError as err:  # not UTF-8: named by line
        raise ValueError(f"{path} {err}") from None
    if with_label is None:
        with_label = bool(rows) and len(rows[0]) == len(COLUMNS) + 1
    try:
        return parse_rows(rows, with_label=with_label)
    except ValueError as err:  # parse_rows counts the rows; name the file's line instead
        counted = re.match(r"line (\d+): (.*)", str(err), re.S)
        if counted is None:
            raise
        raise ValueError(f"{path} line {numbers[int(counted[1]) - 1]}: {counted[2]}") from None


#: records in the published 10-percent file
KDD99_ROWS = 494_021


def load_kdd99(download: bool = True) -> KDDRecords:
    """All 494,021 records of the 10-percent file, with labels.

    The parsed arrays are cached (keyed by the file's SHA-256) under
    :func:`tfgan_ad.data.datadir.cache_dir`, since parsing takes ~10 s.
    """
    path = fetch(KDD99_FILE, download=download)
    cache = cache_dir() / f"kdd99_{KDD99_FILE.sha256[:16]}.npz"
    if cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as z:
                cached = KDDRecords(z["continuous"], z["categorical"], z["labels"])
            if len(cached) == KDD99_ROWS:
                return cached
        except Exception:  # noqa: BLE001 - cut, garbled (BadZipFile, EOFError, CRC): rebuilt
            pass  # a damaged or foreign cache is rebuilt below, from the verified file
    records = read_csv(path, with_label=True)
    if len(records) != KDD99_ROWS:
        raise ValueError(f"{path} holds {len(records)} records, not the published "
                         f"{KDD99_ROWS}")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, continuous=records.continuous, categorical=records.categorical,
                 labels=records.labels)
        tmp.replace(cache)
    except OSError:
        pass  # caching is an optimisation only
    return records


@dataclass(frozen=True)
class KDDSplit:
    """The paper protocol's train (attacks only) and test (20% ``normal.``) records.

    ``validation``, when asked for, comes from the *training half* only: a held-out
    share of its attack rows (removed from ``train``) plus its ``normal.`` rows at
    20%. It lets a recipe be chosen without ever touching the test half.
    """

    train: KDDRecords
    test: KDDRecords
    seed: int
    validation: KDDRecords | None = None

    @property
    def y_test(self) -> np.ndarray:
        return self.test.is_anomaly


def _cap_anomalies(normal_idx, anomaly_idx, anomaly_ratio, rng):
    n_anom = int(len(normal_idx) * anomaly_ratio / (1.0 - anomaly_ratio))
    anomaly_idx = rng.permutation(anomaly_idx)[:n_anom]
    return rng.permutation(np.concatenate([normal_idx, anomaly_idx]))


def paper_split(records: KDDRecords, seed: int, anomaly_ratio: float = 0.2,
                validation_fraction: float = 0.0) -> KDDSplit:
    """The EGBAD/DAGMM protocol, seeded: see the module docstring.

    ``validation_fraction > 0`` holds that share of the training half's attack rows
    out of ``train`` for a validation set (see :class:`KDDSplit`); the test half
    is the same as without it.
    """
    if records.labels is None:
        raise ValueError("paper_split needs labelled records")
    if not 0.0 < anomaly_ratio < 1.0:
        raise ValueError(f"anomaly_ratio must be in (0, 1), got {anomaly_ratio}")
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    anomalous = records.labels == ANOMALY_LABEL
    if anomalous.all() or not anomalous.any():
        found = ", ".join(map(repr, np.unique(records.labels)[:5]))
        raise ValueError(f"paper_split needs both {ANOMALY_LABEL!r} rows (the protocol's "
                         f"anomalies) and attack rows; the labels here are {found}"
                         + ("" if anomalous.any() else " (the published labels end with a dot)"))
    rng = np.random.RandomState(seed)
    n = len(records)
    perm = rng.permutation(n)
    half_idx, test_idx = perm[: n // 2], perm[n // 2:]
    train_idx = np.sort(half_idx[~anomalous[half_idx]])
    test_idx = _cap_anomalies(test_idx[~anomalous[test_idx]], test_idx[anomalous[test_idx]],
                              anomaly_ratio, rng)
    validation = None
    if validation_fraction > 0:
        vrng = np.random.RandomState([seed, 1])  # leaves the test half's draws unchanged
        held = vrng.permutation(train_idx)[: int(len(train_idx) * validation_fraction)]
        train_idx = np.setdiff1d(train_idx, held)
        val_idx = _cap_anomalies(held, half_idx[anomalous[half_idx]], anomaly_ratio, vrng)
        validation = records.take(val_idx)
    return KDDSplit(records.take(train_idx), records.take(test_idx), seed, validation)
