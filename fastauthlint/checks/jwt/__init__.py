"""The JWT-verification family (spec §4.3–§4.6 and §2.3): FAL501–FAL505.

One visitor (visitor.py) collects the calls that may belong to a JWT library while the batched
traversal runs; when a function is left (its function-local imports are still known then), each
call is resolved (`model.resolve`: the library from the file's imports, never from a variable's
name), and each rule looks at the resolved call:

    FAL501 jwt-expiry-not-verified      jwt_expiry_not_verified.py
    FAL502 jwt-signature-not-verified   jwt_signature_not_verified.py
    FAL503 jwt-unsafe-algorithms        jwt_unsafe_algorithms.py
    FAL504 jwt-claim-checks-disabled    jwt_claim_checks_disabled.py
    FAL505 token-issued-without-expiry  token_issued_without_expiry.py

Preview rules, each with a traversal of its own until it leaves preview:

    FAL506 audience-or-issuer-not-verified  audience_or_issuer_not_verified.py  } facts: issued.py, check:
    FAL507 token-type-confusion             token_type_confusion.py             } issued_check.py, judged when linking
    FAL508 privilege-by-default-claim       privilege_by_default_claim.py

Values given through locals, module constants and mutated dicts are followed by `flow.Scope` (the
abstract values are in values.py), built only for functions that call a JWT library;
`claims.claim_uses` follows where a decoded token's claims go, and durations.py reads leeways and
lifetimes. Options, algorithm lists and leeways imported from another module are judged by the
linking step (imported.py); the family's options are in options.py. Test code is not checked:
tests forge expired, unsigned and `alg=none` tokens on purpose to prove that the application
rejects them.
"""

from __future__ import annotations

from typing import Iterable, Optional

from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.checks.jwt import imported, issued_check, privilege_by_default_claim
from fastauthlint.checks.jwt.options import MAX_LEEWAY, MAX_LIFETIME
from fastauthlint.checks.jwt.visitor import RELEVANT, JwtVisitor
from fastauthlint.context import FileContext


class JwtCheck(Check):
    name = "jwt"
    rules = ("FAL501", "FAL502", "FAL503", "FAL504", "FAL505")
    options = (MAX_LEEWAY, MAX_LIFETIME)

    def visitor(self, ctx: FileContext) -> Optional[CheckVisitor]:
        if ctx.is_test or not ctx.mentions(RELEVANT):
            return None
        return JwtVisitor(ctx)

    def link(self, project) -> Iterable:
        return imported.link(project, self.name)


CHECK = JwtCheck()
MORE_CHECKS = (issued_check.CHECK, privilege_by_default_claim.CHECK)
