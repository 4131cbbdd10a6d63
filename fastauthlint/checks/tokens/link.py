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
from fastauthlint.checks.tokens.summaries import Summaries, through
from fastauthlint.checks.tokens.taint import KIND_WORD
from fastauthlint.checks.tokens.token_in_error_or_response import RESPONSE_KINDS
from fastauthlint.findings import TEST_CODE_SEVERITY, Finding, Span
from fastauthlint.project.programs import release, scripts

RULES = {token_logged.RULE: token_logged, token_in_error_or_response.RULE: token_in_error_or_response}


def link(project, check_name: str) -> List[Finding]:
    summaries = Summaries(project, check_name)
    funcs = summaries.funcs
    out: Dict[Tuple[str, Tuple[int, int, int, int], str], Finding] = {}
    script_modules = scripts(project)

    def emit(rule: str, path: str, span, message: str, test: bool, sink: str = "") -> None:
        key = (path, tuple(span), rule)
        if key in out or (path in script_modules and token_logged.script_output(rule, sink)):
            return  # what a script prints is its output to whoever runs it
        sev = TEST_CODE_SEVERITY if test else None
        out[key] = Finding(rule=rule, path=path, span=Span(*span), message=message, severity=sev)

    for path, f in funcs.values():
        # a. a secret passed to a helper that logs (or raises) its parameter
        for c in f.calls:
            desc = c.desc
            if c.ret:
                kind = summaries.returns_secret(c.ret, path)
                desc = _issued_desc(kind, c.ret) if kind else ""
            elif c.param >= 0 and c.span is not None and summaries.param_is_credential(path, f, c.param):
                desc = f"the credential `{f.params[c.param]}` (from `{f.deps[str(c.param)].split('.')[-1]}`)"
            if not desc:
                continue
            tk = summaries.target_key(c.callee, path, c.arg)
            for reach in summaries.reaches.get(tk, []) if tk else []:
                passed = through(reach, c.handlers, summaries.rel(reach[2]))
                if passed is None or passed[5]:
                    continue  # a message the `except` around the call drops; one reported where raised
                rule, sink, spath = passed[:3]
                handled = summaries.logged_exception(passed[4]) if passed[4] else None
                if handled == "":
                    continue  # uncaught here too, and the application's handler drops its message
                if handled:  # uncaught here too, and the application's handler logs it
                    rule, sink = token_logged.RULE, f"{sink} in {summaries.rel(spath)}, which {handled}"
                    spath = ""
                pname = funcs[tk[0]][1].params[tk[1]] if tk[0] in funcs else c.arg
                if _NAME_DESC.match(desc) and _param_names_otherwise(pname):
                    # Known only by its name (`collected.secrets`), received as `secret_exprs`: the
                    # helper says what it is given.
                    break
                where = f" in {project.results[spath].rel}" if spath in project.results else ""
                emit(rule, path, c.span, RULES[rule].passed_message(desc, c.callee.split('.')[-1], pname, sink,
                                                                    where), c.test, sink)
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
                if fl.minted_for:
                    if kind == "issued":
                        desc = token_in_error_or_response.minted_for_desc(fl.minted_for)
                elif kind and not (fl.response and kind not in RESPONSE_KINDS):
                    desc = _issued_desc(kind, fl.ref)
            elif fl.label == "raise":
                # A secret in the message of an exception leaving this function, which an exception
                # handler of the application writes to a log.
                handled = summaries.logged_exception(fl.raised)
                if handled:
                    emit(token_logged.RULE, path, fl.span,
                         token_logged.message(fl.ref, f"{fl.sink}, which {handled}"), fl.test)
                continue
            elif fl.label == "obj":
                field = summaries.holder(fl.ref, path)
                if field:
                    desc = f"`{fl.ref.split('.')[-1]}` (its `{field}` among its fields)"
            if desc is None or fl.span is None:
                continue
            emit(fl.rule, path, fl.span, RULES[fl.rule].message(desc, fl.sink), fl.test, fl.sink)
    found = list(out.values())
    for path, facts in project.facts(check_name):
        found.extend(release(project, path, getattr(facts, "held", [])))
    return found


def _issued_desc(kind: str, callee: str) -> str:
    word = "token issued by" if kind == "issued" else f"{KIND_WORD.get(kind, 'credential')} returned by"
    return f"the {word} `{callee.split('.')[-1]}()`"


# How a value known only by its name is described (`credentials.name_source`).
_NAME_DESC = re.compile(r"^the (token|secret|password) `")
_REFERENCE_NOUNS = frozenset({"expr", "exprs", "expression", "expressions", "ref", "refs", "reference", "references",
                              "pattern", "patterns", "template", "templates", "spec", "specs", "keys",
                              "endpoint", "endpoints", "url", "urls", "uri", "uris", "host"})


def _param_names_otherwise(pname: str) -> bool:
    """A parameter whose name says it holds names or references, not credentials (`secret_exprs`,
    `secret_names`, `credential_id`)."""
    words = split_words(pname)
    return bool(words) and secret_name_kind(pname) is None and (
        words[-1] in _REFERENCE_NOUNS or names_an_identifier(pname) or names_a_name(pname))
