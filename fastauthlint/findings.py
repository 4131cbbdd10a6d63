"""What a check reports: one Finding per problem, plain data that crosses process boundaries."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, List, Optional, Tuple


class Severity(str, enum.Enum):
    """Ordered from most to least severe. SARIF calls `info` "note"; the words here are the ones
    editors' problem matchers understand."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def lower(self) -> "Severity":
        return {Severity.ERROR: Severity.WARNING, Severity.WARNING: Severity.INFO}.get(self, Severity.INFO)

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    @property
    def sarif_level(self) -> str:
        return {"error": "error", "warning": "warning", "info": "note"}[self.value]


# Findings in test, seed and documentation code (literal passwords of fake users, example keys):
# reported, so nothing is hidden, but below the default `fail-on` threshold, so they do not fail CI.
TEST_CODE_SEVERITY = Severity.INFO


@dataclass(frozen=True)
class Span:
    """1-based lines and columns; end is inclusive of the last line, exclusive of the end column."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class FixInfo:
    """A fix is available for a finding (see fastauthlint.fixes). `applicability`: "safe" (applied by
    `--fix`) or "unsafe" (only with `--unsafe-fixes`: it changes behaviour beyond the finding)."""

    applicability: str
    message: str


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str  # POSIX path relative to the working directory (as shown to the user)
    span: Span
    message: str
    # None means "the rule's default severity"; a check lowers it (e.g. secrets in test code).
    severity: Optional[Severity] = None
    # Column ranges (line, start_col, end_col; 1-based, end exclusive) holding a secret value:
    # every reporter that shows source masks them. The value itself is never stored.
    masks: Tuple[Tuple[int, int, int], ...] = ()
    fingerprint: str = ""
    spec_ref: Optional[str] = None
    # Free-form, JSON-serialisable details a reporter may show (e.g. the route's full path).
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # Set after the run for the findings a fix can resolve (never cached: it depends on the project).
    fix: Optional[FixInfo] = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def end_line(self) -> int:
        return self.span.end_line

    @property
    def end_column(self) -> int:
        return self.span.end_column

    def sort_key(self):
        return (self.path, self.span.line, self.span.column, self.rule, self.message)

    def with_(self, **changes) -> "Finding":
        return replace(self, **changes)


def normalise_code(text: str) -> str:
    """Whitespace-insensitive form of source text for fingerprints: re-indenting or re-spacing a
    line does not make its finding new."""
    return " ".join(text.split())


def code_digest(key: Tuple[str, ...], occurrence: Optional[int] = None) -> str:
    """The hash behind fingerprints and baseline entries: the key's parts, and the occurrence
    number of the key when identical findings are told apart by position."""
    parts = list(key) + ([str(occurrence)] if occurrence is not None else [])
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def occurrences(findings: Iterable[Finding], key: Callable[[Finding], Tuple[str, ...]]
                ) -> List[Tuple[Finding, Tuple[str, ...], int]]:
    """Each finding, in report order, with its key and how many findings before it share the key
    (several identical lines in one file are told apart by order, never by line number)."""
    seen: dict = {}
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        k = key(f)
        n = seen.get(k, 0)
        seen[k] = n + 1
        out.append((f, k, n))
    return out


def assign_fingerprints(findings: Iterable[Finding], line_text: Callable[[Finding], str],
                        path_key: Callable[[Finding], str]) -> List[Finding]:
    """Fingerprints survive edits elsewhere in the file: they hash the rule, the path, the
    whitespace-normalised (and secret-masked) text of the reported line and the occurrence number
    of that triple, never the line number (the model is GitHub's primaryLocationLineHash)."""
    keyed = occurrences(findings, lambda f: (f.rule, path_key(f), normalise_code(line_text(f))))
    return [f.with_(fingerprint=code_digest(k, n)) for f, k, n in keyed]
