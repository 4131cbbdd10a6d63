"""Raw SQL in strings: which tables a statement reads or changes, and which columns its WHERE/ON
clauses compare with which placeholder (`owner_id = :owner_id`, `user_id = $1`, `%(uid)s`, `%s`,
`?`). Only what ownership needs; not a SQL parser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

_DML = re.compile(r"^\s*(?:\(\s*)?(select|update|delete|with)\b", re.I)
_TABLE_REFS = re.compile(
    r"\b(from|join|update|into)\s+(?:only\s+)?[`\"\[]?(?:\w+[`\"\]]?\.[`\"\[]?)?([A-Za-z_]\w*)[`\"\]]?", re.I)
_PLACEHOLDER = r"(:[A-Za-z_]\w*|\$\d+|%\([A-Za-z_]\w*\)s|%s|\?|__fx\d+__)"
_COMPARE = re.compile(
    r"(?:[`\"\[]?\w+[`\"\]]?\.)?[`\"\[]?([A-Za-z_]\w*)[`\"\]]?\s*(?:=|==|\bin\b|\bis\b)\s*\(?\s*" + _PLACEHOLDER,
    re.I)
_COMPARE_REV = re.compile(
    _PLACEHOLDER + r"\s*=\s*(?:[`\"\[]?\w+[`\"\]]?\.)?[`\"\[]?([A-Za-z_]\w*)[`\"\]]?", re.I)
_KEYWORDS = {"select", "where", "and", "or", "not", "on", "set", "values", "as", "lateral", "exists",
             "unnest", "generate_series", "dual"}


@dataclass
class SqlStatement:
    op: str  # read | update | delete
    tables: Tuple[str, ...]
    # (column, placeholder key) compared anywhere in WHERE/ON/HAVING: the key names the argument
    # that placeholder binds (see `placeholder_key`), positional ones numbered by their place in the
    # whole statement (a `SET a = %s` before `WHERE user_id = %s` takes the first argument)
    comparisons: List[Tuple[str, str]] = field(default_factory=list)


def parse_sql(text: str) -> Optional[SqlStatement]:
    if not text or not _DML.match(text):
        return None
    head = _DML.match(text).group(1).lower()
    body = text
    tables: List[str] = []
    for kw, name in _TABLE_REFS.findall(body):
        if name.lower() in _KEYWORDS:
            continue
        if kw.lower() == "into":
            continue
        tables.append(name)
    if not tables:
        return None
    if head == "update":
        op = "update"
    elif head == "delete":
        op = "delete"
    else:
        op = "read"
        low = body.lower()
        if re.search(r"\bupdate\s+\w", low) and " set " in low:
            op = "update"
        elif re.search(r"\bdelete\s+from\b", low):
            op = "delete"
    # Only conditions filter: the part after the first WHERE / ON / HAVING (SET assignments do not).
    first = re.search(r"\b(?:where|on|having)\b", body, re.I)
    start = first.end() if first else len(body)
    cond = body[start:]
    found = list(re.finditer(_PLACEHOLDER, body))
    keys = {}  # offset of a placeholder in the statement -> its key
    positional = 0
    for m in found:
        k = placeholder_key(m.group(0))
        if not k:  # `%s` / `?`: the n-th argument, counted over the whole statement
            k = f"#{positional}"
            positional += 1
        keys[m.start()] = k
    comps = [(m.group(1), keys.get(start + m.start(2), "#0")) for m in _COMPARE.finditer(cond)]
    comps += [(m.group(2), keys.get(start + m.start(1), "#0")) for m in _COMPARE_REV.finditer(cond)]
    return SqlStatement(op=op, tables=tuple(dict.fromkeys(tables)), comparisons=comps)


def placeholder_key(ph: str) -> str:
    """The parameter name or 0-based position a placeholder binds: ":uid" -> "uid",
    "%(uid)s" -> "uid", "$2" -> "#1"; "%s"/"?" -> "" (positional, numbered by the caller)."""
    if ph.startswith(":"):
        return ph[1:]
    if ph.startswith("%("):
        return ph[2:-2]
    if ph.startswith("$"):
        return f"#{int(ph[1:]) - 1}"
    if ph.startswith("__fx"):
        return ph
    return ""
