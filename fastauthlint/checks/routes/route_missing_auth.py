"""FAL101 route-missing-auth: a route that anonymous requests can reach.

A route is reported when no dependency that applies to it authenticates — neither its handler's
parameters, nor its decorator's, router's or include_router's `dependencies`, nor a middleware in
front of it, nor the handler's own code — or when only optional authentication applies and the
handler never rejects a missing user; unless it is public by design (`public-routes`, the
`# fastauthlint: public` marker, the OAuth2 login form). One finding per route declaration, listing
every method and full path served without authentication, with what was seen instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, List, Tuple

import libcst as cst

from fastauthlint.checks.base import CheckVisitor
from fastauthlint.findings import Finding, Severity, Span
from fastauthlint.project.known import BODY_CALL_AUTH, LOGIN_FORMS, is_scheme_class
from fastauthlint.project.values import short_name

if TYPE_CHECKING:  # the route table is loaded when linking runs (see the package's link)
    from fastauthlint.project.route_table import LinkedRoute

FAL101 = "FAL101"


def findings(linked: List[LinkedRoute]) -> List[Finding]:
    by_site: Dict[Tuple[str, int], List[LinkedRoute]] = {}
    by_missing: Dict[str, List[LinkedRoute]] = {}
    for lr in linked:
        if lr.missing:
            by_missing.setdefault(lr.missing, []).append(lr)
        elif lr.status in ("unprotected", "optional"):
            by_site.setdefault((lr.file, lr.fact.line), []).append(lr)
    out = [_finding(group) for _, group in sorted(by_site.items())]
    out.extend(_missing_finding(module, group) for module, group in sorted(by_missing.items()))
    return out


def _missing_finding(module: str, group: List[LinkedRoute]) -> Finding:
    """One warning for the routes whose dependencies come from a module of the project's own
    package that is not in the analysed code: their protection cannot be judged, and N errors
    saying so would bury the rest (an incomplete checkout, a wrong analysis root)."""
    group = sorted(group, key=lambda g: (g.file, g.fact.line, g.method, g.path))
    first = group[0]
    shown = sorted({f"{g.method} {g.path}" for g in group})
    n = len(shown)
    example = ", ".join(shown[:3]) + (f" and {n - 3} more" if n > 3 else "")
    message = (f"{n} route{'s' if n != 1 else ''} depend{'' if n != 1 else 's'} on `{module}`, which is not in the "
               f"analysed code ({example}): their authentication cannot be judged. Lint the whole project, or list "
               f"the module's authenticating dependencies in `auth-dependencies`")
    return Finding(rule=FAL101, path=first.file, span=Span(first.fact.line, first.fact.column, first.fact.line,
                                                           first.fact.column),
                   message=message, severity=Severity.WARNING, extra={"routes": shown, "missing_module": module})


def _finding(group: List[LinkedRoute]) -> Finding:
    """One finding for the routes of one declaration that anonymous requests reach."""
    lr = group[0]
    fact = lr.fact
    shown = sorted({f"{g.method} {g.path}" for g in group})
    what = ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")
    parts: List[str] = []
    if lr.status == "optional":
        opt = "; ".join(f"{a.where}: {a.auth.text}" for a in lr.optional[:2])
        checked = lr.handler_fact is not None and any(
            p.checked for p in lr.handler_fact.params if p.name in {a.param for a in lr.optional})
        off = next((a.auth.off_unless for a in lr.optional if a.auth.off_unless), "")
        if off:
            # `if get_config("ENV", "DEV") == "PROD": Authorize.jwt_required()`
            key = off.split(" is ", 1)[0]
            parts.append(f"authentication is off unless {off} ({opt}), and {key} defaults to another value")
        else:
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
        # a bare security scheme is known: it reads the header and verifies nothing (a hint says so)
        externals = list(dict.fromkeys(o.label() for o in lr.seen if o.kind in ("ext", "extinst")
                                       and not is_scheme_class(o.name) and o.name not in LOGIN_FORMS))
        body_call = [e for e in externals if e in BODY_CALL_AUTH]
        if body_call:
            parts.append(f"the handler takes `{short_name(body_call[0])}` but never calls "
                         f"`{BODY_CALL_AUTH[body_call[0]][0]}()`")
        elif externals:
            parts.append(f"`{externals[0]}` is outside the analysed code; list it in `auth-dependencies` if it authenticates")
        parts.extend(lr.hints[:1])
    if lr.purpose is not None:
        # strict mode (`infer-public = false`): the purpose is shown, the declaration asked for
        article = "an" if lr.purpose.label[:1].lower() in "aeiou" else "a"
        parts.append(f"it looks like {article} {lr.purpose.label} route ({lr.purpose.why}); with `infer-public = false` "
                     "such routes must be declared")
    chain = lr.chain
    # A router no app includes (and every inclusion of the project was followed) serves nothing:
    # reported for when it gets included, as info
    unserved = fact.kind != "starlette" and all(g.chain.unserved for g in group)
    if unserved:
        parts.append(f"not served by any app found: router `{chain.routers[-1]}` is included by no app or included "
                     "router in the analysed code, so it was judged on its own dependencies")
    elif chain.orphan and fact.kind != "starlette":
        parts.append(f"router `{chain.routers[0]}` is not included anywhere in the analysed code, so it was judged "
                     "on its own dependencies")
    elif len(chain.routers) > 1:
        parts.append("served through " + " → ".join(f"`{r}`" for r in chain.routers))
        protected_elsewhere = [g for g in lr.siblings if g.status == "protected"]
        if protected_elsewhere and lr.generator:
            parts.append(f"`{lr.generator}` declares it for every call, and the call registering it on "
                         f"`{chain.routers[0]}` passes no authenticating dependency (another call's route "
                         f"{protected_elsewhere[0].path} is protected)")
        elif protected_elsewhere:
            gap = f": {chain.gaps[0]}" if chain.gaps else ""
            parts.append(f"it is protected through another inclusion ({protected_elsewhere[0].path}) but not "
                         f"this one{gap}")
    # Risk decides severity: info only when every route of the declaration reads nothing that
    # belongs to a user or a tenant and changes nothing
    risks = [g.risk for g in group]
    info = bool(risks) and all(r is not None and r.severity == "info" for r in risks)
    if info and not unserved:
        parts.append(f"info because {risks[0].reason}")
    verb = "would be" if unserved else ("is" if len(shown) == 1 else "are")
    reach = "reachable without authentication once served" if unserved else "reachable without authentication"
    if lr.lookalike and all(g.lookalike for g in group):
        # the route is meant to be public: its act is what is wrong
        message = f"{what} {verb} {reach} and " + lr.lookalike
    else:
        message = (f"{what} {verb} {reach}: " + "; ".join(parts)
                   + ". Add an authenticating dependency, or declare the route public (`public-routes`, "
                     "`# fastauthlint: public <reason>`)")
    return Finding(rule=FAL101, path=lr.file, span=Span(fact.line, fact.column, fact.line, fact.column),
                   message=message, severity=Severity.INFO if info or unserved else None, extra={"routes": shown})


# Admin panels that mount a full CRUD interface over the database: the keyword that gives each its
# login (`authentication_backend=AdminAuth(...)`, `auth_provider=...`); without it every table it
# registers is open to anyone
ADMIN_PANELS = {
    "sqladmin.Admin": "authentication_backend", "sqladmin.application.Admin": "authentication_backend",
    "starlette_admin.contrib.sqla.Admin": "auth_provider", "starlette_admin.contrib.sqlmodel.Admin": "auth_provider",
    "starlette_admin.contrib.mongoengine.Admin": "auth_provider", "starlette_admin.contrib.odmantic.Admin": "auth_provider",
    "starlette_admin.contrib.beanie.Admin": "auth_provider", "starlette_admin.base.BaseAdmin": "auth_provider",
}
ADMIN_WORDS = re.compile(r"sqladmin|starlette_admin")


class AdminPanelVisitor(CheckVisitor):
    """FAL101 at the construction of an admin panel given no authentication: it serves its own
    routes (list, create, edit, delete of every registered model), which no FastAPI dependency
    reaches."""

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        q = self.ctx.qualify(node.func)
        keyword = ADMIN_PANELS.get(q or "")
        if keyword is None or any(a.star == "**" or (a.keyword is not None and a.keyword.value == keyword)
                                  for a in node.args):
            return
        base = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "base_url"), None)
        where = "/admin"
        if isinstance(base, cst.SimpleString):
            where = base.evaluated_value if isinstance(base.evaluated_value, str) else where
        panel = q.split(".")[0]
        self.report(FAL101, node, f"the {panel} admin panel is mounted at {where} without `{keyword}`: anyone can "
                                  f"list, create, edit and delete the rows of every model it registers. Pass "
                                  f"`{keyword}=` with a backend that checks an administrator's login")
