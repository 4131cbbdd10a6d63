"""What a fix needs to know about the project beyond its own file: the JWT algorithm in use (to pin
`algorithms=[…]`) and the authentication scheme (for `WWW-Authenticate`).

Both come from the closest evidence first — the file being fixed, then the rest of the project —
and only an unambiguous answer counts: two algorithms or two schemes in sight and no closer hint
means no fix (the rule still reports; the person decides). The project-wide look is a text scan,
done once per run and only when a file's own code does not answer.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Optional, Set

from fastauthlint.checks.http.schemes import SCHEME_CLASSES
from fastauthlint.context import is_test_path

ALGORITHM = re.compile(r"^(HS|RS|PS|ES)(256|384|512)K?$|^EdDSA$", re.I)

_ALG = r"""["']((?:HS|RS|PS|ES)(?:256|384|512)|EdDSA)["']"""
# `algorithm="HS256"` (an encode call), `ALGORITHM = "HS256"`, `JWT_ALGORITHM: str = "HS256"`,
# `ALGORITHM = os.getenv("JWT_ALGORITHM", "HS256")`, `algorithm: str = Field(default="HS256")`.
_ALG_SOURCES = re.compile(
    r"""\balgorithm\s*=\s*""" + _ALG + r"""|"""
    r"""^\s*\w*algorithm\w*\s*(?::[^=\n]+)?=\s*(?:[\w.]+\((?:\s*["'][\w.]+["']\s*,)?\s*(?:default\s*=\s*)?)?"""
    + _ALG, re.I | re.M)
_SCHEME_USE = re.compile(r"\b(" + "|".join(sorted(SCHEME_CLASSES, key=len, reverse=True)) + r")\s*\(")


class ProjectHints:
    """Lazily computed facts of the whole project. `files`: absolute paths of the project's
    Python files; `read(path)`: a file's text as this run sees it (overlays included)."""

    def __init__(self, files: Iterable[str], read: Callable[[str], Optional[str]], root: str = ""):
        self.files = sorted(files)
        self.read = read
        self.root = root.rstrip("/") + "/" if root else ""
        self._algorithms: Optional[Set[str]] = None
        self._schemes: Optional[Set[str]] = None
        self.used = False  # set when an answer depended on the project (see fixes.memo)

    def _texts(self, needle: re.Pattern) -> Iterable[str]:
        for path in self.files:
            rel = path[len(self.root):] if self.root and path.startswith(self.root) else path
            if is_test_path(rel):
                continue  # tests sign tokens with whatever they like
            text = self.read(path)
            if text and needle.search(text):
                yield text

    def algorithms(self) -> Set[str]:
        """Every JWT algorithm the project's code names for signing or configures."""
        self.used = True
        if self._algorithms is None:
            found: Set[str] = set()
            for text in self._texts(re.compile("algorithm", re.I)):
                for m in _ALG_SOURCES.finditer(text):
                    found.add(_canonical(m.group(1) or m.group(2)))
            self._algorithms = found
        return self._algorithms

    def schemes(self) -> Set[str]:
        """The WWW-Authenticate schemes of the security classes the project instantiates."""
        self.used = True
        if self._schemes is None:
            found: Set[str] = set()
            for text in self._texts(_SCHEME_USE):
                found.update(SCHEME_CLASSES[m.group(1)] for m in _SCHEME_USE.finditer(text))
            self._schemes = found
        return self._schemes


    def files_naming(self, name: str, exclude: str = "") -> list:
        """The project's files (tests too) other than `exclude` whose text names `name`."""
        self.used = True
        needle = re.compile(rf"\b{re.escape(name)}\b")
        return [p for p in self.files if p != exclude and needle.search(self.read(p) or "")]


def _canonical(alg: str) -> str:
    return "EdDSA" if alg.lower() == "eddsa" else alg.upper()


def one(values: Set[str]) -> Optional[str]:
    return next(iter(values)) if len(values) == 1 else None
