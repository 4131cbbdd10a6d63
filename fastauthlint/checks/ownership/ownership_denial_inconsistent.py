"""FAL202 ownership-denial-inconsistent: an ownership failure answered differently from "does not
exist".

The spec answers "exists but is not yours" exactly like "does not exist" (404 by default, option
`ownership-denial-status`), so a client cannot probe which ids exist. Every ownership check the
walk finds valid (an owner column of a fetched row compared with the current user, itself or by
a predicate helper) is looked at in each function and binding the walk enters, and its refusal's
status compared with the configured one: a literal status, a response class, or the status a
project exception class declares.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from fastauthlint.checks.ownership.facts import FuncSummary, OwnerCheck
from fastauthlint.checks.ownership.link.binding import Binding
from fastauthlint.checks.ownership.link.walk import OwnershipWalk
from fastauthlint.findings import Finding, Span


class InconsistentDenials:
    def __init__(self, walk: OwnershipWalk):
        self.walk = walk
        self.denial_status = int(walk.project.config.option("ownership-denial-status"))
        self.found: Dict[Tuple[str, Span], Finding] = {}

    def visit(self, path: str, fs: FuncSummary, b: Binding) -> None:
        """Called by the walk for each function and binding it enters (the first finding at a
        refusal wins)."""
        walk = self.walk
        for chk in walk.valid_checks(path, fs, b):
            if chk.idx < 0 or chk.denial is None or chk.kind in ("filter", "returns"):
                continue
            if chk.kind in ("deny", "guard"):
                subj = walk.canonical(path, fs, b, chk.subject)
                if subj.kind == "param" and subj.name not in b.rows:
                    # request data (`data.user_id != user.id`) or a path parameter compared with
                    # the user: input validation or an identity check, not "exists but not yours"
                    continue
            d = chk.denial
            status = d.status
            if status is None and d.exception:
                target = walk.resolver.resolve_name(d.exception, path)
                hit = walk.models.find_class(target or d.exception, near=path)
                if hit is not None:
                    for _, c in walk.models.chain(hit[1].qualname):
                        if c.status_code:
                            status = c.status_code
                            break
            if status is None or status == self.denial_status or d.span.line <= 0:
                continue
            key = (path, d.span)
            if key in self.found:
                continue
            self.found[key] = Finding(
                rule="FAL202", path=path, span=d.span,
                message=self._message(status, d.text, chk))

    def _message(self, status: int, text: str, chk: OwnerCheck) -> str:
        words = {400: "400 Bad Request", 401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Not Found"}
        got = words.get(status, str(status))
        want = words.get(self.denial_status, str(self.denial_status))
        what = f"`{chk.column}`" if chk.column else "the owner"
        leak = ("so a client can tell that the row exists but belongs to someone else"
                if self.denial_status == 404 else "unlike the configured answer")
        return (f"ownership failure answered with {got} ({text}) after comparing {what} with the current "
                f"user; the spec answers \"exists but not yours\" exactly like \"does not exist\" "
                f"({want}, option `ownership-denial-status`), {leak}")

    def findings(self) -> List[Finding]:
        return [self.found[key] for key in sorted(self.found, key=lambda k: (k[0], k[1].line, k[1].column))]
