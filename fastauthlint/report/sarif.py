"""SARIF 2.1.0 as GitHub code scanning reads it (upload with github/codeql-action/upload-sarif)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from fastauthlint import __version__
from fastauthlint.report.model import Report
from fastauthlint.rules import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/fastauthlint/fastauthlint"


def _rule_descriptor(rule) -> dict:
    tags = ["security", f"fastauthlint/{rule.family_title.lower().replace(' & ', '-').replace(' ', '-')}"]
    tags += [f"external/cwe/{c.lower()}" for c in rule.cwe]
    desc = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.clause or rule.summary},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "helpUri": f"{INFO_URI}/blob/main/rules/{rule.id}.md",
        "defaultConfiguration": {"level": rule.severity.sarif_level},
        "properties": {
            "security-severity": f"{rule.security_severity:.1f}",
            "precision": "high",
            "problem.severity": rule.severity.value if rule.severity.value != "info" else "recommendation",
            "tags": tags,
        },
    }
    return desc


def render_sarif(report: Report) -> str:
    rules = all_rules()
    ids = sorted(rules)
    index = {rid: i for i, rid in enumerate(ids)}
    results = []
    for f in report.findings:
        level = f.severity.sarif_level if f.severity else "error"
        result = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": level,
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(f.path), "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": f.span.line,
                        "startColumn": f.span.column,
                        "endLine": f.span.end_line,
                        "endColumn": max(f.span.end_column, 1),
                    },
                }
            }],
            "partialFingerprints": {"fastauthlint/v1": f.fingerprint},
        }
        if f.spec_ref:
            result["properties"] = {"spec_ref": f.spec_ref}
        results.append(result)
    run = {
        "tool": {"driver": {
            "name": "fastauthlint",
            "semanticVersion": __version__,
            "version": __version__,
            "informationUri": INFO_URI,
            "rules": [_rule_descriptor(rules[rid]) for rid in ids],
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
