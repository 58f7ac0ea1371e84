"""Whole-file writes: a reader sees the old file or the new one, never half of either.

One helper for every file the project writes (reports, records, backups, covers, caches, review
pages), so a full disk or a read-only folder always ends the same way: the temp file removed, the
old file in place, the OSError for the caller to turn into one line.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def stage_atomic(path: Path, data: str | bytes, *, sync: bool = True) -> Path:
    """The whole new content in a temp file beside `path` (synced unless a cache), ready for
    os.replace; removed on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if path.exists():
            mode = path.stat().st_mode & 0o777
        else:  # what open() would give: 0o666 less the umask (mkstemp's 0o600 would hide the report)
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_atomic(path: Path, data: str | bytes, *, sync: bool = True) -> None:
    """Write via a temp file in the same folder and rename: readers see the old file or the new, never half."""
    tmp = stage_atomic(path, data, sync=sync)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
