"""Glob patterns for exclude and per-file-ignores, with the semantics ruff and .gitignore users expect.

- A pattern without `/` (`migrations`, `test_*.py`) matches any single path component, so it
  matches a file by its name or everything below a directory of that name.
- A pattern with `/` (`tests/fixtures`, `app/**/legacy_*.py`) is anchored at the project root;
  `**` spans any number of directories, `*` and `?` stay inside one component. It matches the path
  itself or any directory above it, so `tests/fixtures` covers everything below it.
"""

from __future__ import annotations

import re
from typing import Callable


def _translate(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def compile_glob(pattern: str) -> Callable[[str], bool]:
    """A predicate over root-relative POSIX paths."""
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    pat = pat.rstrip("/") or pat
    if "/" not in pat:
        rx = re.compile(_translate(pat) + r"\Z")
        return lambda path: any(rx.match(part) for part in path.split("/"))
    rx = re.compile(_translate(pat.lstrip("/")) + r"(?:/.*)?\Z")
    return lambda path: rx.match(path) is not None


def compile_globs(patterns) -> "tuple[Callable[[str], bool], Callable[[str], bool]]":
    """The same patterns as `compile_glob`, as two predicates for a directory walk: one over a
    single path component (the patterns without `/`), one over the root-relative path (the
    anchored ones). A path is matched by the patterns iff one of its components matches the first
    or the path matches the second."""
    names, anchored = [], []
    for pattern in patterns:
        pat = pattern.strip()
        if pat.startswith("./"):
            pat = pat[2:]
        pat = pat.rstrip("/") or pat
        if "/" not in pat:
            names.append(f"(?:{_translate(pat)})")
        else:
            anchored.append(f"(?:{_translate(pat.lstrip('/'))})")
    name_rx = re.compile("(?:" + "|".join(names) + r")\Z") if names else None
    path_rx = re.compile("(?:" + "|".join(anchored) + r")(?:/.*)?\Z") if anchored else None
    name_pred = (lambda part: name_rx.match(part) is not None) if name_rx else (lambda part: False)
    path_pred = (lambda path: path_rx.match(path) is not None) if path_rx else (lambda path: False)
    return name_pred, path_pred
