"""`path:line:col: FAL101 [error] message`, one line each: what editors' problem matchers read
(see the problem-matcher files under .github/ and .vscode/)."""

from __future__ import annotations

from fastauthlint.report.model import Report


def render_concise(report: Report) -> str:
    lines = []
    for f in report.findings:
        sev = f.severity.value if f.severity else "error"
        message = " ".join(f.message.split())  # one physical line per finding, always
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.rule} [{sev}] {message}")
    info = report.hidden_info_line()
    if info:  # not a `path:line:col:` line: problem matchers pass over it
        lines.append(info)
    if report.hidden_by_baseline:  # not a `path:line:col:` line: problem matchers pass over it
        n = report.hidden_by_baseline
        lines.append(f"baseline: {n} known finding{'s' if n != 1 else ''} hidden")
    return "\n".join(lines) + ("\n" if lines else "")
