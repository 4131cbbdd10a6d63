"""Every fixture app under tests/fixtures/apps is linted and compared with its `# expect:` and
`# ok:` annotations (see conftest.check_annotated). An app configures itself through its own
pyproject.toml, like a real project."""

from __future__ import annotations

import pytest

from conftest import APPS, check_annotated

APP_DIRS = sorted(p for p in APPS.iterdir() if p.is_dir()) if APPS.is_dir() else []


@pytest.mark.parametrize("app", APP_DIRS, ids=[p.name for p in APP_DIRS])
def test_fixture_app(app):
    check_annotated(app)


def test_readme_sample_app_finds_what_it_says():
    """examples/notes_api is what the README's first command lints: its annotations say what a
    reader should see."""
    findings = check_annotated(APPS.parent.parent.parent / "examples" / "notes_api")
    assert {f.rule for f in findings} >= {"FAL101", "FAL201", "FAL302", "FAL401", "FAL501"}
