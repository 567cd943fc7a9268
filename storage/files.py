"""Files in and out: writing a file whole or not at all, durably (the one way rongju hands files to the
outside), and reading a file someone else put there without trusting what it is."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from pathlib import Path

# Reads go in pieces of this size, so a cap stops the read after at most this much past it.
READ_CHUNK = 1024 * 1024


class NotRegularFile(OSError):
    """A symlink, FIFO, device, socket or folder where a file was expected: never followed or read."""


class FileTooLarge(OSError):
    """A file longer than the cap it was read under; only the cap and one byte were read."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"larger than {limit} bytes", str(path))
        self.limit = limit


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of `path` when it is a regular file of at most `limit` bytes.

    O_NOFOLLOW: a symlink in a package could point at any file this account can read, so it is refused,
    not followed. O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer forever (a FIFO
    named like a document hung intake). The type is then checked on the open descriptor (fstat), so
    nothing can swap the entry between the check and the read. The read stops one byte past `limit`:
    a 10 GB file costs no more than a file one byte over the cap. Raises NotRegularFile, FileTooLarge,
    or the OSError of the open (FileNotFoundError, PermissionError).
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # what O_NOFOLLOW answers for a symlink
            raise NotRegularFile(errno.ELOOP, "symbolic link", str(path)) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
        chunks: list[bytes] = []
        total = 0
        limit = max(limit, 0)
        while chunk := os.read(fd, min(READ_CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileTooLarge(path, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never a part.

    Temp file (a dot name ending in .tmp, for readers to skip) + fsync + rename + fsync of the
    folder: the rename is only durable once the directory entry is on disk, and a power cut must not
    lose a file the database already records as written. `mode`: these files hold personal data.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def delete_files_older_than(folder: Path, seconds: float) -> int:
    """Delete the regular files anywhere under `folder` last modified more than `seconds` ago; how
    many. Symlinks are neither followed nor deleted; a file gone meanwhile (another host sweeping
    the same shared folder) is not an error."""
    cutoff = time.time() - seconds
    deleted = 0
    for root, _dirs, files in os.walk(folder):  # os.walk does not descend into symlinked folders
        for name in files:
            path = Path(root) / name
            try:
                info = path.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
    return deleted
