"""Baselines: freeze the findings a codebase has today and report only new ones.

    fastauthlint --write-baseline .fastauthlint-baseline.json src/
    fastauthlint --baseline .fastauthlint-baseline.json src/      (or `baseline = "…"` in the config)

An entry is (path relative to the project root, rule, code fingerprint, count). The fingerprint
hashes the rule, the path, the reported line's whitespace-normalised and secret-masked text and
the name of the function or class around it (the code and its context), never the line number:
lines inserted or removed elsewhere do not bring a finding back, and identical findings in one
file are counted, so a third copy of a baselined line is new. The file is sorted, indented JSON
(one entry per object, no line numbers) so that a rewrite after fixing shows as removed entries in
review; it holds masked messages and hashes, never a secret value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from fastauthlint.fileio import write_atomic
from fastauthlint.findings import Finding, code_digest, normalise_code, occurrences
from fastauthlint.masking import mask_line

FORMAT_VERSION = 1
_HEADER = ("fastauthlint baseline: the findings below are known and not reported. Regenerate with "
           "`fastauthlint --write-baseline FILE`; entries that disappear were fixed.")
_DIGEST = re.compile(r"^[0-9a-f]{32}$")
_SCOPE = re.compile(r"^(\s*)(?:async\s+def|def|class)\s+(\w+)")


class BaselineError(Exception):
    """A baseline file that cannot be read or is not one: exit code 2 with this message."""


Key = Tuple[str, str, str]  # (root-relative path, rule, fingerprint)


@dataclass
class Baseline:
    counts: Dict[Key, int] = field(default_factory=dict)
    messages: Dict[Key, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Keyer:
    """Baseline keys of findings. `rel(f)` is a finding's root-relative path, `lines(f)` the
    source lines of its file (masks are applied here, from the finding)."""

    def __init__(self, rel: Callable[[Finding], str], lines: Callable[[Finding], List[str]]):
        self.rel = rel
        self.lines = lines

    def keyed(self, findings: Sequence[Finding]) -> List[Tuple[Finding, Key, int]]:
        """(finding, key, occurrence number among findings with the same key)."""
        out = []
        for f, k, n in occurrences(findings, self._code_key):
            out.append((f, (k[1], k[0], code_digest(k)), n))
        return out

    def _code_key(self, f: Finding) -> Tuple[str, str, str, str]:
        lines = self.lines(f)
        text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
        return (f.rule, self.rel(f), normalise_code(mask_line(text, f.line, f.masks)), _scope(lines, f.line))


def _scope(lines: List[str], line: int) -> str:
    """Name of the innermost def/class around `line` (by indentation), '' at module level: the
    context that tells two identical lines in different functions apart. A name only, so no
    literal of the source (a secret default) enters the hash."""
    if not 0 < line <= len(lines):
        return ""
    here = lines[line - 1]
    indent = len(here) - len(here.lstrip())
    for n in range(line - 1, 0, -1):
        text = lines[n - 1]
        if not text.strip() or text.lstrip().startswith(("#", "@")):
            continue
        m = _SCOPE.match(text)
        depth = len(text) - len(text.lstrip())
        if m and depth < indent:
            return m.group(2)
        if depth == 0:
            return ""  # reached module level without an enclosing definition
    return ""


def build(findings: Sequence[Finding], keyer: Keyer) -> Baseline:
    base = Baseline()
    for f, key, _ in keyer.keyed(findings):
        base.counts[key] = base.counts.get(key, 0) + 1
        base.messages.setdefault(key, " ".join(f.message.split()))
    return base


def dumps(base: Baseline) -> str:
    entries = []
    for key in sorted(base.counts):
        path, rule, digest = key
        entries.append({"path": path, "rule": rule, "fingerprint": digest, "count": base.counts[key],
                        "message": base.messages.get(key, "")})
    doc = {"comment": _HEADER, "version": FORMAT_VERSION, "findings": entries}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: Path, base: Baseline) -> None:
    try:
        write_atomic(path, dumps(base).encode("utf-8"))
    except OSError as e:
        raise BaselineError(f"{path}: cannot write the baseline: {e.strerror or e}") from None


def load(path: Path) -> Baseline:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with `fastauthlint "
                            f"--write-baseline {path}`)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BaselineError(f"{path}: cannot read the baseline: {getattr(e, 'strerror', None) or e}") from None
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise BaselineError(f"{path}: not a fastauthlint baseline: invalid JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{path}: not a fastauthlint baseline: expected an object with a \"findings\" list")
    if doc.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise BaselineError(f"{path}: baseline format version {doc.get('version')!r} is not supported "
                            f"(this fastauthlint writes version {FORMAT_VERSION}); rewrite it with --write-baseline")
    base = Baseline()
    for i, e in enumerate(doc["findings"]):
        problem = _entry_problem(e)
        if problem:
            raise BaselineError(f"{path}: not a fastauthlint baseline: entry {i + 1}: {problem}")
        key = (e["path"], e["rule"], e["fingerprint"])
        base.counts[key] = base.counts.get(key, 0) + e.get("count", 1)
    return base


def _entry_problem(e: object) -> Optional[str]:
    if not isinstance(e, dict):
        return "expected an object"
    for name in ("path", "rule", "fingerprint"):
        if not isinstance(e.get(name), str) or not e[name]:
            return f"\"{name}\" must be a non-empty string"
    if not _DIGEST.match(e["fingerprint"]):
        return "\"fingerprint\" must be 32 hexadecimal digits"
    count = e.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return "\"count\" must be a positive integer"
    return None


def apply(findings: Sequence[Finding], base: Baseline, keyer: Keyer) -> Tuple[List[Finding], int]:
    """(the findings the baseline does not cover, in report order; how many it hid). Of several
    identical findings, the first `count` are the known ones."""
    kept, hidden = [], 0
    for f, key, n in keyer.keyed(findings):
        if n < base.counts.get(key, 0):
            hidden += 1
        else:
            kept.append(f)
    kept.sort(key=Finding.sort_key)
    return kept, hidden
