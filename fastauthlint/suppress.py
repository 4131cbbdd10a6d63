"""Inline suppressions and the unused-suppression rule (FAL001).

    x = jwt.decode(t, options=opts)  # noqa: FAL501, FAL504
    x = jwt.decode(t, options=opts)  # fastauthlint: ignore[FAL501]
    # fastauthlint: ignore-file[FAL301]        (anywhere in the file)

A bare `# noqa` does not silence fastauthlint: files inherit those from other tools, and a
security finding should be switched off on purpose. `# noqa: E501` (other tools' codes only) is
not ours and is left alone.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Set, Tuple

from fastauthlint.findings import Finding, Span

UNUSED_SUPPRESSION = "FAL001"

# Codes are words of letters and digits (`FAL501`; a typo such as `FAL5O1` stays one word so
# that FAL001 can name it); words after the codes are other tools' or prose, and are dropped.
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Za-z]+\w*(?:[\s,]+[A-Za-z]+\w*)*)", re.I)
_OURS = re.compile(r"#\s*fastauthlint\s*:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?", re.I)
_CODE = re.compile(r"^FAL\d{3}$")


@dataclass
class Suppression:
    line: int
    column: int  # 1-based column of the directive inside the comment
    end_column: int
    kind: str  # "noqa" | "ignore" | "ignore-file"
    codes: Tuple[str, ...]  # () = every rule
    used: Set[str] = field(default_factory=set)


def _comments(text: str) -> Iterable[Tuple[int, int, str]]:
    """(line, 0-based column, comment text) of every comment; a fallback scan when the tokenizer
    of this Python does not understand the file (newer syntax than the interpreter's)."""
    try:
        found = [(tok.start[0], tok.start[1], tok.string)
                 for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                 if tok.type == tokenize.COMMENT]
        yield from found
        return
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    for n, line in enumerate(text.splitlines(), 1):
        i = line.find("#")
        if i >= 0:
            yield n, i, line[i:]


def parse_suppressions(text: str) -> List[Suppression]:
    if "noqa" not in text.lower() and "fastauthlint" not in text:
        return []
    out: List[Suppression] = []
    for line, col, comment in _comments(text):
        for m in _NOQA.finditer(comment):
            codes = tuple(c.upper() for c in re.split(r"[\s,]+", m.group("codes").strip()) if c)
            ours = tuple(c for c in codes if c.startswith("FAL"))
            if ours:  # `# noqa: E501` belongs to another tool
                out.append(Suppression(line, col + m.start() + 1, col + m.end() + 1, "noqa", ours))
        for m in _OURS.finditer(comment):
            raw = m.group("codes")
            codes = tuple(c.strip().upper() for c in raw.split(",") if c.strip()) if raw else ()
            out.append(Suppression(line, col + m.start() + 1, col + m.end() + 1, m.group("kind").lower(), codes))
    return out


def apply_suppressions(findings: List[Finding], suppressions: List[Suppression]) -> List[Finding]:
    """Findings that no suppression covers; marks each suppression with the codes it used."""
    if not suppressions:
        return findings
    file_wide = [s for s in suppressions if s.kind == "ignore-file"]
    by_line: Dict[int, List[Suppression]] = {}
    for s in suppressions:
        if s.kind != "ignore-file":
            by_line.setdefault(s.line, []).append(s)
    kept = []
    for f in findings:
        if f.rule == "FAL000":  # a file that cannot be parsed cannot be trusted to say so
            kept.append(f)
            continue
        hit = False
        for s in file_wide:
            if not s.codes or f.rule in s.codes:
                s.used.add(f.rule)
                hit = True
        for line in range(f.span.line, f.span.end_line + 1):
            for s in by_line.get(line, ()):
                if not s.codes or f.rule in s.codes:
                    s.used.add(f.rule)
                    hit = True
        if not hit:
            kept.append(f)
    return kept


def unused_suppressions(path: str, suppressions: List[Suppression], active: Set[str],
                        known: Set[str]) -> List[Finding]:
    """FAL001 for each suppression code that silenced nothing although its rule ran (`active`),
    and for codes that name no rule at all."""
    out = []
    for s in suppressions:
        span = Span(s.line, s.column, s.line, s.end_column)
        directive = "noqa" if s.kind == "noqa" else f"fastauthlint: {s.kind}"
        if not s.codes:
            if not s.used:
                out.append(Finding(UNUSED_SUPPRESSION, path, span,
                                   f"unused suppression `# {directive}`: no finding to silence here"))
            continue
        unknown = [c for c in s.codes if not _CODE.match(c) or c not in known]
        unused = [c for c in s.codes if c in known and c in active and c not in s.used]
        if unknown:
            out.append(Finding(UNUSED_SUPPRESSION, path, span,
                               f"suppression names unknown rule {', '.join(unknown)}"))
        if unused:
            where = "in this file" if s.kind == "ignore-file" else "on this line"
            out.append(Finding(UNUSED_SUPPRESSION, path, span,
                               f"unused suppression of {', '.join(unused)}: no such finding {where}"))
    return out
