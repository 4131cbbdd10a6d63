"""`--diff`: the fixes as a unified diff, with every secret literal masked.

The diff must show the lines a fix changes, but not the secrets on them: removing a literal
fallback (FAL302) deletes a line that holds the literal, and a context line may hold a hardcoded
key another rule found. Removed and context lines are masked with the masks found in the file
before fixing, added lines with those of the fixed file.
"""

from __future__ import annotations

import difflib
import re
from typing import Dict, Iterable, List, Sequence, Tuple

from fastauthlint.masking import mask_line

Mask = Tuple[int, int, int]
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def unified_diff(shown_path: str, before: str, after: str, masks_before: Iterable[Mask],
                 masks_after: Iterable[Mask]) -> str:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, f"a/{shown_path}", f"b/{shown_path}", n=3))
    return "".join(_masked(lines, list(masks_before), list(masks_after)))


def _masked(lines: Sequence[str], before: List[Mask], after: List[Mask]) -> List[str]:
    out: List[str] = []
    old_no = new_no = 0
    for i, line in enumerate(lines):
        if i < 2:  # the ---/+++ header
            out.append(line)
            continue
        m = _HUNK.match(line)
        if m:
            old_no, new_no = int(m.group(1)), int(m.group(2))
            out.append(line)
            continue
        tag, body = line[:1], line[1:]
        end = "\n" if body.endswith("\n") else ""
        text = body[:-1] if end else body
        if tag == "-":
            text, old_no = mask_line(text, old_no, before), old_no + 1
        elif tag == "+":
            text, new_no = mask_line(text, new_no, after), new_no + 1
        elif tag == " ":
            text = mask_line(text, old_no, before)
            old_no, new_no = old_no + 1, new_no + 1
        else:  # "\ No newline at end of file"
            out.append(line)
            continue
        out.append(tag + text + end if end else tag + text + "\n\\ No newline at end of file\n")
    return out


def masks_by_file(result) -> Dict[str, List[Mask]]:
    """Every secret range a run knows of, per absolute path: the file's own (any finding, shown or
    not) and those of the findings."""
    out: Dict[str, List[Mask]] = {}
    for path, res in result.project.results.items():
        out.setdefault(path, []).extend(tuple(m) for m in getattr(res, "masks", ()) or ())
    inverse = {shown: path for path, shown in result.display.items()}
    for f in result.findings:
        out.setdefault(inverse.get(f.path, f.path), []).extend(f.masks)
    return out
