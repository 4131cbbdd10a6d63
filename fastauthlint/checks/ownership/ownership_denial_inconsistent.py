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

from dataclasses import replace
from typing import Dict, List, Tuple

from fastauthlint.checks.ownership.facts import FuncSummary, Origin, OwnerCheck
from fastauthlint.checks.ownership.link.binding import Binding
from fastauthlint.checks.ownership.link.registry import Model
from fastauthlint.checks.ownership.link.walk import OwnershipWalk
from fastauthlint.findings import Finding, Severity, Span


class InconsistentDenials:
    def __init__(self, walk: OwnershipWalk):
        self.walk = walk
        self.denial_status = int(walk.project.config.option("ownership-denial-status"))
        self.found: Dict[Tuple[str, Span], Finding] = {}
        self.models: Dict[Tuple[str, Span], List[Model]] = {}  # the models of each refusal's row

    def visit(self, path: str, fs: FuncSummary, b: Binding) -> None:
        """Called by the walk for each function and binding it enters (the first finding at a
        refusal wins)."""
        walk = self.walk
        for chk in walk.valid_checks(path, fs, b):
            if chk.idx < 0 or chk.denial is None or chk.kind in ("filter", "returns"):
                continue
            if chk.kind in ("deny", "guard") and not walk._owner_column(chk.column, links=False):
                continue  # who manages a row that is no one's (`group.creator_id`): not "exists but not yours"
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
            models = self.row_models(path, fs, b, chk.subject)
            random = bool(models) and all(m.random_ids for m in models)
            message = self._message(status, d.text, chk)
            if random:
                message += (f"; {models[0].name} ids are random UUIDs, so the answer confirms only an id the "
                            f"caller already holds (info)")
            self.models[key] = models
            self.found[key] = Finding(
                rule="FAL202", path=path, span=d.span, message=message,
                severity=Severity.INFO if random else None)

    def row_models(self, path: str, fs: FuncSummary, b: Binding, o: Origin, depth: int = 0) -> List[Model]:
        """The models of the row an ownership check looks at: the query that fetched it, or the
        queries a helper returning it makes ([] when not known)."""
        walk = self.walk
        o = walk.canonical(path, fs, b, o)
        if o.kind == "site" and 0 <= int(o.name) < len(fs.sites):
            site = walk.complete(path, fs, fs.sites[int(o.name)])
            return walk.site_models(path, fs, b, site)
        if o.kind == "call" and depth < 3 and 0 <= int(o.name) < len(fs.calls):
            call = fs.calls[int(o.name)]
            if call.alt_site >= 0:
                found = self.row_models(path, fs, b, Origin("site", str(call.alt_site)), depth + 1)
                if found:
                    return found
            hit = walk.resolver.resolve_call(path, fs, b, call.callee)
            if hit is None:
                return []
            tpath, t, tcls, tmodel, bound = hit
            tb = walk.call_binding(path, fs, b, call, t, bound, tcls, tmodel)
            out: List[Model] = []
            targets = [(tpath, t, tb)] if t.returns or not tcls else self._overrides(tcls, t, tb)
            for tp, tf, fb in targets:
                for r in tf.returns:
                    for m in self.row_models(tp, tf, fb, r, depth + 1):
                        if m not in out:
                            out.append(m)
            return out
        return []

    def _overrides(self, cls: str, t: FuncSummary, b: Binding) -> List[Tuple[str, FuncSummary, Binding]]:
        """An interface method (no body of its own): the methods of that name in the project's
        classes deriving from its class, whose rows are the ones the caller gets."""
        walk, name = self.walk, t.qualname.rsplit(".", 1)[-1]
        out = []
        for q in sorted(walk.models.classes):
            if q != cls and any(c.qualname == cls for _, c in walk.models.chain(q)[1:]):
                hit = walk.index.funcs.get(f"{q}.{name}")
                if hit is not None:
                    out.append((hit[0], hit[1], replace(b, self_cls=q) if b.self_cls else b))
        return out[:4]

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
        return [self.found[key] for key in sorted(self.found, key=lambda k: (k[0], k[1].line, k[1].column))
                if not self._readable_by_all(key)]

    def _readable_by_all(self, key: Tuple[str, Span]) -> bool:
        """Rows owned only by their author that the project never filters by the current user
        (a shared board whose edits only the author may make): every caller reads them, so a 403
        on someone else's tells nothing the list did not."""
        models = self.models.get(key) or []
        personal, listed = self.walk.stats.personal, self.walk.stats.listed
        # or rows of a model every signed-in user lists (a feed's posts: link/shared_rows.py)
        return bool(models) and all(m.authored and m.qualname not in personal or m.qualname in listed
                                    for m in models)
