"""The rule registry, read from the specification documents in `rules/`.

Each rule has one Markdown document, the single source of its metadata and prose: the same text is
printed by `fastauthlint rule`, embedded as SARIF rule help and summarised in the README table.
A document starts like this:

    # FAL501 jwt-expiry-not-verified

    - **Summary:** `jwt.decode` told not to verify `exp`
    - **Severity:** error
    - **Security severity:** 8.1
    - **CWE:** CWE-613
    - **OWASP API Top 10:** API2:2023 Broken Authentication
    - **Status:** implemented
    - **Spec:** §4.3

    > The backend MUST reject a token whose `exp` is in the past ...

and then has the sections *What it checks*, *Why it matters*, *Example*, *Use instead*, *Options*
and *References*.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from fastauthlint.findings import Severity

RULE_ID = re.compile(r"^FAL\d{3}$")

FAMILIES: Dict[int, str] = {
    0: "Analysis",
    1: "Authentication coverage",
    2: "Ownership",
    3: "Secrets & configuration",
    4: "Token handling",
    5: "JWT verification",
    6: "HTTP contract",
}

REQUIRED_SECTIONS = ("What it checks", "Why it matters", "Example", "Use instead", "Options", "References")


@dataclass(frozen=True)
class Example:
    """A code example from a rule document; `files` maps a relative path to its source."""

    files: Tuple[Tuple[str, str], ...]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str
    severity: Severity
    security_severity: float
    cwe: Tuple[str, ...]
    owasp: str
    status: str  # "implemented" | "preview" | "planned"
    spec_section: str
    clause: str  # the MUST/SHOULD text
    doc: str  # the whole document

    @property
    def family(self) -> int:
        return int(self.id[3])

    @property
    def family_title(self) -> str:
        return FAMILIES.get(self.family, "")

    @property
    def implemented(self) -> bool:
        """A check decides it (a preview rule is implemented too, only off by default)."""
        return self.status in ("implemented", "preview")

    @property
    def preview(self) -> bool:
        """New rules ship as preview until they are precise on projects they were not developed
        on: off unless `--preview` (`preview = true`) or selected by their full ID."""
        return self.status == "preview"

    def section(self, title: str) -> str:
        return _sections(self.doc).get(title, "")

    def examples(self, title: str) -> List[Example]:
        """Code examples of a section ("Example" or "Use instead"). Consecutive ```python blocks
        whose first line is `# file: path` form one multi-file example; other blocks stand alone."""
        out: List[Example] = []
        pending: List[Tuple[str, str]] = []
        for code in re.findall(r"```python\n(.*?)```", self.section(title), flags=re.S):
            first, _, rest = code.partition("\n")
            m = re.match(r"#\s*file:\s*(\S+)\s*$", first)
            if m:
                pending.append((m.group(1), rest))
                continue
            if pending:
                out.append(Example(tuple(pending)))
                pending = []
            out.append(Example((("example.py", code),)))
        if pending:
            out.append(Example(tuple(pending)))
        return out


def spec_dir() -> Path:
    """Installed wheels carry the documents as package data; a source checkout has them at the top."""
    here = Path(__file__).resolve().parent
    packaged = here / "_spec"
    return packaged if packaged.is_dir() else here.parent / "rules"


def _sections(doc: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    current = None
    buf: List[str] = []
    for line in doc.splitlines():
        m = re.match(r"^## (.+?)\s*$", line)
        if m:
            if current is not None:
                out[current] = "\n".join(buf).strip()
            current, buf = m.group(1), []
        elif current is not None:
            buf.append(line)
    if current is not None:
        out[current] = "\n".join(buf).strip()
    return out


class RuleDocError(ValueError):
    pass


def parse_rule_doc(text: str, source: str = "<doc>") -> Rule:
    m = re.match(r"^# (FAL\d{3}) ([a-z0-9-]+)\s*$", text.splitlines()[0] if text else "")
    if not m:
        raise RuleDocError(f"{source}: first line must be '# FALnnn rule-name'")
    fields = dict(re.findall(r"^- \*\*([A-Za-z0-9 ]+):\*\* (.+?)\s*$", text, flags=re.M))
    clause = " ".join(
        line[1:].strip() for line in text.splitlines() if line.startswith(">")
    ).strip()
    try:
        return Rule(
            id=m.group(1),
            name=m.group(2),
            summary=fields["Summary"],
            severity=Severity(fields["Severity"]),
            security_severity=float(fields["Security severity"]),
            cwe=tuple(c.strip() for c in fields.get("CWE", "").split(",") if c.strip()),
            owasp=fields.get("OWASP API Top 10", ""),
            status=_status(fields["Status"], source),
            spec_section=fields.get("Spec", ""),
            clause=clause,
            doc=text,
        )
    except (KeyError, ValueError) as e:
        raise RuleDocError(f"{source}: bad or missing metadata field {e}") from None


def _status(value: str, source: str) -> str:
    if value not in STATUSES:
        raise RuleDocError(f"{source}: status must be one of {', '.join(STATUSES)}, got {value!r}")
    return value


@functools.lru_cache(maxsize=None)
def all_rules() -> Dict[str, Rule]:
    rules = {}
    for path in sorted(spec_dir().glob("FAL*.md")):
        rule = parse_rule_doc(path.read_text(encoding="utf-8"), str(path))
        rules[rule.id] = rule
    return rules


def get_rule(rule_id: str) -> Optional[Rule]:
    return all_rules().get(rule_id.upper())


STATUSES = ("implemented", "preview", "planned")


def expand_selector(selector: str) -> List[str]:
    """`FAL5` / `FAL50` / `FAL501` / `ALL` to the rule IDs they name ([] when none)."""
    sel = selector.strip().upper()
    if sel == "ALL":
        return sorted(all_rules())
    return sorted(r for r in all_rules() if r.startswith(sel)) if sel.startswith("FAL") else []
