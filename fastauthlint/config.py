"""`[tool.fastauthlint]` configuration: found, parsed, validated with errors that name the key."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

from fastauthlint import __version__
from fastauthlint.globs import compile_glob
from fastauthlint.options import Option
from fastauthlint.rules import all_rules, expand_selector


class ConfigError(Exception):
    """A configuration problem, reported as `error: <where>: <what>` with exit code 2."""


CORE_KEYS = {
    "select": "list[str]",
    "extend-select": "list[str]",
    "ignore": "list[str]",
    "exclude": "list[str]",
    "extend-exclude": "list[str]",
    "per-file-ignores": "dict[str,list[str]]",
    "spec-refs": "dict[str,str]",
    "fail-on": "str",
    "baseline": "str",
    "file-timeout": "int",
}
FAIL_ON = ("error", "warning", "info")

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "node_modules", "__pycache__",
    "build", "dist", ".tox", ".nox", "site-packages", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".fastauthlint_cache", ".eggs", "*.egg-info",
)


def _type_ok(kind: str, value: Any) -> bool:
    def is_str_list(v):
        return isinstance(v, list) and all(isinstance(x, str) for x in v)

    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list[str]":
        return is_str_list(value)
    if kind == "list[int]":
        return isinstance(value, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in value)
    if kind == "dict[str,str]":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == "dict[str,list[str]]":
        return isinstance(value, dict) and all(is_str_list(v) for v in value.values())
    raise AssertionError(kind)


_KIND_WORDS = {
    "int": "an integer",
    "bool": "true or false",
    "str": "a string",
    "list[str]": "a list of strings",
    "list[int]": "a list of integers",
    "dict[str,str]": "a table of strings",
    "dict[str,list[str]]": "a table of lists of strings",
}


def declared_options() -> Dict[str, Option]:
    from fastauthlint.checks import all_checks

    out: Dict[str, Option] = {}
    for check in all_checks():
        for opt in check.options:
            out[opt.key] = opt
    return out


@dataclass
class Config:
    root: Path  # the project root: facts come from every file below it
    source: Optional[Path] = None  # the pyproject.toml (or --config file) read, if any
    select: Tuple[str, ...] = ("ALL",)
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    spec_refs: Dict[str, str] = field(default_factory=dict)
    # The lowest severity that makes the exit code 1. Info findings (test, seed and documentation
    # code) are shown but do not fail a run by default.
    fail_on: str = "warning"
    options: Dict[str, Any] = field(default_factory=dict)
    # A baseline file of known findings (fastauthlint.baseline), relative to the config file.
    baseline: Optional[Path] = None
    # Seconds one file's analysis may take before it is reported (FAL000) instead (0: no limit).
    file_timeout: int = 120

    def __post_init__(self):
        self._enabled: Optional[frozenset] = None
        self._pfi: Optional[list] = None

    def __getstate__(self):  # sent to worker processes; compiled globs are not picklable
        state = dict(self.__dict__)
        state["_enabled"] = state["_pfi"] = None
        return state

    # -- rule selection --------------------------------------------------------------------
    def enabled_rules(self) -> frozenset:
        if self._enabled is None:
            chosen = set()
            for sel in self.select + self.extend_select:
                chosen.update(expand_selector(sel))
            for sel in self.ignore:
                chosen.difference_update(expand_selector(sel))
            self._enabled = frozenset(chosen)
        return self._enabled

    def is_enabled(self, rule_id: str) -> bool:
        return rule_id in self.enabled_rules()

    def ignored_for(self, rel_path: str) -> List[str]:
        """Rule IDs that per-file-ignores switch off for a root-relative POSIX path."""
        if self._pfi is None:
            self._pfi = [(compile_glob(p), codes) for p, codes in self.per_file_ignores]
        out: List[str] = []
        for rx, codes in self._pfi:
            if rx(rel_path):
                for c in codes:
                    out.extend(expand_selector(c))
        return out

    def option(self, key: str) -> Any:
        if key in self.options:
            return self.options[key]
        return declared_options()[key].default

    def cache_key(self) -> str:
        """Per-file results depend on the tool (its version, and the size and mtime of its own
        source files, so an editable install or an upgrade without a version bump cannot reuse
        stale results) and on the rule options; not on select/ignore, applied after the cache."""
        blob = json.dumps({"v": __version__, "code": _code_stamp(), "o": self.options},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _code_stamp() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(here.rglob("*.py")):
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p.relative_to(here)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


# -- finding and reading the file ------------------------------------------------------------

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def _has_section(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*fastauthlint\b", text, flags=re.M) is not None


def find_config(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml with a [tool.fastauthlint] table, at or above `start`."""
    start = start if start.is_dir() else start.parent
    for d in (start, *start.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file() and _has_section(candidate):
            return candidate
    return None


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` that looks like a project (pyproject.toml,
    setup.py, setup.cfg, .git); `start` itself when there is none."""
    start = start if start.is_dir() else start.parent
    for d in (start, *start.parents):
        if any((d / m).exists() for m in PROJECT_MARKERS):
            return d
    return start


def load_config(paths: Sequence[Path], explicit: Optional[Path] = None) -> Config:
    anchor = (paths[0] if paths else Path.cwd()).resolve()
    if explicit is not None:
        explicit = explicit.resolve()
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
        source: Optional[Path] = explicit
    else:
        source = find_config(anchor)
    if source is None:
        return Config(root=find_root(anchor))
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{source}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: invalid TOML: {e}") from None
    if source.name == "pyproject.toml":
        table = data.get("tool", {}).get("fastauthlint", {})
        where = "[tool.fastauthlint]"
    else:  # a dedicated file given with --config: either form is accepted
        table = data.get("tool", {}).get("fastauthlint", data)
        where = "[tool.fastauthlint]" if "tool" in data else "configuration"
    # A pyproject found by search is the project root; an explicit file elsewhere is not.
    root = source.parent if explicit is None else find_root(anchor)
    return parse_table(table, root=root, source=source, where=where)


def parse_table(table: Dict[str, Any], root: Path, source: Optional[Path] = None,
                where: str = "[tool.fastauthlint]") -> Config:
    prefix = f"{source}: " if source else ""
    if not isinstance(table, dict):
        raise ConfigError(f"{prefix}{where} must be a table")
    options = declared_options()
    known_rules = all_rules()

    def fail(key: str, what: str) -> "ConfigError":
        return ConfigError(f"{prefix}{where} key '{key}': {what}")

    def check_selectors(key: str, values: Iterable[str]) -> None:
        for v in values:
            if not expand_selector(v):
                raise fail(key, f"unknown rule or prefix '{v}' (see `fastauthlint rules`)")

    cfg = Config(root=root, source=source)
    for key, value in table.items():
        if key in CORE_KEYS:
            kind = CORE_KEYS[key]
        elif key in options:
            kind = options[key].kind
        else:
            close = _suggest(key, list(CORE_KEYS) + list(options))
            hint = f"; did you mean '{close}'?" if close else ""
            raise fail(key, f"unknown key{hint}")
        if not _type_ok(kind, value):
            raise fail(key, f"expected {_KIND_WORDS[kind]}, got {type(value).__name__} {value!r}")
        if key in ("select", "extend-select", "ignore"):
            check_selectors(key, value)
            setattr(cfg, key.replace("-", "_"), tuple(value))
        elif key in ("exclude", "extend-exclude"):
            setattr(cfg, key.replace("-", "_"), tuple(value))
        elif key == "per-file-ignores":
            for pattern, codes in value.items():
                check_selectors(f"per-file-ignores.\"{pattern}\"", codes)
            cfg.per_file_ignores = tuple((p, tuple(c)) for p, c in value.items())
        elif key == "fail-on":
            if value not in FAIL_ON:
                raise fail(key, f"expected one of {', '.join(FAIL_ON)}, got {value!r}")
            cfg.fail_on = value
        elif key == "file-timeout":
            if value < 0:
                raise fail(key, f"expected seconds (0 for no limit), got {value}")
            cfg.file_timeout = value
        elif key == "baseline":
            if not value.strip():
                raise fail(key, "expected a file name, got an empty string")
            cfg.baseline = ((source.parent if source else root) / value)
        elif key == "spec-refs":
            for rule_id in value:
                if rule_id.upper() not in known_rules:
                    raise fail(f"spec-refs.{rule_id}", "unknown rule ID")
            cfg.spec_refs = {k.upper(): v for k, v in value.items()}
        else:
            opt = options[key]
            problem = opt.check(value) if opt.check else None
            if problem:
                raise fail(key, problem)
            cfg.options[key] = value
    cfg.__post_init__()
    return cfg


def _suggest(key: str, candidates: List[str]) -> Optional[str]:
    import difflib

    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    return close[0] if close else None
