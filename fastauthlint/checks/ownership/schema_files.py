"""Tables declared in the project's `.sql` files (`schema.sql`, `migrations/*.sql`, `sql/*.sql`):
projects on asyncpg, `databases` or psycopg keep their schema there and query with SQL strings,
so which tables are owner-scoped is only known from these files.

Read at link time from below the project root (bounded: a few hundred files of at most 1 MB,
dependency and build folders skipped); their digests join the key of the cached linked findings,
so a changed schema is read again."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import List, Tuple

from fastauthlint.checks.ownership.facts import TableFact
from fastauthlint.checks.ownership.models import tables_from_sql

MAX_FILES = 400
MAX_BYTES = 1_000_000
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", "dist",
              "build", ".tox", ".mypy_cache", ".pytest_cache", "tests", "test"}


def sql_files(root: Path) -> List[Path]:
    out: List[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.lower().endswith(".sql"):
                p = Path(dirpath) / name
                try:
                    if p.stat().st_size <= MAX_BYTES:
                        out.append(p)
                except OSError:
                    continue
                if len(out) >= MAX_FILES:
                    return out
    return out


def _read(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError:
        return b""


def schema_digests(root: Path) -> List[Tuple[str, str]]:
    return [(p.as_posix(), hashlib.sha256(_read(p)).hexdigest()) for p in sql_files(root)]


def schema_tables(root: Path) -> List[TableFact]:
    out: List[TableFact] = []
    for p in sql_files(root):
        out += tables_from_sql(_read(p).decode("utf-8", "replace"))
    return out
