"""[tool.fastauthlint] loading and validation, exclude globs, and file discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastauthlint.config import ConfigError, find_config, load_config, parse_table
from fastauthlint.discovery import discover
from fastauthlint.globs import compile_glob


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("pattern, path, hit", [
    ("migrations", "app/migrations/0001.py", True),
    ("migrations", "app/migrations.py", False),
    ("test_*.py", "pkg/tests/test_auth.py", True),
    ("test_*.py", "pkg/latest_test.py", False),
    ("tests/fixtures", "tests/fixtures/apps/x.py", True),
    ("tests/fixtures", "src/tests/fixtures/x.py", False),
    ("app/**/legacy_*.py", "app/a/b/legacy_auth.py", True),
    ("app/**/legacy_*.py", "app/legacy_auth.py", True),
    ("app/**/legacy_*.py", "lib/app/legacy_auth.py", False),
    ("*.egg-info", "pkg.egg-info/x.py", True),
    ("./scripts/", "scripts/seed.py", True),
])
def test_glob_semantics(pattern, path, hit):
    assert compile_glob(pattern)(path) is hit


def test_nearest_pyproject_with_a_section_wins(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.fastauthlint]\nignore = ['FAL1']\n")
    write(tmp_path / "svc" / "pyproject.toml", "[project]\nname = 'svc'\n")  # no section: skipped
    write(tmp_path / "svc" / "app" / "main.py")
    assert find_config(tmp_path / "svc" / "app" / "main.py") == tmp_path / "pyproject.toml"
    cfg = load_config([tmp_path / "svc" / "app"])
    assert cfg.root == tmp_path
    assert not cfg.is_enabled("FAL101") and cfg.is_enabled("FAL501")


def test_without_config_the_project_root_is_found_by_markers(tmp_path):
    write(tmp_path / "setup.cfg")
    write(tmp_path / "src" / "app.py")
    cfg = load_config([tmp_path / "src"])
    assert cfg.source is None and cfg.root == tmp_path


@pytest.mark.parametrize("table, key", [
    ({"selekt": ["FAL1"]}, "selekt"),
    ({"select": "FAL1"}, "select"),
    ({"select": ["FAL9"]}, "select"),
    ({"ignore": ["E501"]}, "ignore"),
    ({"per-file-ignores": {"tests/*": ["NOPE1"]}}, 'per-file-ignores."tests/*"'),
    ({"per-file-ignores": {"tests/*": "FAL301"}}, "per-file-ignores"),
    ({"spec-refs": {"FAL999": "X-1"}}, "spec-refs.FAL999"),
    ({"exclude": [1, 2]}, "exclude"),
])
def test_bad_values_name_their_key(tmp_path, table, key):
    with pytest.raises(ConfigError) as err:
        parse_table(table, root=tmp_path, source=tmp_path / "pyproject.toml")
    text = str(err.value)
    assert f"key '{key}'" in text and "pyproject.toml" in text


def test_unknown_key_suggests_the_close_one(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'extend-exclude'"):
        parse_table({"extend-excludes": []}, root=tmp_path)


def test_invalid_toml_is_a_config_error(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.fastauthlint]\nselect = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config([tmp_path])


def test_selection_prefixes_ignore_and_per_file_ignores(tmp_path):
    cfg = parse_table({"select": ["FAL5", "FAL101"], "ignore": ["FAL504"],
                       "per-file-ignores": {"tests/**": ["FAL50"], "conftest.py": ["FAL101"]}}, root=tmp_path)
    assert cfg.is_enabled("FAL501") and cfg.is_enabled("FAL101")
    assert not cfg.is_enabled("FAL504") and not cfg.is_enabled("FAL301")
    assert set(cfg.ignored_for("tests/unit/test_x.py")) >= {"FAL501", "FAL505"}
    assert cfg.ignored_for("src/conftest.py") == ["FAL101"]
    assert cfg.ignored_for("app/main.py") == []


def test_cache_key_depends_on_options_not_on_selection(tmp_path):
    a = parse_table({}, root=tmp_path)
    b = parse_table({"select": ["FAL5"]}, root=tmp_path)
    assert a.cache_key() == b.cache_key()


def test_discovery_excludes_defaults_and_config_but_honours_named_files(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.fastauthlint]\nextend-exclude = ['generated']\n")
    keep = write(tmp_path / "app" / "main.py")
    write(tmp_path / "app" / "stub.pyi")
    write(tmp_path / ".venv" / "lib" / "x.py")
    write(tmp_path / "node_modules" / "y.py")
    gen = write(tmp_path / "app" / "generated" / "client.py")
    write(tmp_path / "app" / "notes.txt")
    cfg = load_config([tmp_path])
    found = discover([tmp_path], cfg)
    rel = sorted(p.relative_to(tmp_path).as_posix() for p in found.targets)
    assert rel == ["app/main.py", "app/stub.pyi"]
    # named explicitly: linted unless --force-exclude
    assert discover([gen], cfg).targets == [gen.resolve()]
    assert discover([gen], cfg, force_exclude=True).targets == []
    # a subset run still sees the whole project's files
    sub = discover([keep], cfg)
    assert sub.targets == [keep.resolve()]
    assert {p.name for p in sub.project} == {"main.py", "stub.pyi"}


def test_symlink_loops_do_not_hang_discovery(tmp_path):
    write(tmp_path / "pkg" / "a.py")
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg", target_is_directory=True)
    (tmp_path / "pkg" / "self.py").symlink_to(tmp_path / "pkg" / "self.py")
    cfg = load_config([tmp_path])
    found = discover([tmp_path], cfg)
    names = sorted(p.name for p in found.targets)
    assert "a.py" in names
