"""Files and data at rest: every rongju process creates owner-only files, and refuses to work on a
case DB or shared-data index that other users of the machine can read.

The case DB, the document store and the shared-data index hold names, ID numbers, phones, addresses
and ID-card images. On a shared machine a 0644 file is readable by every account, so:

- `private_umask()` makes each file and folder the process creates from then on owner-only (umask 077).
  The CLI sets it first thing, and `get_engine()` / the shared-data loader set it again, because a flow
  run started by a worker that rongju did not start reaches those before it writes anything.
- `ensure_data_dir()` is the one place the data folder (settings.data_dir) is created: mode 0700.
- `require_private(path)` refuses a file others can read or write, with the chmod that fixes it.
  Files rongju creates are 0600, so the refusal only meets a file someone loosened (or one written
  by a rongju older than this check): it is not tightened silently, because a loosened file may
  already have been read, and an admin has to know that.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700

_ensured_data_dirs: set[Path] = set()


class ExposedFileError(PermissionError):
    """A file with personal data that users other than its owner can read or write."""

    def __init__(self, path: Path, mode: int, what_zh: str, what_en: str, fix: str) -> None:
        self.path = path
        self.mode = mode
        super().__init__(
            f"{what_zh} {path} 的权限为 {mode:04o}，其他用户可以读取，rongju 拒绝使用；"
            f"请检查谁读过它，然后执行：{fix}\n"
            f"{what_en} {path} has mode {mode:04o}: other users can read it, so rongju refuses to use "
            f"it; check who may have read it, then run: {fix}"
        )


def private_umask() -> None:
    """From now on this process creates files 0600 and folders 0700 (umask 077); never loosens a
    stricter umask the admin set."""
    current = os.umask(PRIVATE_UMASK)
    os.umask(current | PRIVATE_UMASK)


def is_exposed(mode: int) -> bool:
    """True when group or others have any permission on a file of this mode."""
    return bool(stat.S_IMODE(mode) & 0o077)


def require_private(path: Path, *, what_zh: str, what_en: str, fix: str | None = None) -> None:
    """Raise ExposedFileError when `path` (followed if a link: the data is what counts) is readable,
    writable or executable by group or others. A missing file passes: nothing is exposed."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if is_exposed(mode):
        raise ExposedFileError(path, stat.S_IMODE(mode), what_zh, what_en, fix or f"chmod 600 {path}")


def create_private_file(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists, before a library (sqlite3) opens it: the mode
    is then right whatever the process's umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def ensure_private_dir(path: Path) -> Path:
    """Create folder `path` (and missing parents) 0700; return it."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return path


def ensure_data_dir() -> Path:
    """The data folder (settings.data_dir), created 0700 — the one function that creates it.

    An existing data folder that others can enter is tightened to 0700 when this account owns it:
    it is rongju's own folder, and what is inside is refused or owner-only file by file anyway.
    """
    from config.settings import get_settings

    data_dir = get_settings().data_dir
    if data_dir in _ensured_data_dirs:  # called on every get_engine(): a set lookup after the first
        return data_dir
    ensure_private_dir(data_dir)
    info = data_dir.stat()
    if is_exposed(info.st_mode) and info.st_uid == os.geteuid():
        log.warning(
            "data folder %s had mode %04o; tightened to 0700 / 数据目录权限已收紧为 0700",
            data_dir,
            stat.S_IMODE(info.st_mode),
        )
        data_dir.chmod(PRIVATE_DIR_MODE)
    _ensured_data_dirs.add(data_dir)
    return data_dir


def create_secret_once(path: Path, content: str) -> None:
    """Write a generated secret to `path` (0600, in a 0700 folder) unless the file exists.

    Written whole to a temporary file, then linked into place: link() fails when the name exists, so
    of two processes generating at once the first to link wins and both read the winner's secret.
    """
    ensure_private_dir(path.parent)
    if path.exists():
        return
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, PRIVATE_FILE_MODE)
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
