"""Text edits the language server offers, as plain data (no pygls here: the tests call these
directly). Lines are 0-based, columns are code points; the server converts them to the client's
position encoding.

- `line_edits(old, new)`: a fixed file as edits of whole lines (an added `import hmac` and a
  changed call are two small edits, not one that spans the file);
- `noqa_edit(text, rule, line, end_line)`: `# noqa: FAL604` at the end of the first line of the
  finding whose end is not inside a string, or the rule added to a `# noqa:` already there;
- `public_edit(text, line)`: `# fastauthlint: public` after the route's decorator line (what
  project.public.PUBLIC_MARK reads), or above it when that line already has a comment.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass
from typing import List, Optional, Set

_NOQA = re.compile(r"#\s*noqa\s*:\s*(?:[A-Za-z]+\d+)(?:\s*,\s*[A-Za-z]+\d+)*", re.I)
PUBLIC_COMMENT = "# fastauthlint: public"


@dataclass(frozen=True)
class Edit:
    line: int
    column: int
    end_line: int
    end_column: int
    text: str


def line_edits(old: str, new: str) -> List[Edit]:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(Edit(i1, 0, i2, 0, "".join(b[j1:j2])))
    if out and out[-1].end_line == len(a) and a and not a[-1].endswith(("\n", "\r")):
        # the last line has no line break: end the edit at its end, not on a line after it
        last = out[-1]
        out[-1] = Edit(last.line, last.column, len(a) - 1, len(a[-1]), last.text)
    return out


def _lines_ending_in_strings(text: str) -> Set[int]:
    """0-based lines whose end lies inside a string (a comment there would be part of it)."""
    inside: Set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.start[0] != tok.end[0] and tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                inside.update(range(tok.start[0] - 1, tok.end[0] - 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return inside


def noqa_edit(text: str, rule: str, line: int, end_line: int) -> Optional[Edit]:
    """Suppress `rule` on the finding's lines [line, end_line] (0-based)."""
    lines = text.splitlines()
    blocked = _lines_ending_in_strings(text)
    for n in range(line, min(end_line, len(lines) - 1) + 1):
        if n in blocked or lines[n].rstrip().endswith("\\"):
            continue  # inside a string, or a line continued with a backslash
        src = lines[n]
        m = _NOQA.search(src)
        if m:
            if re.search(rf"\b{rule}\b", m.group(0)):
                return None  # already there
            return Edit(n, m.end(), n, m.end(), f", {rule}")
        end = len(src.rstrip())
        return Edit(n, end, n, len(src), f"  # noqa: {rule}")
    return None


def public_edit(text: str, line: int) -> Optional[Edit]:
    """Declare the route at `line` (its decorator, 0-based) public."""
    lines = text.splitlines()
    if not 0 <= line < len(lines) or line in _lines_ending_in_strings(text) or lines[line].rstrip().endswith("\\"):
        return None
    src = lines[line]
    if "#" not in src:
        end = len(src.rstrip())
        return Edit(line, end, line, len(src), f"  {PUBLIC_COMMENT}")
    indent = src[: len(src) - len(src.lstrip())]
    return Edit(line, 0, line, 0, f"{indent}{PUBLIC_COMMENT}\n")
