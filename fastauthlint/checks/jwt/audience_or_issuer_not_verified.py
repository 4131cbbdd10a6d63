"""FAL506 audience-or-issuer-not-verified (preview; spec §4.6): when the project's tokens carry
`aud`/`iss` (its own code sets them when it issues tokens, or `expected-audience`/`expected-issuer`
are configured), every verified decode of them MUST ask for them: `audience=`/`issuer=` (PyJWT,
python-jose), `claims_options` with `aud`/`iss` (Authlib), or a check of the claim in the function.

Judged when linking (the facts are issued.py's): a decode is judged when it uses the key the tokens
with `aud`/`iss` are signed with (named the same), or when the configuration says what to expect.
Checks switched off (`verify_aud: False`) are FAL504's; a decode given `**kwargs` is not judged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from fastauthlint.findings import Finding, Span
from fastauthlint.options import Option

RULE = "FAL506"

EXPECTED_AUDIENCE = Option(
    key="expected-audience", kind="str", default="",
    help="The `aud` the project's tokens carry; every verified decode must check it (FAL506).",
    rules=(RULE,))
EXPECTED_ISSUER = Option(
    key="expected-issuer", kind="str", default="",
    help="The `iss` the project's tokens carry; every verified decode must check it (FAL506).",
    rules=(RULE,))


def link(project, facts) -> Iterator[Finding]:
    expected = {"aud": project.config.option(EXPECTED_AUDIENCE.key),
                "iss": project.config.option(EXPECTED_ISSUER.key)}
    # claim -> key name -> first place a token with that claim is signed
    issued: Dict[str, Dict[str, Tuple[str, int]]] = {"aud": {}, "iss": {}}
    for path, f in facts:
        for issue in f.issues:
            for claim in ("aud", "iss"):
                if claim in issue.claims and issue.key:
                    issued[claim].setdefault(issue.key, (relative(project, path), issue.line))
    for path, f in facts:
        for accept in f.accepts:
            if not accept.decides:
                continue  # claims read only to revoke or inspect the token
            missing: List[str] = []
            where: Optional[Tuple[str, int]] = None
            for claim, arg, state in (("aud", "audience", accept.audience), ("iss", "issuer", accept.issuer)):
                if state != "missing" or claim in accept.reads:
                    continue
                source = issued[claim].get(accept.key) if accept.key else None
                if source is None and not expected[claim]:
                    continue
                missing.append(f"`{arg}=`")
                where = where or source
            if not missing:
                continue
            claims = " and ".join("`aud`" if m == "`audience=`" else "`iss`" for m in missing)
            origin = (f" (tokens signed with `{accept.key}` carry {claims}: {where[0]}:{where[1]})"
                      if where is not None else " (the configuration says what to expect)")
            whom = " or ".join(w for m, w in (("`audience=`", "for another audience"), ("`issuer=`", "by another issuer"))
                               if m in missing)
            yield Finding(rule=RULE, path=path, span=Span(accept.line, accept.column, accept.end_line, accept.end_column),
                          message=(f"`{accept.display}` does not check {claims}: pass {' and '.join(missing)}"
                                   f"{origin}; without it a token the same key signed {whom} is accepted "
                                   "(spec §4.6)"))


def relative(project, path: str) -> str:
    """A root-relative POSIX path for messages (the finding itself carries the full path)."""
    try:
        return Path(path).resolve().relative_to(Path(project.config.root).resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).name
