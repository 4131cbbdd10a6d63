"""Route authentication coverage (FAL101, FAL102) and the route table other checks build on.

Per file, `routes_facts.RoutesVisitor` records apps, routers, routes, include_router/mount edges
and summaries of every function and class that may serve as a dependency. The linking phase
(`routes_link`) resolves them across files: which router a decorator is on, every inclusion
chain up to the app (with prefixes and dependencies), and whether any dependency that applies
authenticates (transitively, through aliases, chains of dependencies, callable instances and
well-known library factories). `route_table(project)` is the result, shared with other checks.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.project.collect import short_name
from fastauthlint.project.known import BODY_CALL_AUTH
from fastauthlint.options import Option
from fastauthlint.context import FileContext
from fastauthlint.findings import Finding, Span
from fastauthlint.project.route_table import _linked, _siblings

FAL101 = "FAL101"
FAL102 = "FAL102"


def _check_patterns(value) -> Optional[str]:
    from fastauthlint.project.link import parse_public_pattern

    for p in value:
        if parse_public_pattern(p) is None:
            return f"'{p}' is not a route pattern: write a path ('/health', '/auth/*') optionally after methods ('GET /health', 'GET,HEAD /docs')"
    return None


def _check_names(value) -> Optional[str]:
    for p in value:
        if not p.strip() or " " in p.strip():
            return f"'{p}' is not a dotted name (e.g. 'app.api.deps.get_current_user' or 'get_current_user')"
    return None


class RoutesCheck(Check):
    name = "routes"
    rules = (FAL101, FAL102)
    options = (
        Option("auth-dependencies", "list[str]", [],
               "Dependencies that authenticate although the check cannot see it (e.g. they live in an "
               "installed package): qualified names, a dotted suffix, or glob patterns.",
               rules=(FAL101, FAL102), check=_check_names),
        Option("public-routes", "list[str]", [],
               "Routes that are public by design: 'METHOD /path' or '/path', matched against the full "
               "path with every prefix; '*' matches anything, '{param}' one segment.",
               rules=(FAL101,), check=_check_patterns),
    )

    def visitor(self, ctx: FileContext) -> Optional[CheckVisitor]:
        from fastauthlint.project.collect import RoutesVisitor

        return RoutesVisitor(ctx)

    def store(self, facts):
        from fastauthlint.project.store import pack

        return pack(facts)

    def link(self, project) -> Iterable[Finding]:
        linked = _linked(project)
        out: List[Finding] = []
        by_site: Dict[Tuple[str, int], list] = {}
        for lr in linked:
            if lr.status in ("unprotected", "optional"):
                by_site.setdefault((lr.file, lr.fact.line), []).append(lr)
        for (file, line), group in sorted(by_site.items()):
            out.append(_fal101(group))
        seen = set()
        for lr in linked:
            if not lr.optional_unchecked or lr.handler_fact is None:
                continue
            names = {a.param for a in lr.optional if a.param}
            for p in lr.handler_fact.params:
                if p.name in names and p.deref_line and not p.checked:
                    key = (lr.handler_file, p.deref_line, p.name)
                    if key in seen:
                        continue
                    seen.add(key)
                    via = next(a.auth.text for a in lr.optional if a.param == p.name)
                    out.append(Finding(
                        rule=FAL102, path=lr.handler_file, span=Span(p.deref_line, 1, p.deref_line, 1),
                        message=(f"`{p.name}` comes from optional authentication ({via}) and is None for "
                                 f"anonymous requests to {lr.method} {lr.path}, but `{p.deref_text}` is used "
                                 f"without checking it; reject the request when `{p.name}` is None (or use the "
                                 "required dependency)"),
                        extra={"method": lr.method, "path": lr.path}))
        return out


def _fal101(group) -> Finding:
    lr = group[0]
    fact = lr.fact
    shown = sorted({f"{g.method} {g.path}" for g in group})
    what = ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")
    parts: List[str] = []
    if lr.status == "optional":
        opt = "; ".join(f"{a.where}: {a.auth.text}" for a in lr.optional[:2])
        checked = lr.handler_fact is not None and any(
            p.checked for p in lr.handler_fact.params if p.name in {a.param for a in lr.optional})
        parts.append(f"only optional authentication applies ({opt}) and the handler "
                     + ("checks the user but never rejects a missing one" if checked else "never requires the user"))
    else:
        if fact.kind == "starlette":
            parts.append("it is a Starlette route, so FastAPI dependencies never run for it")
        seen = list(dict.fromkeys(o.label() for o in lr.seen))
        if seen:
            parts.append("none of its dependencies authenticates (" + ", ".join(f"`{s}`" for s in seen[:5]) + ")")
        else:
            parts.append("no parameter, decorator, router or include_router dependency authenticates it")
        externals = list(dict.fromkeys(o.label() for o in lr.seen if o.kind in ("ext", "extinst")))
        body_call = [e for e in externals if e in BODY_CALL_AUTH]
        if body_call:
            parts.append(f"the handler takes `{short_name(body_call[0])}` but never calls "
                         f"`{BODY_CALL_AUTH[body_call[0]][0]}()`")
        elif externals:
            parts.append(f"`{externals[0]}` is outside the analysed code; list it in `auth-dependencies` if it authenticates")
        parts.extend(lr.hints[:1])
    chain = lr.chain
    if chain.orphan and fact.kind != "starlette":
        parts.append(f"router `{chain.routers[0]}` is not included anywhere in the analysed code, so it was judged "
                     "on its own dependencies")
    elif len(chain.routers) > 1:
        parts.append("served through " + " → ".join(f"`{r}`" for r in chain.routers))
        protected_elsewhere = [g for g in _siblings(lr) if g.status == "protected"]
        if protected_elsewhere:
            gap = f": {chain.gaps[0]}" if chain.gaps else ""
            parts.append(f"it is protected through another inclusion ({protected_elsewhere[0].path}) but not "
                         f"this one{gap}")
    message = (f"{what} {'is' if len(shown) == 1 else 'are'} reachable without authentication: " + "; ".join(parts)
               + ". Add an authenticating dependency, or declare the route public (`public-routes`, "
                 "`# fastauthlint: public <reason>`)")
    return Finding(rule=FAL101, path=lr.file, span=Span(fact.line, fact.column, fact.line, fact.column),
                   message=message, extra={"routes": shown})


CHECK = RoutesCheck()
