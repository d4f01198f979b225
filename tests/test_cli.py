"""``tfgan-ad`` run in-process: files are never lost, every error is one line."""

import errno
import gzip
import io
import itertools
import os
import signal
import stat
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from tfgan_ad import cli
from tfgan_ad.cli import main

GZ = Path(os.environ["TFGAN_AD_DATA"]) / "kddcup99" / "kddcup.data_10_percent.gz"
HEADER = "line,score,is_anomaly"


@pytest.fixture(scope="module")
def lines():
    """The first 2000 raw KDD99 lines (the label included, as in the file)."""
    with gzip.open(GZ, "rt") as f:
        return [ln.rstrip("\n") for ln in itertools.islice(f, 2000)]


@pytest.fixture
def good(tmp_path, lines):
    path = tmp_path / "good.csv"
    path.write_text("\n".join(lines[:5]) + "\n")
    return path


def run(capsys, *argv):
    """``(exit code, stderr)`` of ``tfgan-ad ARGV``; a fatal error must be one line."""
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    if rc == 2:
        assert err.startswith("tfgan-ad: ") and err.count("\n") == 1, err
    return rc, err


def test_output_equal_to_input_is_refused(capsys, good):
    before = good.read_text()
    rc, err = run(capsys, "score", "bigan_kdd99", good, "-o", good, "--overwrite")
    assert rc == 2 and "is the input file" in err
    assert good.read_text() == before


def test_existing_output_needs_overwrite_and_survives_failures(capsys, tmp_path, good):
    out = tmp_path / "e.csv"
    out.write_text("PRECIOUS\n")
    rc, err = run(capsys, "score", "bigan_kdd99", tmp_path / "missing.csv", "-o", out)
    assert rc == 2 and "not found" in err and out.read_text() == "PRECIOUS\n"
    rc, err = run(capsys, "score", "bigan_kdd99", good, "-o", out)
    assert rc == 2 and "--overwrite" in err and out.read_text() == "PRECIOUS\n"
    assert run(capsys, "score", "bigan_kdd99", good, "-o", out, "--overwrite")[0] == 0
    assert out.read_text().splitlines()[0] == HEADER and len(out.read_text().splitlines()) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv", "good.csv"]  # no temp file
    assert run(capsys, "score", "bigan_kdd99", good, "-o", os.devnull)[0] == 0  # not a file


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "plain text named .gz"])
def test_bad_gzip_names_the_file_and_leaves_no_partial_output(capsys, tmp_path, lines, damage):
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    data = {"truncated": data[:len(data) // 2],
            "corrupt": data[:40] + bytes(200) + data[240:],
            "plain text named .gz": "\n".join(lines).encode()}[damage]
    src = tmp_path / "in.csv.gz"
    src.write_bytes(data)
    out = tmp_path / "out.csv"
    out.write_text("PRECIOUS\n")
    rc, err = run(capsys, "score", "bigan_kdd99", src, "-o", out, "--overwrite",
                  "--batch-size", "100")
    assert rc == 2 and str(src) in err and "gzip" in err
    assert out.read_text() == "PRECIOUS\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv.gz", "out.csv"]


def test_gzip_is_recognised_by_content_not_name(capsys, tmp_path, good):
    src = tmp_path / "packed.csv"
    src.write_bytes(gzip.compress(good.read_bytes()))
    for path, out in [(good, "plain.csv"), (src, "packed_out.csv")]:
        assert run(capsys, "score", "bigan_kdd99", path, "-o", tmp_path / out)[0] == 0
    assert (tmp_path / "packed_out.csv").read_text() == (tmp_path / "plain.csv").read_text()


@pytest.mark.parametrize("size", ["0", "-1", "ten"])
def test_batch_size_must_be_positive(capsys, good, size):
    with pytest.raises(SystemExit) as exit_:
        main(["score", "bigan_kdd99", str(good), "--batch-size", size])
    assert exit_.value.code == 2 and "--batch-size: must be a whole number >= 1" in \
        capsys.readouterr().err


def test_undecodable_input_names_file_and_line(capsys, tmp_path, lines):
    src = tmp_path / "latin1.csv"
    src.write_bytes(("\n".join(lines[:3]) + "\n").encode() + b"0,tcp,caf\xe9\n")
    rc, err = run(capsys, "score", "bigan_kdd99", src, "-o", tmp_path / "out.csv")
    assert rc == 2 and f"{src} line 4: not UTF-8 text (byte 0xe9" in err
    assert not (tmp_path / "out.csv").exists()


def test_directories_where_files_belong(capsys, tmp_path, good):
    rc, err = run(capsys, "score", "bigan_kdd99", tmp_path)
    assert rc == 2 and "is a directory" in err
    rc, err = run(capsys, "score", "bigan_kdd99", good, "-o", tmp_path)
    assert rc == 2 and "is a directory" in err
    rc, err = run(capsys, "export", "bigan_kdd99", good)
    assert rc == 2 and "is not a directory" in err


def test_export_extends_only_its_own_models_config(capsys, tmp_path):
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    assert run(capsys, "export", "bigan_kdd99", mine)[0] == 0
    assert run(capsys, "export", "anogan_kdd99", mine)[0] == 0
    config = (mine / "models.config").read_text()
    assert config.startswith("model_config_list {\n") and config.endswith("  }\n}\n")
    assert config.count("  config {") == 2 and 'name: "anogan_kdd99"' in config
    theirs.mkdir()
    (theirs / "models.config").write_text("# my config\n")
    rc, err = run(capsys, "export", "bigan_kdd99", theirs)
    assert rc == 1 and "by hand" in err and 'config { name: "bigan_kdd99"' in err
    assert (theirs / "models.config").read_text() == "# my config\n"
    assert (theirs / "bigan_kdd99" / "1" / "saved_model.pb").exists()


def test_image_model_given_csv_says_what_it_takes(capsys, good):
    rc, err = run(capsys, "score", "bigan_mnist_0", good)
    assert rc == 2 and "takes pixels uint8" in err and "not CSV records" in err


def test_empty_input_is_an_error_and_blank_lines_are_skipped(capsys, tmp_path, lines):
    empty = tmp_path / "empty.csv"
    empty.write_text("\n  \n")
    rc, err = run(capsys, "score", "bigan_kdd99", empty, "-o", tmp_path / "out.csv")
    assert rc == 2 and "has no records" in err and not (tmp_path / "out.csv").exists()
    src = tmp_path / "mixed.csv"
    src.write_text("\n".join([lines[0], " \t", "", "1,2,3", lines[1]]) + "\n")
    rc, err = run(capsys, "score", "bigan_kdd99", src, "-o", tmp_path / "out.csv")
    assert rc == 1 and "line 4:" in err and "line 2:" not in err  # bad row reported, rest kept
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert rows[0] == HEADER and [r.split(",")[0] for r in rows[1:]] == ["1", "5"]


def test_values_the_graph_would_take_silently_are_bad_rows(capsys, tmp_path, lines):
    """The committed graphs clamp a negative count to 0 and read '0x10' as 16; the CLI
    reports both as bad rows by column, and a NaN without TensorFlow's wrapping."""
    rows = [f.split(",") for f in lines[:6]]
    rows[0][4] = "-5000"   # src_bytes
    rows[1][5] = "0x10"    # dst_bytes
    rows[2][5] = "nan"
    rows[4][4] = "abc"
    rows[5][2] = "gopher2"  # service
    path = tmp_path / "values.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    out = tmp_path / "s.csv"
    rc, err = run(capsys, "score", "bigan_kdd99", path, "-o", out, "--no-progress")
    assert rc == 1
    assert "line 1: column 'src_bytes' is negative (-5000)" in err
    assert "line 2: column 'dst_bytes' is not a number: '0x10'" in err
    assert "line 3: column 'dst_bytes' is NaN" in err
    assert "line 5: column 'src_bytes' is not a number: 'abc'" in err
    assert ("line 6: unknown category value(s) in column 'service' (known: IRC, X11, "
            in err and err.split("line 6: ")[1].split("\n")[0].endswith("...): 'gopher2'"))
    assert "node" not in err and "Graph execution" not in err and "]]" not in err
    assert out.read_text().splitlines()[1:] == [out.read_text().splitlines()[1]]
    assert out.read_text().splitlines()[1].startswith("4,")


def test_bad_rows_are_found_by_bisection_and_reported_in_line_order(capsys, monkeypatch,
                                                                     tmp_path, lines):
    """One bad row among 2,000 costs a few graph calls (halves scored recursively), not
    one call a row; screened and graph-refused rows are reported together in line order."""
    rows = [f.split(",") for f in lines]
    rows[699][2] = "gopher2"  # line 700: refused by the graph (unknown service)
    rows[1499][4] = "-5"      # line 1500: refused by the Python screen (negative)
    path = tmp_path / "one_bad.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    calls = []
    real = cli._records_signature

    def counting(model):
        serve = real(model)

        def call(**inputs):
            calls.append(len(inputs["records"]))
            return serve(**inputs)
        return call
    monkeypatch.setattr(cli, "_records_signature", counting)
    out = tmp_path / "s.csv"
    rc, err = run(capsys, "score", "bigan_kdd99", path, "-o", out, "--no-progress")
    assert rc == 1 and "1,998 rows scored, 2 bad rows" in err
    reported = [ln.split(":")[0] for ln in err.splitlines() if ln.startswith("line ")]
    assert reported == ["line 700", "line 1500"]
    assert "line 700: unknown category value(s) in column 'service'" in err
    numbers = [int(r.split(",")[0]) for r in out.read_text().splitlines()[1:]]
    assert numbers == [n for n in range(1, 2001) if n not in (700, 1500)]
    assert len(calls) <= 25, f"{len(calls)} graph calls for one bad row in 2,000"


def test_gzip_on_stdin_is_recognised(capsys, monkeypatch, tmp_path, good):
    data = gzip.compress(good.read_bytes())
    stdin = types.SimpleNamespace(buffer=io.BufferedReader(io.BytesIO(data)))
    monkeypatch.setattr("sys.stdin", stdin)
    out = tmp_path / "out.csv"
    assert run(capsys, "score", "bigan_kdd99", "-", "-o", out)[0] == 0
    assert [r.split(",")[0] for r in out.read_text().splitlines()] == [
        "line", "1", "2", "3", "4", "5"]


def test_overwrite_keeps_the_replaced_files_permissions(capsys, tmp_path, good):
    out = tmp_path / "scores.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    umask = os.umask(0o022)  # a new file would be 0o644
    try:
        assert run(capsys, "score", "bigan_kdd99", good, "-o", out, "--overwrite")[0] == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.read_text().startswith(HEADER)


def test_unwritable_output_names_the_requested_file(capsys, monkeypatch, tmp_path, good):
    out = tmp_path / "scores.csv"

    def refusing_open(file, mode="r", *args, **kwargs):  # as a read-only directory would
        if "x" in mode:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return open(file, mode, *args, **kwargs)
    monkeypatch.setattr(cli, "open", refusing_open, raising=False)
    rc, err = run(capsys, "score", "bigan_kdd99", good, "-o", out)
    assert rc == 2 and f"cannot write output {out}: Permission denied" in err
    assert ".partial" not in err and not out.exists()


def test_empty_file_named_gz_has_no_records(capsys, tmp_path):
    src = tmp_path / "empty.csv.gz"
    src.write_bytes(b"")
    rc, err = run(capsys, "score", "bigan_kdd99", src, "-o", tmp_path / "out.csv")
    assert rc == 2 and "has no records" in err and "gzip" not in err


def test_leading_byte_order_mark_is_skipped(capsys, tmp_path, good):
    src = tmp_path / "bom.csv"
    src.write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    out = tmp_path / "out.csv"
    rc, err = run(capsys, "score", "bigan_kdd99", src, "-o", out)
    assert rc == 0 and "line 1:" not in err
    assert len(out.read_text().splitlines()) == 6


def test_standard_output_and_streams_are_written_in_place(capsys, monkeypatch, tmp_path, good):
    """'-' and /dev/stdout are stdout (no file '-', no --overwrite asked); a /proc/self/fd
    path (as a shell's '>>' gives) is appended to, keeping what it holds; 'dir/' is not a
    file name."""
    monkeypatch.chdir(tmp_path)
    for target in ("-", "/dev/stdout"):
        rc = main(["score", "bigan_kdd99", str(good), "-o", target])
        out = capsys.readouterr().out.splitlines()
        assert rc == 0 and out[0] == HEADER and len(out) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv"]
    log = tmp_path / "log.csv"
    log.write_text("KEEP\n")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        assert run(capsys, "score", "bigan_kdd99", good, "-o", f"/proc/self/fd/{fd}")[0] == 0
    finally:
        os.close(fd)
    assert log.read_text().splitlines()[:2] == ["KEEP", HEADER]
    assert len(log.read_text().splitlines()) == 7
    before = good.read_text()
    fd = os.open(good, os.O_WRONLY | os.O_APPEND)  # the input itself, behind an fd path
    try:
        rc, err = run(capsys, "score", "bigan_kdd99", good, "-o", f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)
    assert rc == 2 and "is the input file" in err and good.read_text() == before
    rc, err = run(capsys, "score", "bigan_kdd99", good, "-o", "newdir/")
    assert rc == 2 and "output newdir/ ends with '/': name a file" in err
    assert not (tmp_path / "newdir").exists()


def _cli_process(*argv, **popen):
    """``tfgan-ad ARGV`` in its own process, importing this checkout's tfgan_ad."""
    env = dict(os.environ, PYTHONPATH=str(Path(cli.__file__).parents[1]))
    return subprocess.Popen([sys.executable, "-m", "tfgan_ad.cli", *map(str, argv)],
                            env=env, stderr=subprocess.PIPE, text=True, **popen)


def test_a_reader_that_stops_ends_the_run_quietly(tmp_path, lines):
    """'tfgan-ad score ... | head -1': exit 141 as for SIGPIPE, no error on stderr (was
    'tfgan-ad: [Errno 32] Broken pipe', exit 2)."""
    src = tmp_path / "many.csv"
    src.write_text("\n".join(lines * 10) + "\n")  # 20,000 rows: far more than a pipe holds
    proc = _cli_process("score", "bigan_kdd99", src, "--no-progress", stdout=subprocess.PIPE)
    assert proc.stdout.readline() == HEADER + "\n"
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 141, err
    said = [ln for ln in err.splitlines() if "tfgan-ad" in ln or "Error" in ln
            or "Exception" in ln or "Traceback" in ln]  # TensorFlow's start-up log aside
    assert said == [], err


def test_sigterm_removes_the_temporary_file_and_keeps_the_old_output(tmp_path, good):
    out = tmp_path / "scores.csv"
    out.write_text("old\n")
    proc = _cli_process("score", "bigan_kdd99", "-", "-o", out, "--overwrite", "--no-progress",
                        stdin=subprocess.PIPE)
    proc.stdin.write(good.read_text())  # fewer rows than a batch: it waits for more
    proc.stdin.flush()
    deadline = time.time() + 120
    while not list(tmp_path.glob(".scores.csv.*.partial")) and time.time() < deadline:
        time.sleep(0.1)
    assert list(tmp_path.glob(".scores.csv.*.partial")), "no temporary output appeared"
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 143, err
    assert "terminated (SIGTERM)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv", "scores.csv"]
    assert out.read_text() == "old\n"
    proc.stdin.close()


def test_only_descriptor_paths_skip_the_safe_output_rules(capsys, tmp_path, good):
    """A regular file under /dev (/dev/shm) was appended to like a stream (no --overwrite
    asked, no temporary file); /dev/stdout redirected into the input was not refused."""
    assert cli._descriptor_path(Path("/proc/self/fd/3"))
    assert cli._descriptor_path(Path("/dev/fd/1")) and cli._descriptor_path(Path("/dev/stderr"))
    assert not cli._descriptor_path(Path("/dev/shm/scores.csv"))
    assert not cli._descriptor_path(Path("/proc_data/scores.csv"))
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        out = shm / f"tfgan_ad_test_{os.getpid()}.csv"
        out.write_text("old\n")
        try:
            rc, err = run(capsys, "score", "bigan_kdd99", good, "-o", out)
            assert rc == 2 and "exists; pass --overwrite" in err and out.read_text() == "old\n"
        finally:
            out.unlink()
    before = good.read_text()
    with open(good, "a") as same:  # tfgan-ad score good.csv -o /dev/stdout >> good.csv
        proc = _cli_process("score", "bigan_kdd99", good, "-o", "/dev/stdout",
                            "--no-progress", stdout=same)
        err = proc.stderr.read()
        assert proc.wait(timeout=300) == 2, err
    assert "is the input file" in err and good.read_text() == before
