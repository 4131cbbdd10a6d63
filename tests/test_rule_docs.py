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
    assert rule.status in ("implemented", "planned")
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


def _lint_example(tmp_path, example):
    for rel, source in example.files:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    return lint([tmp_path], config={})


@pytest.mark.parametrize("rule", IMPLEMENTED, ids=[r.id for r in IMPLEMENTED])
def test_bad_examples_are_reported(rule, tmp_path):
    for i, example in enumerate(rule.examples("Example")):
        root = tmp_path / f"bad{i}"
        found = [f.rule for f in _lint_example(root, example)]
        assert rule.id in found, f"example {i} of {rule.id} not reported; got {found}"


@pytest.mark.parametrize("rule", IMPLEMENTED, ids=[r.id for r in IMPLEMENTED])
def test_good_examples_are_clean(rule, tmp_path):
    for i, example in enumerate(rule.examples("Use instead")):
        root = tmp_path / f"good{i}"
        found = [f for f in _lint_example(root, example) if f.rule == rule.id]
        assert not found, f"'Use instead' example {i} of {rule.id} is reported: {found}"
