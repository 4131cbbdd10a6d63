"""GitHub Actions workflow commands: annotations on the pull request's diff."""

from __future__ import annotations

from fastauthlint.report.model import Report
from fastauthlint.rules import get_rule

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    lines = []
    for f in report.findings:
        rule = get_rule(f.rule)
        level = _LEVEL[f.severity.value if f.severity else "error"]
        title = f"{f.rule} {rule.name}" if rule else f.rule
        props = (
            f"file={_escape_property(f.path)},line={f.span.line},col={f.span.column},"
            f"endLine={f.span.end_line},endColumn={f.span.end_column},title={_escape_property(title)}"
        )
        lines.append(f"::{level} {props}::{_escape_data(f.message)}")
    info = report.hidden_info_line()
    if info:  # plain log text: no annotation
        lines.append(info)
    return "\n".join(lines) + ("\n" if lines else "")
