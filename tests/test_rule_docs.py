"""The rule documents are the specification: their metadata is complete and their examples are
executed, the *Example* must be reported and the *Use instead* must not."""

from __future__ import annotations

import pytest

from conftest import lint
from fastauthlint.checks import all_checks
from fastauthlint.rules import REQUIRED_SECTIONS, RULE_ID, all_rules, spec_dir

RULES = sorted(all_rules().values(), key=lambda r: r.id)
IMPLEMENTED = [r for r in RULES if r.implemented]


def test_every_rule_of_the_design_has_a_document():
    ids = {r.id for r in RULES}
    expected = {"FAL000", "FAL001", "FAL101", "FAL102", "FAL201", "FAL202", "FAL301", "FAL302", "FAL401",
                "FAL402", "FAL501", "FAL502", "FAL503", "FAL504", "FAL505", "FAL601", "FAL602", "FAL603",
                "FAL604"}
    assert expected <= ids
    for path in spec_dir().glob("FAL*.md"):
        assert path.stem in ids, f"{path.name} does not parse as a rule document"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_document_shape(rule):
    assert RULE_ID.match(rule.id)
    assert rule.status in ("implemented", "preview", "planned")
    assert rule.clause, "the spec clause (a > blockquote) is missing"
    assert "MUST" in rule.clause or "SHOULD" in rule.clause
    for title in REQUIRED_SECTIONS:
        assert f"\n## {title}\n" in rule.doc, f"section '{title}' is missing"
    assert 0.0 <= rule.security_severity <= 10.0
    if rule.implemented:
        assert rule.examples("Example"), "an implemented rule shows a bad example"
        assert rule.examples("Use instead"), "an implemented rule shows a good example"


def test_every_implemented_rule_has_a_check():
    owned = {rid for check in all_checks() for rid in check.rules} | {"FAL000", "FAL001"}
    for rule in IMPLEMENTED:
        assert rule.id in owned, f"{rule.id} is marked implemented but no check declares it"
    for check in all_checks():
        for rid in check.rules:
            assert rid in all_rules(), f"check {check.name} declares unknown rule {rid}"


def _lint_example(tmp_path, example, preview: bool = False):
    for rel, source in example.files:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    return lint([tmp_path], config={"preview": True} if preview else {})


@pytest.mark.parametrize("rule", IMPLEMENTED, ids=[r.id for r in IMPLEMENTED])
def test_bad_examples_are_reported(rule, tmp_path):
    for i, example in enumerate(rule.examples("Example")):
        root = tmp_path / f"bad{i}"
        found = [f.rule for f in _lint_example(root, example, rule.preview)]
        assert rule.id in found, f"example {i} of {rule.id} not reported; got {found}"


@pytest.mark.parametrize("rule", IMPLEMENTED, ids=[r.id for r in IMPLEMENTED])
def test_good_examples_are_clean(rule, tmp_path):
    for i, example in enumerate(rule.examples("Use instead")):
        root = tmp_path / f"good{i}"
        found = [f for f in _lint_example(root, example, rule.preview) if f.rule == rule.id]
        assert not found, f"'Use instead' example {i} of {rule.id} is reported: {found}"


# -- fixes ---------------------------------------------------------------------------------------

def _fixers():
    from fastauthlint.fixes.apply import FIXERS

    return FIXERS


FIXABLE = [r for r in RULES if r.id in _fixers()]


def test_a_rule_documents_a_fix_exactly_when_it_has_one():
    for rule in RULES:
        assert ("\n## Fix\n" in rule.doc) == (rule.id in _fixers()), \
            f"{rule.id}: a `## Fix` section goes with a fixer in fastauthlint/fixes, and only then"
    for rule in FIXABLE:
        text = rule.section("Fix")
        assert "Safe" in text or "Unsafe" in text or "unsafe" in text, f"{rule.id}: say whether the fix is safe"
        assert rule.doc.index("\n## Fix\n") < rule.doc.index("\n## Options\n")


@pytest.mark.parametrize("rule", FIXABLE, ids=[r.id for r in FIXABLE])
def test_the_fix_resolves_a_documented_example(rule, tmp_path, monkeypatch):
    """The fix applied to the rule's bad examples resolves findings of the rule, and a second
    `--fix` changes nothing."""
    from click.testing import CliRunner

    from fastauthlint.cli import cli

    resolved = 0
    for i, example in enumerate(rule.examples("Example")):
        root = tmp_path / f"bad{i}"
        before = [f for f in _lint_example(root, example) if f.rule == rule.id]
        monkeypatch.chdir(root)
        args = ["lint", "--no-cache", "--select", rule.id, "--fix", "--unsafe-fixes", "."]
        CliRunner().invoke(cli, args, catch_exceptions=False)
        fixed = {p: p.read_bytes() for p in root.rglob("*.py")}
        after = [f for f in lint([root], config={}) if f.rule == rule.id]
        resolved += len(before) - len(after)
        CliRunner().invoke(cli, args, catch_exceptions=False)
        assert {p: p.read_bytes() for p in root.rglob("*.py")} == fixed
    assert resolved > 0, f"no finding of {rule.id}'s examples is resolved by its fix"
