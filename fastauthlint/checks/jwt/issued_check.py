"""The check of FAL506 and FAL507: issued.py's visitor records per file what is signed and what is
accepted; the two rules judge those facts together when linking."""

from __future__ import annotations

import re
from typing import Iterable

from fastauthlint.checks.base import WordGatedCheck
from fastauthlint.checks.jwt import audience_or_issuer_not_verified, token_type_confusion
from fastauthlint.checks.jwt.issued import IssuedFacts, IssuedVisitor
from fastauthlint.findings import Finding

# Files that sign or decode, and files whose functions may check the kind of a token a project
# helper decoded for them (`payload = tokens.decode(token)`, `if payload["type"] != "access"`).
_RELEVANT = re.compile(r"jwt|jose|authlib|token", re.I)


class IssuedCheck(WordGatedCheck):
    name = "jwt-issued"
    rules = (audience_or_issuer_not_verified.RULE, token_type_confusion.RULE)
    options = (audience_or_issuer_not_verified.EXPECTED_AUDIENCE, audience_or_issuer_not_verified.EXPECTED_ISSUER)
    relevant = _RELEVANT
    visitor_class = IssuedVisitor

    def link(self, project) -> Iterable[Finding]:
        facts = [(path, f) for path, f in project.facts(self.name) if isinstance(f, IssuedFacts)]
        yield from audience_or_issuer_not_verified.link(project, facts)
        yield from token_type_confusion.link(project, facts)


CHECK = IssuedCheck()
