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
