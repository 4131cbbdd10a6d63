"""Writing a file all at once: a reader (or an interrupted run) sees the old content or the new,
never half of it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, keep_mode: bool = False) -> None:
    """Replace `path` with `data` through a temporary file beside it; `keep_mode`: the new file
    keeps the old one's permissions (a fixed source file stays executable). Raises OSError."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if keep_mode:
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
