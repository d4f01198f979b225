"""Where data files live, and how a missing one is fetched and verified.

The data directory is ``$TFGAN_AD_DATA`` when set, else ``~/.cache/tfgan_ad/data``.
A file already present there is used as it is (its SHA-256 is still checked
when the caller gives one); a missing file is downloaded from its canonical URL
into a temporary name, verified, then moved into place, so an interrupted or
corrupt download never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "TFGAN_AD_DATA"


class DataFileError(FileNotFoundError):
    """A data file is missing and could not be fetched, or fails its checksum."""


@dataclass(frozen=True)
class RemoteFile:
    """A file of a public data set: where it lives in the data directory and on the web."""

    relpath: str
    url: str
    sha256: str


def data_dir() -> Path:
    """The data directory: ``$TFGAN_AD_DATA`` or ``~/.cache/tfgan_ad/data``."""
    env = os.environ.get(ENV_VAR)
    if env:  # absolute, so messages and downloads do not depend on the working directory
        return Path(env).expanduser().absolute()
    return Path.home() / ".cache" / "tfgan_ad" / "data"


def cache_dir() -> Path:
    """A writable cache for derived files (parsed arrays); never the data directory."""
    env = os.environ.get("TFGAN_AD_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tfgan_ad" / "derived"


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def fetch(remote: RemoteFile, download: bool = True, verify: bool = True) -> Path:
    """Return the local path of ``remote``, downloading it first when missing.

    Raises:
        DataFileError: the file is missing and cannot be downloaded (offline or
            ``download=False``), or its SHA-256 differs from the expected one.
            The message names the file, the directory and the env var.
    """
    root = data_dir()
    path = root / remote.relpath
    if not path.exists():
        if not download:
            raise DataFileError(_missing_message(remote, root, "downloading is disabled"))
        try:
            _download(remote, path)
        except OSError as err:  # URLError is an OSError
            raise DataFileError(_missing_message(remote, root, f"download failed: {err}")) from err
    if verify:
        try:
            got = sha256_of(path)
        except OSError as err:  # a directory, no permission
            raise DataFileError(f"cannot read data file {path} ({type(err).__name__}: "
                                f"{err.strerror or err})") from None
        if got != remote.sha256:
            raise DataFileError(
                f"{path} has SHA-256 {got}, expected {remote.sha256}: the file is corrupt or "
                f"not the published {Path(remote.relpath).name}. Delete it to download it again "
                f"from {remote.url}."
            )
    return path


def _missing_message(remote: RemoteFile, root: Path, why: str) -> str:
    return (
        f"data file {Path(remote.relpath).name!r} not found at {root / remote.relpath} "
        f"({why}). Put the file there, or set {ENV_VAR} to the directory holding "
        f"{remote.relpath} (currently {ENV_VAR}={os.environ.get(ENV_VAR, '<unset>')}); "
        f"canonical source: {remote.url}"
    )


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (os.umask can only
    be read by setting it, a race with other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _download(remote: RemoteFile, path: Path) -> None:
    created = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    ok = False
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(remote.url, timeout=60) as resp:
            shutil.copyfileobj(resp, out)
        got = sha256_of(Path(tmp))
        if got != remote.sha256:
            raise DataFileError(
                f"downloaded {remote.url} has SHA-256 {got}, expected {remote.sha256}; not saved"
            )
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; give it the usual mode
        os.replace(tmp, path)
        ok = True
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        if not ok:  # a failed download leaves no directories it made behind
            for d in created:  # innermost first
                try:
                    d.rmdir()
                except OSError:  # not empty (another process wrote there): kept
                    break
