"""The linking step of FAL401/FAL402: findings that need more than one file, from the summaries of
the project's functions (summaries.py):

a. a secret passed to a project helper whose parameter reaches a sink (in any file);
b. a parameter fed by a security scheme or a dependency defined elsewhere, reaching a sink;
c. the result of a project function that returns a credential, reaching a sink.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

from fastauthlint.checks.secrets.sensitive import names_a_name, secret_name_kind, split_words
from fastauthlint.checks.tokens import token_in_error_or_response, token_logged
from fastauthlint.checks.tokens.credentials import names_an_identifier
from fastauthlint.checks.tokens.summaries import Summaries
from fastauthlint.checks.tokens.taint import KIND_WORD
from fastauthlint.checks.tokens.token_in_error_or_response import RESPONSE_KINDS
from fastauthlint.findings import TEST_CODE_SEVERITY, Finding, Span

RULES = {token_logged.RULE: token_logged, token_in_error_or_response.RULE: token_in_error_or_response}


def link(project, check_name: str) -> List[Finding]:
    summaries = Summaries(project, check_name)
    funcs = summaries.funcs
    out: Dict[Tuple[str, Tuple[int, int, int, int], str], Finding] = {}

    def emit(rule: str, path: str, span, message: str, test: bool) -> None:
        key = (path, tuple(span), rule)
        if key in out:
            return
        sev = TEST_CODE_SEVERITY if test else None
        out[key] = Finding(rule=rule, path=path, span=Span(*span), message=message, severity=sev)

    for path, f in funcs.values():
        # a. a secret passed to a helper that logs (or raises) its parameter
        for c in f.calls:
            if not c.desc:
                continue
            tk = summaries.target_key(c.callee, path, c.arg)
            for rule, sink, spath, _ in summaries.reaches.get(tk, []) if tk else []:
                pname = funcs[tk[0]][1].params[tk[1]] if tk[0] in funcs else c.arg
                if _NAME_DESC.match(c.desc) and _param_names_otherwise(pname):
                    # Known only by its name (`collected.secrets`), received as `secret_exprs`: the
                    # helper says what it is given.
                    break
                where = f" in {project.results[spath].rel}" if spath in project.results else ""
                emit(rule, path, c.span, RULES[rule].passed_message(c.desc, c.callee.split('.')[-1], pname, sink,
                                                                    where), c.test)
                break
        # b. parameters fed by a security scheme defined elsewhere; c. results of token issuers
        for fl in f.flows:
            desc = None
            if fl.label == "param":
                i = int(fl.ref)
                if summaries.param_is_credential(path, f, i):
                    desc = f"the credential `{f.params[i]}` (from `{f.deps[str(i)].split('.')[-1]}`)"
            elif fl.label == "ret":
                kind = summaries.returns_secret(fl.ref, path)
                if kind and not (fl.response and kind not in RESPONSE_KINDS):
                    word = "token issued by" if kind == "issued" else f"{KIND_WORD.get(kind, 'credential')} returned by"
                    desc = f"the {word} `{fl.ref.split('.')[-1]}()`"
            if desc is None or fl.span is None:
                continue
            emit(fl.rule, path, fl.span, RULES[fl.rule].message(desc, fl.sink), fl.test)
    return list(out.values())


# How a value known only by its name is described (`credentials.name_source`).
_NAME_DESC = re.compile(r"^the (token|secret|password) `")
_REFERENCE_NOUNS = frozenset({"expr", "exprs", "expression", "expressions", "ref", "refs", "reference", "references",
                              "pattern", "patterns", "template", "templates", "spec", "specs", "keys"})


def _param_names_otherwise(pname: str) -> bool:
    """A parameter whose name says it holds names or references, not credentials (`secret_exprs`,
    `secret_names`, `credential_id`)."""
    words = split_words(pname)
    return bool(words) and secret_name_kind(pname) is None and (
        words[-1] in _REFERENCE_NOUNS or names_an_identifier(pname) or names_a_name(pname))
