"""Per-file results cached by content hash, keyed by tool version and rule options.

The cache lives in the user's cache directory ($FASTAUTHLINT_CACHE_DIR, else $XDG_CACHE_HOME or
~/.cache, under fastauthlint/), one file per project root and configuration, never inside the
linted project: a cache file committed to a repository could otherwise tell CI that a vulnerable
file is clean. It holds JSON (see serial.py), never raw secrets: findings carry masked values only
and checks keep no literal secret in their facts.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Dict, Optional

from fastauthlint import serial
from fastauthlint.analysis import FileResult

FORMAT = 1


def cache_home() -> Path:
    env = os.environ.get("FASTAUTHLINT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fastauthlint"


class Cache:
    def __init__(self, root: Path, key: str, enabled: bool = True):
        self.enabled = enabled
        self.root_id = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        self.file = cache_home() / f"{self.root_id}-{key}.json"
        self.entries: Dict[str, dict] = {}  # path -> encoded FileResult (decoded lazily)
        self.dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT and isinstance(data.get("files"), dict):
                self.entries = data["files"]
        except (OSError, ValueError):
            self.entries = {}

    def get(self, path: str, digest: str) -> Optional[FileResult]:
        raw = self.entries.get(path)
        if not raw or raw.get("digest") != digest:
            return None
        try:
            result = serial.decode(raw)
        except (serial.DecodeError, TypeError, KeyError, ValueError):
            return None
        return result if isinstance(result, FileResult) else None

    def put(self, result: FileResult) -> None:
        if not self.enabled or not result.digest or result.error in ("read", "internal"):
            return
        self.entries[result.path] = serial.encode(result)
        self.dirty = True

    def prune(self, keep) -> None:
        """Forget files that no longer exist in the project."""
        gone = [p for p in self.entries if p not in keep]
        for p in gone:
            del self.entries[p]
        self.dirty = self.dirty or bool(gone)

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tag = self.file.parent / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# fastauthlint cache\n")
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"format": FORMAT, "files": self.entries}, fh, separators=(",", ":"))
            os.replace(tmp, self.file)
            # One cache file per project: results under another tool version or options are stale.
            for old in self.file.parent.glob(f"{self.root_id}-*.json"):
                if old != self.file:
                    old.unlink()
        except OSError:
            pass  # a read-only home or full disk costs speed, never the run
