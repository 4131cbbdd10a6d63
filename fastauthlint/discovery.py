"""Which files to lint (the targets) and which files describe the project (the facts)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, List, Sequence, Set

from fastauthlint.config import Config
from fastauthlint.globs import compile_glob

SOURCE_SUFFIXES = (".py", ".pyi")


class DiscoveryError(Exception):
    pass


@dataclass
class Discovered:
    targets: List[Path]  # absolute, resolved; findings are reported for these
    project: List[Path]  # absolute, resolved; every file whose facts the linking phase sees


def _excluder(config: Config) -> Callable[[str], bool]:
    preds = [compile_glob(p) for p in (*config.exclude, *config.extend_exclude)]
    return lambda rel: any(p(rel) for p in preds)


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix().lstrip("/")


def _walk(top: Path, base: Path, excluded: Callable[[str], bool]) -> Iterable[Path]:
    # followlinks=False: a symlinked directory is not entered, so symlink loops cannot recur.
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False, onerror=lambda e: None):
        d = Path(dirpath)
        dirnames[:] = sorted(n for n in dirnames if not excluded(_rel(d / n, base)))
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES):
                p = d / name
                if not excluded(_rel(p, base)):
                    yield p


def discover(paths: Sequence[Path], config: Config, force_exclude: bool = False,
             scan_project: bool = True) -> Discovered:
    excluded = _excluder(config)
    root = config.root.resolve()
    targets: List[Path] = []
    seen: Set[Path] = set()

    def add(p: Path, into: List[Path], seen_set: Set[Path]) -> None:
        # A symlinked file keeps its own name (that is where the user sees it); directories in
        # its path are resolved so that paths compare with the resolved project root.
        shown = p.absolute().parent.resolve() / p.name
        try:
            identity = p.resolve()
        except (OSError, RuntimeError):  # a symlink loop on the file itself
            identity = shown
        if identity not in seen_set:
            seen_set.add(identity)
            into.append(shown)

    for raw in paths:
        p = raw.absolute()
        if not p.exists() and not p.is_symlink():
            raise DiscoveryError(f"{raw}: no such file or directory")
        if p.is_dir():
            for f in _walk(p, root if _under(p, root) else p, excluded):
                add(f, targets, seen)
        else:
            # A file named explicitly is linted even if excluded, unless --force-exclude
            # (what pre-commit passes, since it names every changed file).
            if force_exclude and excluded(_rel(p, root)):
                continue
            add(p, targets, seen)

    project: List[Path] = list(targets)
    pseen = set(seen)
    if scan_project and root.is_dir():
        for f in _walk(root, root, excluded):
            add(f, project, pseen)
    return Discovered(targets=targets, project=project)


def _under(p: Path, root: Path) -> bool:
    try:
        p.resolve().relative_to(root)
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def module_name(path: Path, root: Path) -> tuple:
    """(dotted module name, is_package) from the path relative to the project root.

    The full root-relative path is used (`backend/app/api/deps.py` -> `backend.app.api.deps`), so
    relative imports resolve exactly; absolute imports (`app.api.deps`) are matched against the
    dotted suffixes of these names when the project is linked (src layouts, namespace packages).
    """
    rel = Path(_rel(path, root))
    parts = list(rel.with_suffix("").parts)
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package
