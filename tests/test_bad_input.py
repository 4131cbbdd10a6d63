"""Bad input yields FAL000 findings or a named configuration error, never a traceback, and the
run goes on with the other files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import lint, run_cli
from fastauthlint.analysis import analyze_path, decode_source
from fastauthlint.config import Config


def make_bad_tree(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'bad'\n")
    (root / "good.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (root / "syntax.py").write_text("def handler(:\n    pass\n")
    (root / "unclosed.py").write_text("x = {\n  'a': 1,\n")
    (root / "latin1.py").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    (root / "latin1_declared.py").write_bytes("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"))
    (root / "binary.py").write_bytes(b"x = 1\n\x00\x01\x02")
    (root / "dangling.py").symlink_to(root / "does-not-exist.py")
    (root / "py314.py").write_text("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n")
    (root / "deep.py").write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")


def test_every_bad_file_is_one_fal000_and_good_files_pass(tmp_path):
    make_bad_tree(tmp_path / "proj")
    findings = lint([tmp_path / "proj"])
    by_file = {}
    for f in findings:
        assert f.rule == "FAL000"
        by_file.setdefault(Path(f.path).name, []).append(f)
    assert set(by_file) == {"syntax.py", "unclosed.py", "latin1.py", "binary.py", "dangling.py", "deep.py"}
    assert all(len(v) == 1 for v in by_file.values())
    assert "syntax error" in by_file["syntax.py"][0].message
    assert (by_file["syntax.py"][0].line, by_file["syntax.py"][0].column) == (1, 13)
    assert "'{' was never closed" in by_file["unclosed.py"][0].message
    latin = by_file["latin1.py"][0]
    assert "cannot decode as utf-8" in latin.message and "0xe9" in latin.message
    assert (latin.line, latin.column) == (1, 12)
    assert "NUL" in by_file["binary.py"][0].message and by_file["binary.py"][0].line == 2
    assert "cannot read" in by_file["dangling.py"][0].message
    assert "nested" in by_file["deep.py"][0].message or "syntax" in by_file["deep.py"][0].message


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    p = tmp_path / "secret.py"
    p.write_text("x = 1\n")
    real = Path.read_bytes

    def deny(self):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    res = analyze_path(p, "secret.py", "secret", False, Config(root=tmp_path))
    assert [f.rule for f in res.findings] == ["FAL000"]
    assert res.findings[0].message == "cannot read file: Permission denied"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_on_disk(tmp_path):
    p = tmp_path / "locked.py"
    p.write_text("x = 1\n")
    p.chmod(0)
    try:
        findings = lint([tmp_path])
    finally:
        p.chmod(0o644)
    assert [f.rule for f in findings] == ["FAL000"]


def test_bom_and_declared_encodings_decode():
    text, problem = decode_source("x.py", b"\xef\xbb\xbfx = 1\n")
    assert problem is None and text == "x = 1\n"
    text, problem = decode_source("x.py", "# coding: latin-1\ns = '\xe9'\n".encode("latin-1"))
    assert problem is None and "\xe9" in text
    _, problem = decode_source("x.py", b"# coding: klingon\nx = 1\n")
    assert problem is not None and problem.rule == "FAL000"


def test_cli_on_a_bad_tree_reports_and_exits_1_without_traceback(tmp_path):
    make_bad_tree(tmp_path / "proj")
    proc = run_cli("--format", "concise", "proj", cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    out = proc.stdout.decode()
    assert out.count("FAL000") == 6
    assert "proj/latin1.py:1:12: FAL000 [error] cannot decode as utf-8" in out


@pytest.mark.parametrize("toml, key", [
    ("[tool.fastauthlint]\nselekt = ['FAL1']\n", "selekt"),
    ("[tool.fastauthlint]\nmax-jwt-leeway = 'sixty'\n", "max-jwt-leeway"),
    ("[tool.fastauthlint]\nignore = ['FAL777']\n", "ignore"),
])
def test_cli_broken_config_names_the_key_and_exits_2(tmp_path, toml, key):
    (tmp_path / "pyproject.toml").write_text(toml)
    (tmp_path / "app.py").write_text("x = 1\n")
    proc = run_cli(".", cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert "Traceback" not in err
    assert f"'{key}'" in err and "pyproject.toml" in err


def test_cli_invalid_toml_exits_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.fastauthlint\nselect = 1\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    proc = run_cli(".", cwd=tmp_path)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


def test_newer_syntax_in_a_file_the_depth_scan_flags_is_still_parsed(tmp_path):
    """`type X = ...` (3.12) in a file with many operators: the interpreter's own parser may not
    know the syntax, libcst's grammar does, and the file is analysed, not reported."""
    body = "type Pair = tuple[int, int]\n" + "NESTED = " + "[" * 70 + "]" * 70 + "\n"
    (tmp_path / "mod.py").write_text(body)
    assert lint([tmp_path], config={}) == []


def test_a_file_that_takes_too_long_is_fal000_and_the_run_goes_on(tmp_path, monkeypatch):
    """A pathological file becomes a FAL000 finding when its analysis passes `file-timeout`,
    instead of hanging the run; the result is not cached, and the other files are linted."""
    import time

    from fastauthlint import analysis

    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.fastauthlint]\nfile-timeout = 1\n")
    (root / "slow.py").write_text("x = 1\n")
    (root / "routes.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.delete('/items/{i}')\ndef drop(i: int):\n    return i\n")
    real = analysis.analyze_source

    def slow(path, *args, **kw):
        if path.endswith("slow.py"):
            time.sleep(5)
        return real(path, *args, **kw)

    monkeypatch.setattr(analysis, "analyze_source", slow)
    started = time.monotonic()
    findings = lint([root])
    assert time.monotonic() - started < 4
    by_file = {Path(f.path).name: f for f in findings}
    assert by_file["slow.py"].rule == "FAL000"
    assert "did not finish within 1 s (`file-timeout`)" in by_file["slow.py"].message
    assert by_file["routes.py"].rule == "FAL101"


def test_file_timeout_must_be_seconds(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.fastauthlint]\nfile-timeout = -1\n")
    bad = run_cli(".", cwd=tmp_path)
    assert bad.returncode == 2 and b"'file-timeout'" in bad.stderr and b"Traceback" not in bad.stderr
