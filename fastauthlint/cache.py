"""Per-file results cached by content hash, keyed by tool version and rule options.

The cache lives in the user's cache directory ($FASTAUTHLINT_CACHE_DIR, else $XDG_CACHE_HOME or
~/.cache, under fastauthlint/), one file per project root and configuration, never inside the
linted project: a cache file committed to a repository could otherwise tell CI that a vulnerable
file is clean. It holds JSON (see serial.py: data only, nothing in it can run code), never raw
secrets: findings carry masked values only and checks keep no literal secret in their facts.

Layout of a cache file (what a warm run reads is small; what only linking needs is read lazily):

    fastauthlint-cache <FORMAT>\\n
    <index length> <crc32 of the index>\\n
    <index: JSON>                    per file: digest, rel, error, module names, findings,
                                     suppressions, masks, and where each check's facts are
    <segments: JSON texts, back to back>
                                     one per (file, check) facts, decoded only when the linking
                                     phase asks for that check's facts of that file; plus the
                                     linked (cross-file) findings of the last run

Every segment carries a CRC-32 in the index, checked when it is decoded: a damaged file is a
cache miss (the file is analysed again), never a wrong answer.

The linked findings are reused when no file of the project changed at all (same set of files,
same digests: the key is a hash of every path and digest): a warm run, or a pre-commit run on
files that were linted before, then skips decoding facts and linking.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from fastauthlint import serial
from fastauthlint.analysis import FileResult
from fastauthlint.findings import Finding
from fastauthlint.project.names import ModuleNames
from fastauthlint.suppress import Suppression

FORMAT = 16  # 16: `.is_authenticated` tests read the user; 15: the routes helper's purpose facts (routes11) merged; 14: what may never run (project/collect_unreached.py); 13: ownership key comparisons, *args/**kwargs forwarded, attributes set on held values; 12: what a file stores on app.state; 11: passkey sign-in tags; 10: raw INSERT INTO tagged as creating a row (signup); 9: JWT key sources (FAL507), script modules, cookie provenance, placeholder keys, same-name defs keyed name@N; 8: FAL605 answers and FAL403 dependency reads judged when linking; 7: request state set and read (ownership, HTTP facts), CORS calls judged when linking; 6: ParamFact.passed; 3: fact classes moved into the family packages; 4: HTTP-contract facts (FAL601 links);
           # 5: what functions do (route purposes) and how they end (protection) on FuncFact
MAGIC = b"fastauthlint-cache %d\n" % FORMAT
_DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_DECODE_ERRORS = (serial.DecodeError, TypeError, KeyError, ValueError, IndexError, AttributeError)

Seg = Tuple[int, int, int]  # (offset in the segment area, length, crc32)


def cache_home() -> Path:
    env = os.environ.get("FASTAUTHLINT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fastauthlint"


@dataclass
class Entry:
    """What the index holds for one file (everything of a FileResult but its facts)."""

    digest: str
    facts: Dict[str, Tuple[int, int, int]]  # check -> segment (second: never left out)
    rel: str
    error: Optional[str] = None
    names: Optional[ModuleNames] = None
    findings: List[Finding] = field(default_factory=list)
    suppressions: List[Suppression] = field(default_factory=list)
    masks: List[Tuple[int, int, int]] = field(default_factory=list)


def linked_key(files: Iterable[Tuple[str, str]]) -> str:
    """Key of the linked findings: every (path, digest) of the project."""
    h = hashlib.sha256()
    for path, digest in sorted(files):
        h.update(f"{path}\0{digest}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


class LazyFacts(Mapping):
    """A cached file's facts by check name, each decoded from its segment on first use."""

    __slots__ = ("_cache", "_segs", "_done")

    def __init__(self, cache: "Cache", segs: Dict[str, Seg]):
        self._cache = cache
        self._segs = segs
        self._done: Dict[str, Any] = {}

    def __getitem__(self, check: str) -> Any:
        try:
            return self._done[check]
        except KeyError:
            pass
        seg = self._segs[check]
        try:
            value = serial.decode(self._cache.segment(seg))
        except _DECODE_ERRORS as e:
            raise CacheDamaged(f"{self._cache.file}: {type(e).__name__}: {e}") from None
        self._done[check] = value
        return value

    def get(self, check: str, default: Any = None) -> Any:
        if check in self._segs:
            return self[check]
        return default

    def __contains__(self, check: object) -> bool:
        return check in self._segs

    def __iter__(self) -> Iterator[str]:
        return iter(self._segs)

    def __len__(self) -> int:
        return len(self._segs)


class Cache:
    def __init__(self, root: Path, key: str, enabled: bool = True, load: bool = True):
        self.enabled = enabled
        self.root_id = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        self.file = cache_home() / f"{self.root_id}-{key}.json"
        self.entries: Dict[str, Any] = {}  # path -> packed Entry (unpacked on get)
        self._linked: Optional[Dict[str, Any]] = None  # {"key": ..., "seg": [off, len, crc]}
        self._data = b""  # the whole file as read
        self._base = 0  # where the segment area starts in _data
        self._new: Dict[str, Tuple[list, Dict[str, bytes]]] = {}  # packed entries put in this run
        self._new_linked: Optional[Tuple[str, bytes]] = None
        self.dirty = False
        if enabled and load:
            self._load()

    # -- reading --------------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            data = self.file.read_bytes()
        except OSError:
            return
        try:
            if not data.startswith(MAGIC):
                return
            nl = data.index(b"\n", len(MAGIC))
            length, crc = (int(x) for x in data[len(MAGIC):nl].split())
            start = nl + 1
            raw = data[start:start + length]
            if len(raw) != length or zlib.crc32(raw) != crc:
                return
            index = json.loads(raw)
            files = index.get("files")
            if not isinstance(files, dict):
                return
        except (ValueError, UnicodeDecodeError):
            return
        self.entries = files
        linked = index.get("linked")
        self._linked = linked if isinstance(linked, dict) else None
        self._data = data
        self._base = start + length

    def get(self, path: str, digest: str) -> Optional[FileResult]:
        raw = self.entries.get(path)
        if type(raw) is not list or not raw or raw[0] != digest:
            return None
        try:
            e = serial.unpack(raw, Entry)
            if not isinstance(e, Entry):
                return None
            for seg in e.facts.values():
                if len(seg) != 3:
                    return None
        except _DECODE_ERRORS:
            return None
        return FileResult(path=path, rel=e.rel, digest=e.digest, names=e.names, facts=LazyFacts(self, e.facts),
                          findings=e.findings, suppressions=e.suppressions, masks=e.masks, error=e.error)

    def segment(self, seg: Seg) -> Any:
        """The JSON value stored in a segment. A damaged segment raises CacheDamaged."""
        raw = self._segment_bytes(seg)
        if raw is None:
            raise CacheDamaged(f"{self.file}: damaged segment at {seg[0]}")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise CacheDamaged(f"{self.file}: {e}") from None

    def _segment_bytes(self, seg: Seg) -> Optional[bytes]:
        try:
            off, length, crc = seg
            start = self._base + off
            raw = self._data[start:start + length]
            if off < 0 or len(raw) != length or zlib.crc32(raw) != crc:
                return None
        except (TypeError, ValueError):
            return None
        return raw

    def linked(self, key: str) -> Optional[List[Finding]]:
        """The linked findings stored under `key`, or None."""
        if self._new_linked is not None:
            return None
        info = self._linked
        if not info or info.get("key") != key:
            return None
        try:
            seg = info["seg"]
            value = self.segment((int(seg[0]), int(seg[1]), int(seg[2])))
            found = serial.unpack(value, List[Finding])
        except (CacheDamaged, *_DECODE_ERRORS):
            return None
        if not all(isinstance(f, Finding) for f in found):
            return None
        return found

    # -- writing --------------------------------------------------------------------------------
    def put(self, result: FileResult) -> None:
        if not self.enabled or not result.digest or result.error in ("read", "internal", "timeout"):
            return
        try:
            segs = {check: _DUMP(serial.encode(value)).encode("utf-8", "surrogatepass")
                    for check, value in result.facts.items()}
            entry = Entry(digest=result.digest, facts={}, rel=result.rel, error=result.error, names=result.names,
                          findings=list(result.findings), suppressions=list(result.suppressions),
                          masks=list(result.masks))
            packed = serial.pack(entry, Entry)
        except (TypeError, ValueError):
            return  # not cached: analysed again next time
        self._new[result.path] = (packed, segs)
        self.entries.pop(result.path, None)
        self.dirty = True

    def put_linked(self, key: str, findings: List[Finding]) -> None:
        if not self.enabled:
            return
        try:
            data = _DUMP(serial.pack(list(findings), List[Finding]))
        except (TypeError, ValueError):
            return
        self._new_linked = (key, data.encode("utf-8", "surrogatepass"))
        self.dirty = True

    def prune(self, keep) -> None:
        """Forget files that no longer exist in the project."""
        gone = [p for p in self.entries if p not in keep]
        gone += [p for p in self._new if p not in keep]
        for p in gone:
            self.entries.pop(p, None)
            self._new.pop(p, None)
        self.dirty = self.dirty or bool(gone)

    def discard(self) -> None:
        """Remove the cache file (found damaged)."""
        self.entries = {}
        self._linked = None
        self._data = b""
        try:
            self.file.unlink()
        except OSError:
            pass

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        try:
            self._write()
        except (OSError, ValueError, TypeError):
            pass  # a read-only home or full disk costs speed, never the run

    def _write(self) -> None:
        parts: List[bytes] = []
        pos = 0

        def add(blob: bytes) -> Seg:
            nonlocal pos
            seg = (pos, len(blob), zlib.crc32(blob))
            parts.append(blob)
            pos += len(blob)
            return seg

        files: Dict[str, Any] = {}
        for path in sorted(set(self.entries) | set(self._new)):
            if path in self._new:
                packed, segs = self._new[path]
                packed = list(packed)
                packed[1] = {check: list(add(blob)) for check, blob in segs.items()}
                files[path] = packed
                continue
            raw = self.entries[path]
            try:
                moved = {}
                for check, seg in raw[1].items():
                    blob = self._segment_bytes(tuple(seg))
                    if blob is None:
                        raise ValueError
                    moved[check] = list(add(blob))
                raw = list(raw)
                raw[1] = moved
            except (TypeError, ValueError, AttributeError, IndexError):
                continue  # a damaged entry is dropped
            files[path] = raw
        index: Dict[str, Any] = {"files": files}
        if self._new_linked is not None:
            key, blob = self._new_linked
            index["linked"] = {"key": key, "seg": list(add(blob))}
        elif self._linked is not None:
            try:
                blob = self._segment_bytes(tuple(int(x) for x in self._linked["seg"]))
                if blob is not None:
                    index["linked"] = {"key": self._linked["key"], "seg": list(add(blob))}
            except (KeyError, TypeError, ValueError):
                pass
        head = _DUMP(index).encode("utf-8", "surrogatepass")
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tag = self.file.parent / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# fastauthlint cache\n")
        fd, tmp = tempfile.mkstemp(dir=self.file.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC)
                fh.write(b"%d %d\n" % (len(head), zlib.crc32(head)))
                fh.write(head)
                for blob in parts:
                    fh.write(blob)
            os.replace(tmp, self.file)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        # One cache file per project: results under another tool version or options are stale.
        for old in self.file.parent.glob(f"{self.root_id}-*.json"):
            if old != self.file:
                try:
                    old.unlink()
                except OSError:
                    pass


class CacheDamaged(Exception):
    """A segment of the cache file does not decode (a damaged or foreign file)."""
