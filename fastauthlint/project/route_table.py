"""The route table: every route of the project with its full path, its handler and how it is
protected, as the FastAPI graph (graph.py) and the authenticating dependencies
(authentication.py) decide; memoised per run.

`route_table(project)` is the public answer (`Route`): the ownership family follows its handlers
and `fastauthlint routes` prints it. `linked_routes(project)` is the same table with the
reasoning kept (`LinkedRoute`: what applies and from where, what was seen, which chain): the
routes family words its FAL101/FAL102 findings from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fastauthlint.context import is_test_path
from fastauthlint.project import known as K
from fastauthlint.project.authentication import Auth, Authentication
from fastauthlint.project.data_access import DataAccess, Risk, model_kinds
from fastauthlint.project.evaluate import Evaluator, Obj
from fastauthlint.project.evidence import Evidence
from fastauthlint.project.facts import FileFacts, FuncFact, ParamFact, RouteFact
from fastauthlint.project.graph import Chain, RouterGraph, RouterInfo
from fastauthlint.project.injection import Injection
from fastauthlint.project.middleware import MiddlewareAuthentication
from fastauthlint.project.public import parse_public_pattern, public_match
from fastauthlint.project.purpose import Judgement, Purposes, configured_call
from fastauthlint.project.reach import Reach
from fastauthlint.project.values import V, short_name


@dataclass
class Applied:
    """One authentication that applies to a route, and where it comes from."""

    auth: Auth
    where: str  # "parameter `user`", "decorator", "router `items`", "include_router in app/main.py", ...
    param: str = ""  # handler parameter carrying it


# Prometheus exporters' route handlers: counters of the process, read by a scraper that sends no user
METRICS_HANDLERS = frozenset({"starlette_exporter.handle_metrics", "starlette_exporter.exporter.handle_metrics",
                              "starlette_prometheus.metrics", "starlette_prometheus.view.metrics",
                              "prometheus_fastapi_instrumentator.Instrumentator.expose"})


@dataclass
class LinkedRoute:
    """One route (one method of a route declaration, served through one chain) and why it has
    its status."""

    fact: RouteFact
    file: str
    method: str
    path: str
    handler: str
    handler_file: str
    handler_fact: Optional[FuncFact]
    applied: List[Applied]
    public: Optional[str]
    status: str  # "protected" | "guarded" | "public" | "optional" | "optional-unchecked" | "unprotected"
    chain: Chain
    seen: List[Obj]  # what the route's dependencies call, none of which authenticates
    hints: List[str]
    enforced_in_handler: bool = False
    optional_unchecked: bool = False  # an optional user parameter is dereferenced before any check
    purpose: Optional[Judgement] = None  # what its handler is for (public by purpose unless infer-public is off)
    guard: Optional[Judgement] = None  # protection that is not a user: a capability, a signature (status "guarded")
    risk: Optional[Risk] = None  # how much it matters that anonymous requests reach it (unprotected routes)
    # a module of the project's own packages that its dependencies come from and that is not in
    # the analysed code (an incomplete checkout): its status cannot be judged
    missing: str = ""
    # the generator function declaring the route on the router each of its calls hands it
    # (`register_crud(router, dependencies=...)`), judged per call: its name, else ""
    generator: str = ""
    # every route of the same declaration (decorator or call), this one included
    siblings: List["LinkedRoute"] = field(default_factory=list, repr=False, compare=False)
    # a sign-in act done wrong (a login checking no credential, a signup granting a staff role):
    # what the finding says instead of asking for an authenticating dependency
    lookalike: str = ""

    @property
    def required(self) -> List[Applied]:
        return [a for a in self.applied if not a.auth.optional]

    @property
    def optional(self) -> List[Applied]:
        return [a for a in self.applied if a.auth.optional]


_PLACEHOLDER = re.compile(r"\{[^{}]*?\.([^{}.]+)\}")


def _norm_placeholders(path: str) -> str:
    """`{self.settings.API_PREFIX}/login` and `{settings.API_PREFIX}/login` are the same path."""
    return _PLACEHOLDER.sub(r"{\1}", path)


def exempt_match(entries: Sequence[str], method: str, path: str) -> Optional[str]:
    """The allow-list entry ("METHODS path", a path or a prefix of it) matching a route."""
    pats = []
    for e in entries:
        methods, _, p = e.rpartition(" ")
        # a prefix the code computes (`f"{settings.API_PREFIX}/products"`): any prefix
        p = re.sub(r"^(\{[^/]*\})+", "*", _norm_placeholders(p))
        parsed = parse_public_pattern(f"{methods} {p}".strip())
        if parsed is not None:
            methods, p = parsed
            pats.append((methods, p, e))
            pats.append((methods, p.rstrip("/") + "/*", e))
    if not pats:
        return None
    norm = _norm_placeholders(path)
    found = public_match(pats, method, norm)
    rest = re.sub(r"^(\{[^/]*\})+", "", norm)
    if found is None and rest != norm and rest.startswith("/"):
        # a route under a prefix the code computes (`{settings.API_PREFIX}/auth/login`) and an
        # entry written without it: the application's own list, so it names the route the
        # prefix puts at that path (else the application could not serve it)
        found = public_match(pats, method, rest)
    return found


def regex_exempt(auth: Auth, path: str) -> Optional[str]:
    """The pattern of a middleware letting this path through (`PUBLIC.match(path)`), or, for one
    guarding only the paths of its patterns, text saying it matches none of them."""
    sample = re.sub(r"\{[^{}]*\}", "x", _norm_placeholders(path))
    for pat in auth.allow_re:
        if re.match(pat, sample):
            return pat
    if auth.only_re and not any(re.match(p, sample) for p in auth.only_re):
        return f"{path} (it guards only {', '.join(auth.only_re[:3])})"
    return None


_USERISH = re.compile(r"(^|_)(user|current_user|me|principal|account|token|claims|payload|identity|auth)($|_)", re.I)


class TableBuilder:
    """Builds the linked routes: every route declaration, once per method and per inclusion
    chain (distinct full paths), with what applies to it from its handler and along the chain."""

    def __init__(self, evaluator: Evaluator, authentication: Authentication, graph: RouterGraph,
                 public_patterns: Sequence[str], infer_public: bool = True, owner_fields: Sequence[str] = ()):
        self.E = evaluator
        self.infer_public = infer_public
        reach = Reach(evaluator)
        self.purposes = Purposes(reach)
        self.access = DataAccess(reach, model_kinds(evaluator, owner_fields))
        self.auth = authentication
        self.middleware = MiddlewareAuthentication(authentication)
        self.injection = Injection(authentication)
        self.evidence = authentication.evidence
        self.graph = graph
        self.is_test = graph.is_test
        self.patterns = []
        for p in public_patterns:
            parsed = parse_public_pattern(p)
            if parsed is not None:
                self.patterns.append((parsed[0], parsed[1], p))
        self._handler_memo: Dict[Tuple, Any] = {}
        self.skipped: List[Tuple[str, int]] = []  # routes too deeply nested to analyse

    # -- handlers ------------------------------------------------------------------------
    def handler_of(self, fact: RouteFact, file: str) -> Tuple[str, str, Optional[FuncFact]]:
        """(qualified name, file, facts) of the function a route calls; the endpoint's text and
        no facts when it is not a project function."""
        if fact.handler:
            return self.E.qual(file, fact.handler), file, self.E.func(file, fact.handler)
        for o in self.E.ev(fact.endpoint, file):
            if o.kind == "func":
                return self.E.qual(o.path, o.name), o.path, self.E.func(o.path, o.name)
            if o.kind == "method" and o.path:
                return self.E.qual(o.path, o.name), o.path, self.E.func(o.path, o.name)
        text = fact.endpoint.text() if fact.endpoint is not None else "?"
        return text, file, None

    def class_params(self, fact: RouteFact, file: str) -> List[ParamFact]:
        """Class-level dependencies of a class-based view: a class decorated with a call that
        takes the router its methods are registered on (`@cbv(router)`, a project's own
        `@controller(router)`), or with fastapi-utils/fastapi-restful's `cbv`. Its attributes
        whose value or annotation is a dependency, including inherited ones, apply to every
        route of the class."""
        if not fact.cls:
            return []
        c = self.E.cls(file, fact.cls)
        if c is None:
            return []
        is_cbv = False
        for d in c.decorators:
            target = d.callee if d.k == "call" else d
            if any(o.kind == "ext" and o.name in K.CBV_DECORATORS for o in self.E.ev(target, file)):
                is_cbv = True
            elif d.k == "call" and any(o.kind == "router" for a in d.args for o in self.E.ev(a, file)):
                is_cbv = True
        if not is_cbv:
            return []
        out: Dict[str, ParamFact] = {}
        self._collect_class_attrs(file, fact.cls, out, 0)
        return list(out.values())

    def _collect_class_attrs(self, path: str, qual: str, out: Dict[str, ParamFact], depth: int) -> None:
        c = self.E.cls(path, qual)
        if c is None or depth > 10:
            return
        for name, ann, value in c.attrs:
            if name in out:
                continue
            if (value is not None and value.k == "dep") or (ann is not None and ann.k in ("ann", "ref", "opt")):
                out[name] = ParamFact(name=name, ann=ann, default=value)
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "class":
                    self._collect_class_attrs(bo.path, bo.name, out, depth + 1)

    def handler_analysis(self, fact: RouteFact, file: str, hfile: str, hfact: Optional[FuncFact], site: Tuple = ()):
        """What the handler itself brings, whatever the chain: the authentications of its
        parameters (and of a class-based view's attributes), of its body and its calls, and of
        `@requires`; what its dependencies were seen to call; hints; whether it takes the login
        form; whether it refuses a missing optional user. Memoised per handler."""
        key = (file, fact.handler or (fact.endpoint.text() if fact.endpoint else ""), fact.cls, site)
        if key in self._handler_memo:
            return self._handler_memo[key]
        applied: List[Applied] = []
        seen: List[Obj] = []
        hints: List[str] = []
        login = False
        enforced = False
        params: List[ParamFact] = []
        if hfact is not None:
            params = list(hfact.params)
            if (hfact.is_method or fact.cls) and params and params[0].name in ("self", "cls"):
                params = params[1:]
        class_params = self.class_params(fact, file)
        for p in params + class_params:
            a, labels = self.auth.param_auth(p, hfile, site)
            if a is None:
                a = self.injection.param_auth(p, hfile, hfact)
            if a is not None:
                where = f"class attribute `{p.name}`" if p in class_params else f"parameter `{p.name}`"
                applied.append(Applied(a, where, p.name))
                if a.optional and p.rejects_missing:
                    enforced = True
            else:
                seen.extend(labels)
                inside = [o for o in labels if o.kind in ("func", "class", "inst", "method")]
                factory = self.factory_hint(labels)
                if factory:
                    hints.append(factory)
                elif inside and len(inside) == len(labels) and _USERISH.search(p.name):
                    hints.append(f"parameter `{p.name}` is named like a user but "
                                 f"{', '.join('`%s`' % o.label() for o in inside[:2])} reads no credential and "
                                 "depends on no authenticating dependency")
            if self._login_form(p, hfile):
                login = True
        if hfact is not None:
            body = self.evidence.body_auth(hfact, hfile, params, role="handler")
            if body is not None:
                applied.append(Applied(Auth(self.E.qual(hfile, hfact.name), body), "the handler"))
            else:
                ca = self.auth.calls_auth(hfact, hfile) or configured_call(self.auth, self.purposes.reach, hfile, hfact)
                if ca is not None:
                    applied.append(Applied(ca, "a call in the handler"))
                else:
                    applied.extend(self._handler_gate(hfact, hfile, params, applied))
            for d in hfact.decorators:
                if d.k == "call":
                    for o in self.E.ev(d.callee, hfile):
                        if o.kind == "ext" and o.name in K.STARLETTE_REQUIRES:
                            applied.append(Applied(Auth(o.name, f"@requires({', '.join(a.text() for a in d.args)})"),
                                                   "decorator @requires"))
                wrapped = self.auth.refusal.wrapper_refusal(d, hfile)
                if wrapped is not None:
                    name = (d.callee if d.k == "call" else d).text()
                    applied.append(Applied(Auth(self.E.qual(hfile, hfact.name), f"@{name} ({wrapped})"),
                                           f"decorator @{name}"))
        res = (applied, seen, hints, login, enforced, params)
        self._handler_memo[key] = res
        return res

    def _handler_gate(self, hfact: FuncFact, hfile: str, params: List[ParamFact],
                      applied: List[Applied]) -> List[Applied]:
        """The handler's first action hands the credential (an optional user or key, a header
        parameter) to a helper that refuses it (`client = api_auth(api_key, db)`); or it verifies
        only in some environments (`if get_config("ENV") == "PROD": Authorize.jwt_required()`)."""
        qn = self.E.qual(hfile, hfact.name)
        names = {a.param for a in applied if a.param}
        creds = [p for p in params if p.name in names] + self.auth.refusal.credential_params(params, hfile)
        handed = self.auth.refusal.handed_on(hfact, hfile, hfact.name, creds)
        if handed is not None:
            return [Applied(Auth(qn, handed), "the handler")]
        gated = self.evidence.gated_auth(hfact, hfile, params)
        if gated is not None:
            return [Applied(Auth(qn, f"{gated} only when {hfact.env_gate}", optional=True, user=False,
                                 off_unless=hfact.env_gate), "the handler")]
        return []

    def _ignores_password(self, hfile: str, hfact: Optional[FuncFact]) -> bool:
        """A login form route issuing a token while no call gets the password, nor the whole form."""
        if hfact is None or any(p.passed and self._login_form(p, hfile) for p in hfact.params):
            return False
        d = self.purposes.reach.deeds(hfile, hfact)
        return d.has("issue") and not d.has("pw-verify", "pw-used", "pw-hash", "passkey-verify") and not d.opaque

    def _login_form(self, p: ParamFact, path: str) -> bool:
        """The parameter is the OAuth2 password form: the route is the login, public by design."""
        cands: List[V] = []
        ann = p.ann
        while ann is not None and ann.k in ("opt", "ann") and ann.a:
            if ann.k == "ann":
                for m in ann.a[1:]:
                    if m.k == "dep" and m.a:
                        cands.append(m.a[0])
            ann = ann.a[0]
        if ann is not None:
            cands.append(ann)
        if p.default is not None and p.default.k == "dep" and p.default.a:
            cands.append(p.default.a[0])
        for c in cands:
            for o in self.E.ev(c, path):
                if o.kind == "ext" and o.name in K.LOGIN_FORMS:
                    return True
                if o.kind == "class" and self.E.classes.kind(o.path, o.name)[3]:
                    return True
        return False

    def factory_hint(self, labels: List[Obj]) -> str:
        """`Depends(require_admin)` where `require_admin()` builds and returns the checker:
        FastAPI calls the factory and discards the checker it returns, which never runs."""
        for o in labels:
            f = self.E.func(o.path, o.name) if o.kind == "func" else None
            if f is None or any(p.default is None and not p.star for p in f.params):
                continue
            for r in f.returns:
                for ro in self.E.ev(r, o.path):
                    if ro.kind == "func" and ro.name.startswith(f.name + ".<locals>.") \
                            and self.auth.auth_of_func(ro.path, ro.name) is not None:
                        name = o.label()
                        return (f"`{name}` returns the authenticating dependency instead of being one: "
                                f"`Depends({name})` runs the factory and never the checker it returns; "
                                f"write `Depends({name}())`")
        return ""

    def missing_module(self, o: Obj) -> str:
        """The module of a name imported from the project's own package that no analysed file
        provides (`app.api.deps` of `app.api.deps.get_current_user` when `app/api/deps.py` is
        absent but `app/` is there); "" for names of installed packages and of present modules."""
        if o.kind != "ext":
            return ""
        parts = o.name.split(".")
        project = self.E.project
        if len(parts) < 2 or not project.is_package(parts[0]) or self.E.is_known_external(o.name):
            return ""
        present = 0
        for cut in range(len(parts) - 1, 0, -1):
            if project.module_path(".".join(parts[:cut])) is not None:
                present = cut
                break
        if present >= len(parts) - 1:
            return ""  # the module is there, the name is not
        return ".".join(parts[:present + 1])

    # -- build ---------------------------------------------------------------------------
    def build(self) -> List[LinkedRoute]:
        """Every route of production code (test files are left out), in file order."""
        self.graph.build()
        out: List[LinkedRoute] = []
        for file, facts in sorted(self.E.files.items()):
            if not facts.routes or self.is_test(file):
                continue
            for fact in facts.routes:
                try:
                    out.extend(self.build_route(fact, file, facts))
                except RecursionError:  # pathological nesting: skip this route, keep the run going
                    self.skipped.append((file, fact.line))
        return out

    def build_route(self, fact: RouteFact, file: str, facts: FileFacts) -> List[LinkedRoute]:
        """One declaration: for each router it is on (an unknown receiver in a FastAPI file stands
        for a router of its own), each chain serving it, each method."""
        out: List[LinkedRoute] = []
        receivers, other = self.graph.routers_of(fact.receiver, file)
        if not receivers:
            if other or not facts.uses_fastapi:
                return out
            label = fact.receiver.text()
            o = Obj("router", file, f"?{file}:{label}", extra="unknown")
            self.graph.infos.setdefault(o.name, RouterInfo(o.name, file, None, False, label))
            receivers = [o]
        for r in receivers:
            self.graph.note_router(r)
        hname, hfile, hfact = self.handler_of(fact, file)
        seen_paths: set = set()
        for site, site_receivers in self.generator_sites(fact, file) or [((), receivers)]:
            out.extend(self._build_site(fact, file, site, site_receivers, hname, hfile, hfact, seen_paths))
        return out

    def generator_sites(self, fact: RouteFact, file: str) -> List[Tuple[Tuple, List[Obj]]]:
        """A route a generator declares on the router it is handed (`def register_crud(router,
        dependencies): @router.delete(..., dependencies=dependencies)`): one (environment,
        routers) per call of the generator, so each router gets the dependencies its own call
        passes. [] when the receiver is not a parameter or the calls cannot be told apart."""
        rv = fact.receiver
        if rv.k != "loc":
            return []
        f = self.E.func(file, rv.s)
        if f is None or not any(p.name == rv.q for p in f.params) or any(k == rv.q for k, _ in f.local_values):
            return []
        sites = self.E.call_sites(file, rv.s)
        if not 1 < len(sites) <= 16:
            return []
        out = []
        for site in sites:
            if not any(k == rv.q for k, _ in site):
                return []  # this call's router is not known apart from the others'
            routers = [o for o in self.E.ev(rv, file, site) if o.kind == "router"]
            if routers:
                out.append((site, routers))
        return out if len(out) == len(sites) else []

    def _build_site(self, fact: RouteFact, file: str, site: Tuple, receivers: List[Obj], hname: str,
                    hfile: str, hfact: Optional[FuncFact], seen_paths: set) -> List[LinkedRoute]:
        out: List[LinkedRoute] = []
        for r in receivers:
            self.graph.note_router(r)
        applied_h, seen_h, hints, login, enforced, params = self.handler_analysis(fact, file, hfile, hfact, site)
        for r in receivers:
            for edges in self.graph.chains(r.name):
                chain = self.graph.chain_for(fact, file, r.name, edges)
                if site:
                    chain.deps = [(dv, dpath, where, site if dpath == file and where.startswith("the decorator")
                                   else denv) for dv, dpath, where, denv in chain.deps]
                applied = list(applied_h)
                if fact.kind == "starlette":  # FastAPI dependencies never run for these
                    applied = [a for a in applied_h if not a.param]
                seen = list(seen_h)
                verified_by_middleware = _authentication_backend(self.E)
                for target, mpath, where in chain.middleware:
                    a = self.middleware.middleware_auth(target, mpath)
                    if a is not None:
                        applied.append(Applied(a, where))
                        verified_by_middleware = True
                if fact.kind != "starlette":
                    for dv, dpath, where, denv in chain.deps:
                        auths, labels = self.auth.deps_auth(dv, dpath, denv)
                        if not verified_by_middleware:
                            # a bare scheme only requires the header; an authentication middleware
                            # that verifies a present credential (`AuthenticationMiddleware` and its
                            # backend) makes the pair an authentication
                            auths, hints = _without_bare_schemes(auths, where, hints)
                        for a in auths:
                            applied.append(Applied(a, where))
                        if not auths:
                            seen.extend(labels)
                            factory = self.factory_hint(labels)
                            if factory and factory not in hints:
                                hints = [factory] + hints
                for method in fact.methods:
                    if (method, chain.full_path) in seen_paths:
                        continue
                    seen_paths.add((method, chain.full_path))
                    lr = self.classify(fact, file, method, chain, hname, hfile, hfact, applied,
                                       seen, hints, login, enforced)
                    if site:
                        lr.generator = fact.receiver.s.replace(".<locals>", "")
                    out.append(lr)
        return out

    def classify(self, fact, file, method, chain, hname, hfile, hfact, applied, seen, hints, login, enforced) -> LinkedRoute:
        """Protected (a required authentication applies, or an optional one the handler
        enforces), optional, unprotected; or public by design when not protected."""
        public = None
        if fact.public is not None:
            public = fact.public or "marked `# fastauthlint: public`"
        else:
            matched = public_match(self.patterns, method, chain.full_path)
            if matched is not None:
                public = f"public-routes: {matched}"
            elif login and self._ignores_password(hfile, hfact):
                hints = [f"it takes the login form and issues a token, but the password is never checked or handed "
                         f"to anything: anyone gets a token for any username"] + hints
            elif login:
                public = "login form (OAuth2PasswordRequestForm)"
        applied, hints = _exempted(applied, method, chain.full_path, hints)
        required = [a for a in applied if not a.auth.optional]
        optional = [a for a in applied if a.auth.optional]
        unchecked = False
        if optional and not required and hfact is not None:
            names = {a.param for a in optional if a.param and a.auth.user}
            unchecked = any(p.name in names and p.deref_line and not p.checked for p in hfact.params)
        if required or (optional and enforced):
            status = "protected"
        elif optional:
            # Dereferencing the optional user is FAL102's finding; the route then fails for
            # anonymous requests rather than serving them.
            status = "optional-unchecked" if unchecked else "optional"
        else:
            status = "unprotected"
        purpose = guard = risk = None
        if status in ("unprotected", "optional") and public is None and hfact is not None:
            # what the handler does may make it public by purpose, or guard it without a user
            judged = self.purposes.judge(method, chain.full_path, hfile, hfact)
            if judged is not None and judged.kind == "purpose":
                purpose = judged
                if self.infer_public:
                    public = judged.label
            elif judged is not None:
                guard = judged
                status = "guarded"
        elif status == "unprotected" and public is None and hfact is None and hname in METRICS_HANDLERS:
            # a library's own scrape endpoint (`app.add_route("/metrics", handle_metrics)`)
            purpose = Judgement("purpose", "metrics", "serves the process's Prometheus metrics (a library handler)")
            if self.infer_public:
                public = purpose.label
        if status == "protected" and public is None and hfact is not None and all(
                a.where in ("the handler", "a call in the handler") for a in required):
            # the handler is itself the authenticator (a login checking a password, an OAuth
            # callback exchanging a code): what it does tells which (the ownership walk asks)
            judged = self.purposes.judge(method, chain.full_path, hfile, hfact)
            if judged is not None and judged.kind == "purpose":
                purpose = judged
        if public is not None and status != "protected":
            status = "public"
        if status in ("unprotected", "optional"):
            risk = self.access.risk(method, hfile, hfact, optional=status == "optional" and _uses_optional(hfact, optional))
        missing = lookalike = ""
        if status == "unprotected":
            missing = next((m for m in (self.missing_module(o) for o in seen) if m), "")
            if hfact is not None and purpose is None:
                lookalike = self.purposes.lookalike(method, hfile, hfact) or ""
        return LinkedRoute(fact=fact, file=file, method=method, path=chain.full_path, handler=hname,
                           handler_file=hfile, handler_fact=hfact, applied=applied, public=public, status=status,
                           chain=chain, seen=list(dict.fromkeys(seen)), hints=hints, enforced_in_handler=enforced,
                           optional_unchecked=unchecked, purpose=purpose, guard=guard, risk=risk, missing=missing,
                           lookalike=lookalike)


def _exempted(applied: List[Applied], method: str, path: str, hints: List[str]) -> Tuple[List[Applied], List[str]]:
    """What applies to one method and path: an authentication that lets this path through
    (a middleware's allow-list, a dependency's exclusion list) does not protect it."""
    out: List[Applied] = []
    for a in applied:
        entry = exempt_match(a.auth.exempt, method, path) if a.auth.exempt else None
        if entry is None and (a.auth.allow_re or a.auth.only_re):
            entry = regex_exempt(a.auth, path)
        if entry is None:
            out.append(a)
        else:
            hints = [f"{a.where} lets `{entry}` through without a credential ({a.auth.text})"] + hints
    return out, hints


def _uses_optional(hfact: FuncFact, optional: List[Applied]) -> bool:
    """The handler works with the optional user (tests it, hands it on): written for both
    kinds of caller. One it never looks at is a dependency that lets failures through."""
    names = {a.param for a in optional if a.param}
    return any(p.name in names and (p.checked or p.passed) for p in hfact.params)



def _authentication_backend(evaluator: Evaluator) -> bool:
    """Does the project define a Starlette authentication backend (`class JwtAuth(AuthenticationBackend)`,
    installed with `AuthenticationMiddleware`)? It verifies the credential a request presents, so a
    bare scheme that requires the header is an authentication with it (memoised per evaluator)."""
    memo = evaluator.__dict__.get("_auth_backend_memo")
    if memo is None:
        memo = any(isinstance(b.q, str) and b.q.endswith("AuthenticationBackend")
                   for path, facts in evaluator.files.items() for c in facts.classes.values() for b in c.bases)
        evaluator.__dict__["_auth_backend_memo"] = memo
    return memo


def _without_bare_schemes(auths: List[Auth], where: str, hints: List[str]) -> Tuple[List[Auth], List[str]]:
    """`dependencies=[Depends(HTTPBearer())]`: the header must be there, but the token is dropped
    and nothing verifies it (any `Bearer x` passes): no authentication, and a hint says so."""
    bare = [a for a in auths if a.scheme_only]
    if not bare:
        return auths, hints
    note = (f"{where}: `{short_name(bare[0].name)}` only requires the header to be present; its token is "
            "discarded and nothing verifies it")
    return [a for a in auths if not a.scheme_only], hints + ([note] if note not in hints else [])


# -- the public answer -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    method: str  # "GET", ..., "WEBSOCKET"; api_route with several methods gives one Route per method
    path: str  # full path with every router/include prefix
    handler: str  # qualified name "<module>.<func>" or "<module>.<Class>.<method>"
    handler_file: str  # absolute POSIX path of the file defining the handler function
    file: str  # absolute POSIX path of the decorator / add_api_route call
    line: int  # its line
    auth: Optional[str]  # how it is protected (human text), None when it is not
    public: Optional[str]  # reason when public by design, else None
    auth_dependencies: Tuple[str, ...]  # qualified names of the authenticating dependencies that apply
    user_params: Tuple[str, ...]  # handler parameter names whose value is the authenticated user
    optional_user_params: Tuple[str, ...]  # those that may be None (FAL102)
    admin_only: bool  # an applying dependency restricts to superusers/admins
    # -- beyond the contract --
    optional_auth: Optional[str] = None  # authentication that applies but may let anonymous requests in
    column: int = 1
    kind: str = "api"  # "api" | "ws" | "starlette"
    routers: Tuple[str, ...] = ()  # the router, then each router/app it is included into
    orphan: bool = False  # its router is included nowhere in the analysed code
    purpose: Optional[str] = None  # what its handler is for, when that makes it public ("login", "health")
    # protection that is not a user: "capability (`share_token` verified)", "signature (Stripe webhook
    # signature)"; `auth` stays None (no user), so families that need one leave these routes alone
    guard: Optional[str] = None
    risk: Optional[str] = None  # an unprotected route that matters less: why it is info
    missing_module: str = ""  # its dependencies come from a module of the project absent from the analysed code
    # a handler that authenticates the caller itself and whose deeds earn a purpose ("login",
    # "oauth callback"): it looks up the identity it is logging in, by the credential presented
    authenticates: Optional[str] = None


_LINKED_KEY = "routes:linked"


def linked_routes(project) -> List[LinkedRoute]:
    """Every route with the reasoning behind its status (memoised per run)."""

    def compute():
        config = project.config
        evaluator = Evaluator(project)
        authentication = Authentication(evaluator, Evidence(evaluator), config.option("auth-dependencies"))

        def is_test(path: str) -> bool:
            res = project.results.get(path)
            return is_test_path(res.rel if res is not None else path)

        graph = RouterGraph(evaluator, is_test)
        table = TableBuilder(evaluator, authentication, graph, config.option("public-routes"),
                             infer_public=config.option("infer-public"),
                             owner_fields=list(config.option("owner-fields")) + list(config.option("tenant-fields"))).build()
        by_site: Dict[Tuple[str, int], list] = {}
        for lr in table:
            by_site.setdefault((lr.file, lr.fact.line), []).append(lr)
        for group in by_site.values():
            for lr in group:
                lr.siblings = group
        return table

    return project.memo(_LINKED_KEY, compute)


def _auth_text(lr: LinkedRoute) -> Optional[str]:
    if lr.status != "protected":
        return None
    req = lr.required
    if not req and lr.enforced_in_handler:
        a = lr.optional[0]
        return f"{a.where}: {a.auth.text} (optional, enforced in the handler)"
    texts = []
    for a in req:
        t = f"{a.where}: {a.auth.text}"
        if t not in texts:
            texts.append(t)
    return "; ".join(texts[:3])


def route_table(project) -> List[Route]:
    """Every route of the project with its full path and how it is protected (memoised)."""

    def compute() -> List[Route]:
        out = []
        for lr in linked_routes(project):
            applying = lr.applied
            req = lr.required
            user_params = tuple(dict.fromkeys(a.param for a in applying if a.param and a.auth.user))
            optional_params = tuple(dict.fromkeys(a.param for a in applying if a.param and a.auth.user and a.auth.optional))
            optional_text = None
            if lr.optional and lr.status != "protected":
                optional_text = "; ".join(f"{a.where}: {a.auth.text}" for a in lr.optional[:2])
            out.append(Route(
                method=lr.method, path=lr.path, handler=lr.handler, handler_file=lr.handler_file, file=lr.file,
                line=lr.fact.line, auth=_auth_text(lr), public=lr.public,
                auth_dependencies=tuple(dict.fromkeys(a.auth.name for a in applying)),
                user_params=user_params, optional_user_params=optional_params,
                admin_only=any(a.auth.admin for a in req), optional_auth=optional_text, column=lr.fact.column,
                kind=lr.fact.kind, routers=tuple(lr.chain.routers), orphan=lr.chain.orphan,
                purpose=lr.purpose.label if lr.purpose is not None and lr.status == "public" else None,
                guard=lr.guard.text() if lr.guard is not None else None,
                risk=lr.risk.reason if lr.risk is not None and lr.risk.severity == "info" else None,
                missing_module=lr.missing,
                authenticates=lr.purpose.label if lr.purpose is not None and lr.status == "protected" else None,
            ))
        return out

    return project.memo("routes", compute)


def websocket_only_dependencies(project) -> frozenset:
    """Qualified names of the authenticating dependencies that only WebSocket routes apply: what
    they raise refuses the handshake (no client reads an HTTP status), and a credential they read
    from the query string is the only one a browser can send there."""

    def compute() -> frozenset:
        kinds: Dict[str, set] = {}
        for r in route_table(project):
            for dep in r.auth_dependencies:
                kinds.setdefault(dep, set()).add(r.kind)
        return frozenset(dep for dep, k in kinds.items() if k == {"ws"})

    return project.memo("websocket-only-dependencies", compute)
