"""``tfgan-ad``: list, inspect, export and run zoo models from the shell.

    tfgan-ad list
    tfgan-ad info bigan_kdd99
    tfgan-ad score bigan_kdd99 kddcup.data_10_percent.gz -o scores.csv
    tfgan-ad export bigan_kdd99 /srv/models      # TF Serving model base path

``score`` streams the file in batches (memory does not grow with its size),
writes ``line,score,is_anomaly`` per record, and reports bad rows with their
line number on stderr (they are left out of the output; exit code 1). Blank
lines and a leading UTF-8 byte-order mark are skipped; a file with no records
(empty, whatever its name) is an error. Gzip input, stdin's too, is recognised
by its content, not its name. ``-o FILE`` is written under a temporary name
beside it and moved into place only when the run finishes; an existing FILE is
replaced only with ``--overwrite`` (keeping its permission bits), and never the
input; ``-o -`` and ``-o /dev/stdout`` are standard output, other descriptor
paths (/dev/fd/N, /proc/self/fd/N) are appended to in place. Any other error is one
line on stderr, exit code 2.
SIGTERM removes the temporary file (exit 143); a reader that stops reading the
scores (``| head``) ends the run quietly (exit 141, as a SIGPIPE would).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import re
import resource
import shutil
import signal
import stat
import sys
import threading
import time
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark


class CLIError(Exception):
    """A fatal error, printed as one ``tfgan-ad: ...`` line."""


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so ``finally`` blocks remove temporary files."""


def _terminate(signum, frame):
    raise Terminated


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's flush at exit does not
    raise a second BrokenPipeError once the reader (``| head``) has gone."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # no file descriptor (a test)
        pass


def _input_path(path: str) -> Path | None:
    if path == "-":
        return None
    p = Path(path)
    if not p.exists():
        raise CLIError(f"input file not found: {p}")
    if p.is_dir():
        raise CLIError(f"input {p} is a directory, not a file")
    return p


def _open_binary(p: Path | None):
    """The raw byte stream of ``p`` (stdin when None), decompressed if it is gzip."""
    if p is None:
        stdin = sys.stdin.buffer
        if stdin.peek(2)[:2] == GZIP_MAGIC:
            return io.BufferedReader(gzip.GzipFile(fileobj=stdin, mode="rb"), 1 << 20)
        return contextlib.nullcontext(stdin)
    with open(p, "rb") as f:
        magic = f.read(2)
    if magic == GZIP_MAGIC:
        return io.BufferedReader(gzip.open(p, "rb"), 1 << 20)  # C-level readline
    if p.suffix == ".gz" and magic:  # an empty file has no records, whatever its name
        raise CLIError(f"{p} is named .gz but is not gzip data (it starts with {magic!r})")
    return open(p, "rb")


def _batches(f, name: str, size: int):
    """``(line numbers, lines)`` of up to ``size`` non-blank lines at a time (decoded a
    batch at once); text that is not UTF-8 or damaged gzip data is fatal."""
    nums, raws, i = [], [], 0
    try:
        for i, raw in enumerate(f, start=1):
            if i == 1:
                raw = raw.removeprefix(BOM)
            if raw.strip():
                nums.append(i)
                raws.append(raw)
                if len(raws) == size:
                    yield nums, _decode(nums, raws, name)
                    nums, raws = [], []
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise CLIError(f"{name}: corrupt or truncated gzip data after {i} lines ({err})") from None
    if raws:
        yield nums, _decode(nums, raws, name)


def _decode(nums, raws, name: str) -> list[str]:
    """The lines ``raws`` (bytes, each ending in a newline but perhaps the last) as text."""
    try:
        text = b"".join(raws).decode("utf-8")
    except UnicodeDecodeError:
        for n, raw in zip(nums, raws):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise CLIError(f"{name} line {n}: not UTF-8 text (byte 0x{raw[err.start]:02x} "
                               f"at column {err.start + 1})") from None
        raise
    lines = (text[:-1] if text.endswith("\n") else text).split("\n")
    return [ln.rstrip("\r") for ln in lines] if "\r" in text else lines


def _descriptor_path(p: Path) -> bool:
    """Whether ``p`` names an open file descriptor (/dev/stdout, /dev/stderr, /dev/fd/N,
    /proc/.../fd/N: a shell redirection behind it), not a file of its own."""
    parts = p.parts
    return (str(p) in ("/dev/stdout", "/dev/stderr") or parts[:3] == ("/", "dev", "fd")
            or (parts[:2] == ("/", "proc") and "fd" in parts))


@contextlib.contextmanager
def _output(path: str | None, overwrite: bool, src: Path | None):
    """A text stream for the scores. A regular file is written under a temporary name
    beside it and moved into place only when the block completes; on an error (or
    SIGTERM, see :func:`main`) the temporary file is removed and any existing file is
    left as it was. ``-`` and ``/dev/stdout`` are standard output; other descriptor
    paths (/dev/stderr, /dev/fd/N, /proc/self/fd/N) are written in place and opened for
    appending, so a shell's ``>>`` redirection behind them keeps what it holds; so are
    existing files that are not regular (a terminal, a named pipe, /dev/null). A
    regular file anywhere else, /dev/shm included, gets the temporary-file rules."""
    if path is None or path == "-":
        yield sys.stdout
        return
    if path.endswith(("/", os.sep)):
        raise CLIError(f"output {path} ends with '/': name a file, not a directory")
    p = Path(path)
    if p.is_dir():
        raise CLIError(f"output {p} is a directory")
    if p.exists() and src is not None and os.path.samefile(p, src):
        raise CLIError(f"output {p} is the input file; write the scores elsewhere")
    if path == "/dev/stdout":
        yield sys.stdout
        return
    if _descriptor_path(p):
        try:
            out = open(p, "a")
        except OSError as err:
            raise CLIError(f"cannot write output {p}: {err.strerror}") from None
        with out:
            yield out
        return
    if p.exists() and not p.is_file():  # /dev/null, a pipe: nothing to replace
        with open(p, "w") as out:
            yield out
        return
    if p.exists() and not overwrite:
        raise CLIError(f"output {p} exists; pass --overwrite to replace it")
    target = p.resolve()
    if not target.parent.is_dir():
        raise CLIError(f"output directory {target.parent} does not exist")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        out = open(tmp, "x")
    except OSError as err:  # name the file asked for, not the temporary one
        raise CLIError(f"cannot write output {p}: {err.strerror}") from None
    try:
        with out:
            yield out
        if target.is_file():  # the replaced file keeps its permission bits
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _score_rows(serve, nums, lines):
    """``([(line numbers, outputs)], [(line number, reason)])`` for ``lines`` (numbered
    ``nums``): lines the Python parser refuses (:func:`tfgan_ad.data.kdd99.screen_lines`)
    are left out, the rest go to the graph, whose refused rows are found by halving
    (:func:`tfgan_ad.zoo.call_by_halves`)."""
    import numpy as np

    from tfgan_ad import zoo
    from tfgan_ad.data.kdd99 import screen_lines
    screened = screen_lines(lines)
    bad = [(nums[i], reason) for i, reason in screened]
    if screened:
        skip = {i for i, _ in screened}
        nums = [n for i, n in enumerate(nums) if i not in skip]
        lines = [ln for i, ln in enumerate(lines) if i not in skip]
    if not lines:
        return [], bad
    done, refused = zoo.call_by_halves(serve, {"records": np.array(lines, dtype=object)})
    results = [(nums[start:start + len(out["score"])], out) for start, out in done]
    return results, bad + [(nums[i], zoo.refusal(err, lines[i])) for i, err in refused]


def _records_signature(model):
    """The model's CSV-records signature, or a clear error for image models."""
    serve = model.signature()
    inputs = serve.structured_input_signature[1]
    if "records" not in inputs:
        kinds = ", ".join(f"{k} {v.dtype.name} {v.shape.as_list()}" for k, v in inputs.items())
        raise CLIError(f"model {model.name} takes {kinds}, not CSV records; score it from "
                       f"Python: zoo.load({model.name!r}).score(images)")
    return serve


def cmd_score(args) -> int:
    from tfgan_ad import zoo
    src = _input_path(args.file)
    name = "<stdin>" if src is None else str(src)
    n_ok = n_bad = 0
    with _open_binary(src) as f, _output(args.output, args.overwrite, src) as out:
        model = zoo.load(args.model)
        serve = _records_signature(model)
        t0 = last = time.time()  # rows/s of scoring, the model's loading left out
        out.write("line,score,is_anomaly\n")
        for nums, lines in _batches(f, name, args.batch_size):
            results, refused = _score_rows(serve, nums, lines)
            for n, message in sorted(refused):  # in line order
                n_bad += 1
                print(f"line {n}: {message}", file=sys.stderr)
            for ns, res in results:
                scores, flags = res["score"].numpy(), res["is_anomaly"].numpy()
                out.write("".join(f"{n},{s:.6g},{int(a)}\n" for n, s, a in zip(ns, scores, flags)))
                n_ok += len(ns)
            if args.progress and time.time() - last > 1.0:
                last = time.time()
                print(f"\r{n_ok:,} rows scored, {n_ok / (last - t0):,.0f} rows/s",
                      end="", file=sys.stderr)
        if n_ok + n_bad == 0:
            raise CLIError(f"{name} has no records (it is empty or has only blank lines)")
        out.flush()  # a reader gone from stdout is found here, not at the interpreter's exit
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


def _config_entry(name: str) -> str:
    return (f"  config {{\n    name: \"{name}\"\n    base_path: \"/models/{name}\"\n"
            f"    model_platform: \"tensorflow\"\n  }}\n")


def _config_text(names) -> str:
    return "model_config_list {\n" + "".join(_config_entry(n) for n in names) + "}\n"


def _config_names(text: str) -> list[str] | None:
    """The model names of a models.config this command wrote, else None (not ours)."""
    names = re.findall(r'^    name: "([^"\n]*)"$', text, re.M)
    return names if text == _config_text(names) else None


def cmd_export(args) -> int:
    """Copy a verified zoo SavedModel to ``DIR/<name>/<version>`` and write a models.config.

    An existing models.config is extended only if it is exactly what this command
    writes; any other file is left alone and the entry to add by hand is printed."""
    from tfgan_ad import zoo
    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise CLIError(f"{directory} is not a directory")
    src = zoo.verify(args.model)
    reg = zoo.registry(args.model)
    dest = directory / args.model / str(reg["version"])
    if dest.exists():
        raise CLIError(f"{dest} exists; not overwritten")
    config = directory / "models.config"
    names = []
    if config.exists():
        names = _config_names(config.read_text(errors="replace")) if config.is_file() else None
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:  # a copy that fails halfway leaves no version directory behind
        shutil.copytree(src, staging)
        os.rename(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if names is None:
        entry = " ".join(_config_entry(args.model).split())
        print(f"exported {args.model} version {reg['version']} to {dest}")
        print(f"tfgan-ad: {config} is not a models.config written by tfgan-ad; left unchanged. "
              f"Add this entry to its model_config_list by hand (if it is not there): {entry}",
              file=sys.stderr)
        return 1
    if args.model not in names:
        tmp = config.with_name(f".models.config.{os.getpid()}.partial")
        try:
            tmp.write_text(_config_text([*names, args.model]))
            os.replace(tmp, config)
        finally:
            tmp.unlink(missing_ok=True)
    print(f"exported {args.model} version {reg['version']} to {dest}; TF Serving config: {config}")
    return 0


def _batch_size(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tfgan-ad", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list zoo models").set_defaults(fn=cmd_list)
    p = sub.add_parser("info", help="show a model's registry entry and card")
    p.add_argument("model")
    p.set_defaults(fn=cmd_info)
    p = sub.add_parser("score", help="score a CSV/.gz file of raw records")
    p.add_argument("model")
    p.add_argument("file", help="CSV or gzip of raw records, one per line ('-' = stdin)")
    p.add_argument("-o", "--output", help="output CSV (default stdout)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--batch-size", type=_batch_size, default=8192)
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(fn=cmd_score)
    p = sub.add_parser("export", help="copy a zoo model into a TF Serving model directory")
    p.add_argument("model")
    p.add_argument("directory")
    p.set_defaults(fn=cmd_export)
    args = parser.parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    on_term = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return args.fn(args)
    except KeyboardInterrupt:
        print("\ntfgan-ad: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("\ntfgan-ad: terminated (SIGTERM)", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:  # the reader of the scores stopped (| head): not an error
        _quiet_stdout()
        return 128 + signal.SIGPIPE
    except Exception as err:  # a clear one-line error, not a traceback
        from tfgan_ad.zoo import ZooError
        known = isinstance(err, (CLIError, ZooError, OSError, ValueError))
        message = str(err) if known else f"{type(err).__name__}: {err}"
        print("tfgan-ad: " + " ".join(message.split()), file=sys.stderr)
        return 2
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, on_term)


if __name__ == "__main__":
    sys.exit(main())
