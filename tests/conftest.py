"""Shared test helpers: lint a directory in-process, read `# expect:` / `# ok:` annotations, run
the installed console script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

import pytest

from fastauthlint.config import load_config, parse_table
from fastauthlint.engine import RunOptions, run
from fastauthlint.findings import Finding

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
APPS = FIXTURES / "apps"

# `# expect: FAL101`, `# expect: FAL101[info], FAL601`: a rule, optionally with the severity the
# finding must have (checked only where given)
_CODE = r"FAL\d{3}(?:\[(?:error|warning|info)\])?"
_ANNOTATION = re.compile(r"#\s*(expect|ok)\s*:\s*(" + _CODE + r"(?:\s*,\s*" + _CODE + r")*)")
_SEVERITY = re.compile(r"^(FAL\d{3})(?:\[(\w+)\])?$")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's cache."""
    monkeypatch.setenv("FASTAUTHLINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def write_files(root: Path, files: Dict[str, str]) -> Path:
    """A small project under `root`: {relative path: source (dedented)}."""
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def lint(paths: Sequence[Path], config: Optional[dict] = None, jobs: int = 1, **kw) -> List[Finding]:
    """Findings for `paths` with the configuration found for them, or with `config` (a
    [tool.fastauthlint] table rooted at the first path) when given."""
    paths = [Path(p) for p in paths]
    if config is not None:
        root = paths[0] if paths[0].is_dir() else paths[0].parent
        cfg = parse_table(config, root=root.resolve())
    else:
        cfg = load_config(paths)
    return run(RunOptions(paths=paths, config=cfg, jobs=jobs, use_cache=False, **kw)).findings


def annotations(root: Path, severities: Optional[Dict[Tuple[str, int, str], str]] = None
                ) -> Tuple[Set[Tuple[str, int, str]], Set[Tuple[str, int, str]]]:
    """(expected, ok) sets of (root-relative path, line, rule) from `# expect: FAL101[, ...]` and
    `# ok: FAL101` comments in every .py file below `root`; the severities asked for
    (`# expect: FAL101[info]`) go into `severities` when given."""
    expected, ok = set(), set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for kind, codes in _ANNOTATION.findall(line):
                for code in re.split(r"\s*,\s*", codes):
                    m = _SEVERITY.match(code)
                    rule, severity = m.group(1), m.group(2)
                    (expected if kind == "expect" else ok).add((rel, n, rule))
                    if severity and kind == "expect" and severities is not None:
                        severities[(rel, n, rule)] = severity
    return expected, ok


def check_annotated(root: Path, rules_prefix: Sequence[str] = ("FAL",), config: Optional[dict] = None):
    """Lint `root` and compare with its annotations, for rules starting with one of
    `rules_prefix`: every `expect` is reported on its line, every `ok` is not, and nothing is
    reported where no `expect` asks for it."""
    cwd = os.getcwd()
    os.chdir(root)
    try:
        findings = lint([Path(".")], config=config)
    finally:
        os.chdir(cwd)
    relevant = [f for f in findings if f.rule.startswith(tuple(rules_prefix))]
    got = {(f.path, f.line, f.rule) for f in relevant}
    severities: Dict[Tuple[str, int, str], str] = {}
    expected, ok = annotations(root, severities)
    expected = {e for e in expected if e[2].startswith(tuple(rules_prefix))}
    ok = {o for o in ok if o[2].startswith(tuple(rules_prefix))}
    messages = {(f.path, f.line, f.rule): f.message for f in relevant}
    missing = sorted(expected - got)
    false_ok = sorted(got & ok)
    unexpected = sorted(got - expected - ok)
    problems = []
    for p, ln, r in missing:
        problems.append(f"missing   {p}:{ln} {r}")
    for key in false_ok:
        problems.append(f"ok-trap   {key[0]}:{key[1]} {key[2]}: {messages[key]}")
    for key in unexpected:
        problems.append(f"unexpected {key[0]}:{key[1]} {key[2]}: {messages[key]}")
    got_severity = {(f.path, f.line, f.rule): f.severity.value if f.severity else "" for f in relevant}
    for key, want in sorted(severities.items()):
        if key in got_severity and got_severity[key] != want:
            problems.append(f"severity  {key[0]}:{key[1]} {key[2]}: {got_severity[key]}, expected {want}: "
                            f"{messages[key]}")
    assert not problems, "\n" + "\n".join(problems)
    return findings


def console_script() -> str:
    """The installed `fastauthlint` console script of the interpreter running the tests."""
    candidates = [Path(sys.executable).parent / "fastauthlint", Path(sys.executable).parent / "fastauthlint.exe"]
    for c in candidates:
        if c.exists():
            return str(c)
    pytest.fail("the fastauthlint console script is not installed next to this Python; "
                "install the package (pip install -e '.[test]')")


def run_cli(*args: str, cwd: Optional[Path] = None, input: Optional[bytes] = None,
            env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("FORCE_COLOR", None)
    full_env["NO_COLOR"] = "1"
    if env:
        full_env.update(env)
    return subprocess.run([console_script(), *args], cwd=cwd, input=input, capture_output=True,
                          env=full_env, timeout=120)
