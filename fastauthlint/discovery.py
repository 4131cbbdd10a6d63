"""Which files to lint (the targets) and which files describe the project (the facts)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, List, Sequence, Set, Tuple

from fastauthlint.config import Config
from fastauthlint.globs import compile_glob, compile_globs

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


def _walk(top: Path, base: Path, config: Config) -> Iterable[Tuple[Path, Path]]:
    """(shown path, identity) of every source file under `top`, in os.walk's top-down order with
    sorted names, skipping excluded directories and files (patterns against the path relative to
    `base`). The shown path has its directories resolved (not its own name: a symlinked file keeps
    its name); the identity is the fully resolved path. Symlinked directories are not entered, so
    symlink loops cannot recur."""
    name_excluded, path_excluded = compile_globs((*config.exclude, *config.extend_exclude))
    top_rel = _rel(top, base)
    prefix = "" if top_rel in ("", ".") else top_rel + "/"
    if prefix and any(name_excluded(part) for part in top_rel.split("/")):
        return  # a component of `top` itself is excluded: so is everything under it
    try:
        real_top = os.path.realpath(top)
    except (OSError, ValueError):
        return
    stack = [(str(top), real_top, prefix)]
    while stack:
        dirpath, real_dir, rel_dir = stack.pop()
        try:
            with os.scandir(dirpath) as it:
                entries = list(it)
        except OSError:
            continue
        subdirs = []
        files = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(entry)
            elif entry.name.endswith(SOURCE_SUFFIXES):
                files.append(entry)
        files.sort(key=lambda e: e.name)
        for entry in files:
            name = entry.name
            rel = rel_dir + name
            if name_excluded(name) or path_excluded(rel):
                continue
            shown = Path(real_dir, name)
            try:
                link = entry.is_symlink()
            except OSError:
                link = False
            if link:
                try:
                    identity = Path(entry.path).resolve()
                except (OSError, RuntimeError):  # a symlink loop on the file itself
                    identity = shown
            else:
                identity = shown
            yield shown, identity
        pending = []
        for entry in sorted(subdirs, key=lambda e: e.name):
            name = entry.name
            rel = rel_dir + name
            if name_excluded(name) or path_excluded(rel):
                continue
            try:
                if entry.is_symlink():
                    continue  # listed, never entered (os.walk's followlinks=False)
            except OSError:
                continue
            pending.append((entry.path, os.path.join(real_dir, name), rel + "/"))
        stack.extend(reversed(pending))


def discover(paths: Sequence[Path], config: Config, force_exclude: bool = False,
             scan_project: bool = True) -> Discovered:
    excluded = _excluder(config)
    root = config.root.resolve()
    walked: List[Tuple[Path, Path]] = []  # the walk of the project root, when a target is the root
    targets: List[Path] = []
    seen: Set[Path] = set()

    def add_walked(shown: Path, identity: Path, into: List[Path], seen_set: Set[Path]) -> None:
        if identity not in seen_set:
            seen_set.add(identity)
            into.append(shown)

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
            base = root if _under(p, root) else p
            files = list(_walk(p, base, config))
            if not walked and base == root and _same_dir(p, root):
                walked = files
            for shown, identity in files:
                add_walked(shown, identity, targets, seen)
        else:
            # A file named explicitly is linted even if excluded, unless --force-exclude
            # (what pre-commit passes, since it names every changed file).
            if force_exclude and excluded(_rel(p, root)):
                continue
            add(p, targets, seen)

    project: List[Path] = list(targets)
    pseen = set(seen)
    if scan_project and root.is_dir():
        for shown, identity in (walked or _walk(root, root, config)):
            add_walked(shown, identity, project, pseen)
    return Discovered(targets=targets, project=project)


def _same_dir(p: Path, root: Path) -> bool:
    try:
        return p.resolve() == root
    except (OSError, RuntimeError):
        return False


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
