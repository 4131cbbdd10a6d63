"""Which findings have a fix, remembered between runs.

Knowing whether a finding has a fix takes a parse of its file (and sometimes a look at the whole
project), about a tenth of a second per file: on a warm run of a large project that would be most
of the run. The answers are kept beside the cache (same directory, same key of tool and options,
JSON, no source text): per file digest, each finding's rule and span with its fix or none. An
answer that depended on the project hints (the algorithm, the scheme) also records the key of the
whole project (every path and digest) and holds only while no file changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from fastauthlint.cache import cache_home, linked_key
from fastauthlint.fileio import write_atomic
from fastauthlint.findings import Finding, FixInfo

_VERSION = 1
Answer = Optional[Tuple[str, str]]  # (applicability, message) or None


def _finding_key(f: Finding) -> str:
    s = f.span
    return f"{f.rule}:{s.line}:{s.column}:{s.end_line}:{s.end_column}"


class FixMemo:
    def __init__(self, root: Path, config_key: str, digests: Dict[str, str], enabled: bool = True):
        self.root_id = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        self.file = cache_home() / f"fixes-{self.root_id}-{config_key}.json"
        self.enabled = enabled
        self.digests = digests  # absolute path -> digest of the content this run saw
        self.project = linked_key(digests.items())
        self.entries: Dict[str, dict] = {}
        self.dirty = False
        if enabled:
            try:
                doc = json.loads(self.file.read_text(encoding="utf-8"))
                if doc.get("v") == _VERSION and isinstance(doc.get("files"), dict):
                    self.entries = doc["files"]
            except (OSError, ValueError, AttributeError):
                pass

    def get(self, path: str, findings: List[Finding]) -> Optional[Dict[str, Answer]]:
        """The remembered answers for these findings of `path`, or None when any is unknown."""
        e = self.entries.get(path)
        digest = self.digests.get(path)
        if not e or not digest or e.get("digest") != digest:
            return None
        if e.get("project") and e["project"] != self.project:
            return None
        answers = e.get("answers", {})
        out: Dict[str, Answer] = {}
        for f in findings:
            k = _finding_key(f)
            if k not in answers:
                return None
            a = answers[k]
            out[k] = (a[0], a[1]) if isinstance(a, list) and len(a) == 2 else None
        return out

    def put(self, path: str, answers: Dict[str, Answer], used_project: bool) -> None:
        digest = self.digests.get(path)
        if not self.enabled or not digest:
            return
        self.entries[path] = {"digest": digest, "project": self.project if used_project else "",
                              "answers": {k: list(v) if v else None for k, v in answers.items()}}
        self.dirty = True

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        live = {p: e for p, e in self.entries.items() if p in self.digests}
        data = json.dumps({"v": _VERSION, "files": live}, separators=(",", ":")).encode("utf-8")
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.file, data)
            # answers under another tool version or options are stale (as the cache's own files)
            for old in self.file.parent.glob(f"fixes-{self.root_id}-*.json"):
                if old != self.file:
                    old.unlink()
        except OSError:
            pass  # a cache that cannot be written is only slower


def lookup(answers: Dict[str, Answer], f: Finding) -> Optional[FixInfo]:
    a = answers.get(_finding_key(f))
    return FixInfo(a[0], a[1]) if a else None


def key_of(f: Finding) -> str:
    return _finding_key(f)
