"""The default, human format: each finding with a code frame, then a summary (rich; plain text
when the output is not a terminal or NO_COLOR is set)."""

from __future__ import annotations

import io
import shutil

from rich.console import Console
from rich.text import Text

from fastauthlint.masking import mask_line
from fastauthlint.report.model import Report
from fastauthlint.rules import get_rule

_SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}
# No context lines around the reported ones: a neighbouring line may hold a secret that no
# finding masks (a suppressed or deselected one), and the frame must never print it.
MAX_FRAME_LINES = 6


def _frame(report: Report, f, masks) -> Text:
    lines = report.source_lines(f.path)
    out = Text()
    if not lines or f.line > len(lines):
        return out
    first = f.line
    last = min(len(lines), min(f.end_line, f.line + MAX_FRAME_LINES - 1))
    width = len(str(last))
    out.append(f"{'':>{width}} |\n", style="blue")
    for n in range(first, last + 1):
        src = mask_line(lines[n - 1], n, masks).replace("\t", " ")  # keeps carets aligned
        out.append(f"{n:>{width}} | ", style="blue")
        out.append(src + "\n", style="bold")
        if n == f.line:
            start = f.column - 1
            end = f.end_column - 1 if f.end_line == f.line else len(lines[n - 1])
            carets = "^" * max(1, end - start)
            out.append(f"{'':>{width}} | ", style="blue")
            out.append(" " * start + carets + f" {f.rule}\n", style=_SEVERITY_STYLE.get(_sev(f), "bold"))
    out.append(f"{'':>{width}} |\n", style="blue")
    return out


def _sev(f) -> str:
    return f.severity.value if f.severity else "error"


def render_text(report: Report, color: bool = False) -> str:
    buf = io.StringIO()
    width = shutil.get_terminal_size((100, 24)).columns if color else 100
    console = Console(file=buf, force_terminal=color, color_system="standard" if color else None,
                      no_color=not color, width=width, soft_wrap=True, highlight=False, emoji=False)
    # Every masked range reported anywhere in a file applies to every frame shown from it.
    masks_by_path: dict = {}
    for f in report.findings:
        masks_by_path.setdefault(f.path, []).extend(f.masks)
    for f in report.findings:
        rule = get_rule(f.rule)
        sev = _sev(f)
        head = Text()
        head.append(f"{f.path}:{f.line}:{f.column}: ", style="bold")
        head.append(f.rule, style=_SEVERITY_STYLE.get(sev, "bold"))
        if report.fix_applicable(f):
            head.append(" [*]", style="bold cyan")  # as ruff marks what --fix resolves
        if rule:
            head.append(f" {rule.name}", style="cyan")
        head.append(f" [{sev}]", style=_SEVERITY_STYLE.get(sev, ""))
        if f.spec_ref:
            head.append(f" (spec {f.spec_ref})", style="dim")
        console.print(head)
        console.print(Text("  " + f.message))
        console.print(_frame(report, f, masks_by_path[f.path]), end="")
        if f.fix is not None:
            unsafe = "" if report.fix_applicable(f) else " (unsafe fix: --unsafe-fixes)"
            console.print(Text(f"  help: {f.fix.message}{unsafe}", style="cyan"))
        console.print()
    s = report.summary()
    tail = Text()
    if s["findings"]:
        sev = s["by_severity"]
        parts = [f"{n} {word}{'s' if n != 1 else ''}" for word, n in
                 (("error", sev["error"]), ("warning", sev["warning"]), ("info", sev["info"])) if n]
        tail.append(f"Found {s['findings']} finding{'s' if s['findings'] != 1 else ''} ", style="bold")
        tail.append(f"({', '.join(parts)}) in {s['files_with_findings']} of {s['files_checked']} "
                    f"file{'s' if s['files_checked'] != 1 else ''}.")
    else:
        tail.append("No findings", style="bold green")
        tail.append(f" in {s['files_checked']} file{'s' if s['files_checked'] != 1 else ''}.")
    console.print(tail)
    info = report.hidden_info_line()
    if info:
        console.print(Text(info, style="blue"))
    for line in adoption_lines(report):
        console.print(Text(line))
    return buf.getvalue()


def adoption_lines(report: Report) -> list:
    """What the baseline hid, what was fixed and what `--fix` would fix, ruff-style."""
    s = report.summary()
    out = []
    if report.fixed:
        out.append(f"Fixed {_n(report.fixed, 'finding')}.")
    if report.hidden_by_baseline:
        out.append(f"{_n(report.hidden_by_baseline, 'known finding')} hidden by the baseline.")
    safe, unsafe = s["fixable"], s["fixable_with_unsafe_fixes"]
    if safe:
        more = f" ({unsafe} more with `--unsafe-fixes`)" if unsafe else ""
        out.append(f"[*] {safe} fixable with `fastauthlint --fix`{more}.")
    elif unsafe:
        out.append(f"{_n(unsafe, 'finding')} fixable with `fastauthlint --fix --unsafe-fixes`.")
    return out


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"
