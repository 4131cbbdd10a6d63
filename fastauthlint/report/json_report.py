"""The JSON contract: {"version", "findings": [...], "summary": {...}}; 1-based lines/columns."""

from __future__ import annotations

import json

from fastauthlint import __version__
from fastauthlint.report.model import Report
from fastauthlint.rules import get_rule


def finding_dict(f) -> dict:
    rule = get_rule(f.rule)
    out = {
        "rule": f.rule,
        "name": rule.name if rule else f.rule,
        "severity": f.severity.value if f.severity else "error",
        "path": f.path,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "message": f.message,
    }
    if f.spec_ref:
        out["spec_ref"] = f.spec_ref
    out["fingerprint"] = f.fingerprint
    out["fix"] = {"applicability": f.fix.applicability, "message": f.fix.message} if f.fix else None
    return out


def render_json(report: Report) -> str:
    doc = {
        "version": __version__,
        "findings": [finding_dict(f) for f in report.findings],
        "summary": report.summary(),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
