"""Inline suppressions: which comments count, what they silence, and FAL001 for stale ones."""

from __future__ import annotations

from fastauthlint.findings import Finding, Span
from fastauthlint.suppress import apply_suppressions, parse_suppressions, unused_suppressions

KNOWN = {"FAL101", "FAL301", "FAL501", "FAL504"}


def finding(rule: str, line: int, end_line: int = 0) -> Finding:
    return Finding(rule, "a.py", Span(line, 1, end_line or line, 10), "m")


def test_forms_that_are_recognised():
    src = (
        "a = 1  # noqa: FAL501, FAL504\n"
        "b = 2  # fastauthlint: ignore[FAL301]\n"
        "c = 3  # noqa\n"
        "d = 4  # noqa: E501\n"
        "e = 5  # noqa: E501,FAL101 and more words\n"
        "# fastauthlint: ignore-file[FAL101]\n"
        "s = '# noqa: FAL501'  # a string is not a comment\n"
        "f = 6  # type: ignore  # fastauthlint: ignore\n"
    )
    sups = parse_suppressions(src)
    got = [(s.line, s.kind, s.codes) for s in sups]
    assert got == [
        (1, "noqa", ("FAL501", "FAL504")),
        (2, "ignore", ("FAL301",)),
        (5, "noqa", ("FAL101",)),
        (6, "ignore-file", ("FAL101",)),
        (8, "ignore", ()),
    ]


def test_bare_noqa_does_not_silence():
    sups = parse_suppressions("x = 1  # noqa\n")
    assert apply_suppressions([finding("FAL501", 1)], sups) == [finding("FAL501", 1)]


def test_line_suppression_covers_the_lines_a_finding_spans():
    sups = parse_suppressions("x = f(\n    a,\n)  # noqa: FAL501\ny = 2  # noqa: FAL501\n")
    kept = apply_suppressions([finding("FAL501", 1, end_line=3), finding("FAL504", 1, end_line=3)], sups)
    assert [f.rule for f in kept] == ["FAL504"]
    unused = unused_suppressions("a.py", sups, active=KNOWN, known=KNOWN)
    assert [(u.rule, u.line) for u in unused] == [("FAL001", 4)]
    assert "FAL501" in unused[0].message


def test_file_wide_suppression():
    sups = parse_suppressions("# fastauthlint: ignore-file[FAL301]\nx = 1\n")
    kept = apply_suppressions([finding("FAL301", 2), finding("FAL501", 2)], sups)
    assert [f.rule for f in kept] == ["FAL501"]
    assert unused_suppressions("a.py", sups, KNOWN, KNOWN) == []


def test_unparseable_files_cannot_be_suppressed():
    sups = parse_suppressions("# fastauthlint: ignore-file\n")
    assert [f.rule for f in apply_suppressions([finding("FAL000", 1)], sups)] == ["FAL000"]


def test_unknown_codes_and_inactive_rules():
    sups = parse_suppressions("x = 1  # fastauthlint: ignore[FAL5O1, FAL101]\n")
    unused = unused_suppressions("a.py", sups, active={"FAL501"}, known=KNOWN)
    # FAL101 did not run (deselected): not judged; FAL5O1 is no rule at all.
    assert len(unused) == 1 and "unknown rule FAL5O1" in unused[0].message
    assert (unused[0].span.line, unused[0].span.column) == (1, 8)


def test_unused_bare_ignore_is_reported_and_used_one_is_not():
    sups = parse_suppressions("x = 1  # fastauthlint: ignore\ny = 2  # fastauthlint: ignore\n")
    apply_suppressions([finding("FAL501", 2)], sups)
    unused = unused_suppressions("a.py", sups, KNOWN, KNOWN)
    assert [u.line for u in unused] == [1]


def test_text_that_tokenize_rejects_falls_back_to_a_line_scan():
    src = "def f(:\n    pass  # noqa: FAL501\n"
    assert [(s.line, s.codes) for s in parse_suppressions(src)] == [(2, ("FAL501",))]
