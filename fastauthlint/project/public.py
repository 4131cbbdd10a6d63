"""Routes public by design: the `# fastauthlint: public [reason]` marker written at a route, and
the `public-routes` patterns of the configuration ('GET /health', '/auth/*', '/items/{id}').

Part of the project model rather than of the routes family because the route table says which
routes are public (`Route.public`), and every family and `fastauthlint routes` read that table.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

PUBLIC_MARK = re.compile(r"#\s*fastauthlint\s*:\s*public\b[ \t:,-]*(?P<reason>[^#]*)", re.I)


def public_marker(lines: List[str], spans, first_line: int) -> Optional[str]:
    """The reason given by a public marker on the lines of `spans` (the route's decorator or
    call and its function's name) or in the comment block right above them; "" for a marker
    without a reason, None when there is none."""
    candidates = set()
    for s in spans:
        candidates.update(range(s.line, s.end_line + 1))
    # a comment block right above the route
    ln = min([first_line] + [s.line for s in spans]) - 1
    while ln >= 1 and lines[ln - 1].strip().startswith("#"):
        candidates.add(ln)
        ln -= 1
    for ln in sorted(candidates):
        if 1 <= ln <= len(lines):
            m = PUBLIC_MARK.search(lines[ln - 1])
            if m:
                return m.group("reason").strip()
    return None


# -- public-routes patterns --------------------------------------------------------------------

_METHOD_RX = re.compile(r"^\s*(?:(?P<methods>[A-Za-z*]+(?:\s*[,|]\s*[A-Za-z*]+)*)\s+)?(?P<path>\S+)\s*$")


def parse_public_pattern(p: str) -> Optional[Tuple[Tuple[str, ...], str]]:
    m = _METHOD_RX.match(p)
    if not m:
        return None
    methods = tuple(x.strip().upper() for x in re.split(r"[,|]", m.group("methods"))) if m.group("methods") else ()
    path = m.group("path")
    if not (path.startswith("/") or path.startswith("*")):
        return None
    return methods, path


def _norm(path: str) -> str:
    return path.rstrip("/") if len(path) > 1 else path


def public_match(patterns: Sequence[Tuple[Tuple[str, ...], str, str]], method: str, path: str) -> Optional[str]:
    """The pattern text matching a route (method + full path), else None. `*` matches any
    characters (including '/'), `{name}` in a pattern matches one path segment; a trailing slash
    does not matter."""
    candidates = {_norm(path)}
    # a prefix we could not resolve (`{settings.API_V1_STR}/login`) may be what the pattern omits
    stripped = re.sub(r"^(\{[^}]*[.…][^}]*\})+", "", path)
    if stripped != path and stripped:
        candidates.add(_norm(stripped))
    for methods, pat, text in patterns:
        if methods and "*" not in methods and method not in methods and not (method == "HEAD" and "GET" in methods):
            continue
        rx = _pattern_rx(_norm(pat))
        if any(rx.match(c) for c in candidates):
            return text
    return None


_PAT_CACHE: Dict[str, "re.Pattern[str]"] = {}


def _pattern_rx(pat: str) -> "re.Pattern[str]":
    rx = _PAT_CACHE.get(pat)
    if rx is None:
        out = []
        i = 0
        while i < len(pat):
            ch = pat[i]
            if ch == "*":
                out.append(".*")
            elif ch == "{":
                j = pat.find("}", i)
                if j < 0:
                    out.append(re.escape(ch))
                else:
                    out.append(r"\{[^/]*\}|[^/]+")
                    out[-1] = f"(?:{out[-1]})"
                    i = j
            else:
                out.append(re.escape(ch))
            i += 1
        rx = re.compile("^" + "".join(out) + "/?$")
        _PAT_CACHE[pat] = rx
    return rx

