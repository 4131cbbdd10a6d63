"""The FastAPI version a project pins, read from its dependency files, for FAL605's note on the
built-in security schemes: before FastAPI 0.122.0, `HTTPBearer`, `HTTPDigest`, `APIKeyHeader`,
`APIKeyQuery`, `APIKeyCookie`, `OpenIdConnect` and `OAuth2` answered a missing or malformed credential
with 403 (`OAuth2PasswordBearer` and `HTTPBasic` with 401); since 0.122.0 all answer 401.

Only a version the files fix is used: an exact pin (`fastapi==0.110.0`), a lock file's version
(`uv.lock`, `poetry.lock`, `Pipfile.lock`), or a range whose upper bound is below 0.122 (`<0.115`,
`~=0.110.0`, Poetry's `^0.109`). An open range says nothing about what is installed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Optional, Tuple

FIXED_IN = (0, 122, 0)
_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pyproject.toml", "requirements.txt", "requirements.in",
          "requirements/base.txt", "requirements/prod.txt", "requirements/production.txt", "setup.cfg")
_DIRS = ("", "backend", "server", "api", "app", "src")

Version = Tuple[int, ...]


def parse(text: str) -> Version:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def _from_text(name: str, text: str) -> Optional[Tuple[Version, str]]:
    if name.endswith(".lock"):
        m = re.search(r'name = "fastapi"\s*\nversion = "([\d.]+)"', text)
        if m:
            return parse(m.group(1)), f"{m.group(1)} in {name}"
        m = re.search(r'"fastapi":\s*\{[^}]*?"version":\s*"==([\d.]+)"', text, flags=re.S)
        return (parse(m.group(1)), f"{m.group(1)} in {name}") if m else None
    for m in re.finditer(r"""(?im)^[\s"']*fastapi(?:\[[^\]]*\])?(\s*=\s*(?=["']))?["']?\s*([^"'\n#;]*)""", text):
        spec = m.group(2).strip()
        exact = re.match(r"^==\s*([\d.]+)$", spec)
        if exact:
            return parse(exact.group(1)), f"fastapi=={exact.group(1)} in {name}"
        caret = re.match(r"^\^\s*0\.(\d+)", spec)  # Poetry: ^0.109 means >=0.109,<0.110
        if caret:
            return (0, int(caret.group(1)), 99), f"fastapi {spec} in {name}"
        tilde = re.match(r"^~=\s*0\.(\d+)\.\d+", spec)
        if tilde:
            return (0, int(tilde.group(1)), 99), f"fastapi{spec} in {name}"
        upper = re.search(r"<=?\s*([\d.]+)", spec)
        if upper:
            return parse(upper.group(1)), f"fastapi{spec} in {name}"
    return None


@functools.lru_cache(maxsize=16)
def pinned(root: str) -> Optional[Tuple[Version, str]]:
    """(highest version the files allow, where it is said) when they fix one, else None."""
    base = Path(root)
    for d in _DIRS:
        for name in _FILES:
            p = base / d / name if d else base / name
            try:
                text = p.read_text(encoding="utf-8", errors="replace")[:2_000_000]
            except OSError:
                continue
            found = _from_text(name, text)
            if found is not None:
                return found
    return None
