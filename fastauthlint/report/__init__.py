"""Output formats. Each reporter turns a Report into text; none of them prints a raw secret
(findings carry masked messages, and source shown in code frames is masked by range)."""

from __future__ import annotations

from fastauthlint.report.model import Report

__all__ = ["FORMATS", "Report", "render"]

FORMATS = ("text", "concise", "json", "sarif", "github")
STATISTICS_FORMATS = ("text", "json")


def render(fmt: str, report: Report, color: bool = False) -> str:
    if fmt == "text":
        from fastauthlint.report.text import render_text

        return render_text(report, color=color)
    if fmt == "concise":
        from fastauthlint.report.concise import render_concise

        return render_concise(report)
    if fmt == "json":
        from fastauthlint.report.json_report import render_json

        return render_json(report)
    if fmt == "sarif":
        from fastauthlint.report.sarif import render_sarif

        return render_sarif(report)
    if fmt == "github":
        from fastauthlint.report.github import render_github

        return render_github(report)
    raise ValueError(fmt)


def render_statistics(fmt: str, report: Report) -> str:
    from fastauthlint.report import statistics

    return statistics.render_statistics(fmt, report)
