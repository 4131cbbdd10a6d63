"""Which dependencies authenticate, and who the authenticated principal is.

`Authentication.auth_of(obj)` judges anything a route may depend on — a project function (through
its parameters' dependencies, the evidence in its body, the authenticating functions it calls), a
class or instance (its `__init__` or `__call__`), a security scheme, a library factory's result,
an Annotated alias, a Depends marker — and answers an `Auth`: whether it may let anonymous
requests in (optional), restricts to admins, and whether its value is the authenticated user.
The route table builds on it (which routes are protected, which handler parameters hold the
user: what the ownership family asks when it judges whose rows a query returns). The evidence a
function's code shows is evidence.py's. Memoised per object; a dependency cycle answers None
along the cycle.
"""

from __future__ import annotations

import dataclasses

import fnmatch
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.evaluate import ADMIN_ARG, Evaluator, Obj, admin_arg, factory_for
from fastauthlint.project.evidence import Evidence
from fastauthlint.project.facts import FuncFact, ParamFact
from fastauthlint.project.refusal import Refusal
from fastauthlint.project.values import V, short_name


@dataclass(frozen=True)
class Auth:
    """An authentication a dependency brings."""

    name: str  # qualified name of the authenticating dependency
    text: str  # how, for people
    optional: bool = False
    admin: bool = False
    user: bool = True  # its value is the authenticated principal (not a raw token)
    # optional only in some states of the instance it is called on: (attribute, state) pairs
    # (`auto_error` "falsy", an exclusion list "truthy"), decided per instance
    cond: Tuple[Tuple[str, str], ...] = ()
    # "METHODS path" entries of the paths it lets through without a credential (an exclusion
    # list, a middleware's allow-list): routes matching one are not protected by it
    exempt: Tuple[str, ...] = ()
    off_unless: str = ""  # authentication runs only when the environment says so ("ENV is PROD")
    # regular expressions of paths it lets through (a middleware's `PUBLIC.match(path)`), and
    # when not empty, the only paths it guards (`if PRIVATE.match(path): refuse`, others pass)
    allow_re: Tuple[str, ...] = ()
    only_re: Tuple[str, ...] = ()
    # a bare security scheme (`HTTPBearer()`, `OAuth2PasswordBearer(...)`): it only requires the
    # header; in a `dependencies=[...]` list its value is discarded and nothing verifies the token
    scheme_only: bool = False


class Authentication:
    def __init__(self, evaluator: Evaluator, evidence: Evidence, auth_dependencies: Sequence[str] = ()):
        self.E = evaluator
        self.evidence = evidence
        self.refusal = Refusal(evaluator, evidence)
        self.auth_patterns = [p.strip() for p in auth_dependencies if p.strip()]
        self._auth_memo: Dict[Any, Optional[Auth]] = {}
        self._auth_stack: set = set()

    def configured(self, qualname: str) -> bool:
        """Listed in `auth-dependencies`: the qualified name, a dotted suffix of it, or a glob."""
        for pat in self.auth_patterns:
            if qualname == pat or qualname.endswith("." + pat):
                return True
            if any(ch in pat for ch in "*?[") and (fnmatch.fnmatchcase(qualname, pat)
                                                  or fnmatch.fnmatchcase(qualname, "*." + pat)):
                return True
        return False

    # -- objects -------------------------------------------------------------------------------
    def obj_qualname(self, o: Obj) -> str:
        if o.kind in ("func", "class", "inst"):
            return self.E.qual(o.path, o.name)
        if o.kind in ("ext", "extinst"):
            return o.name
        if o.kind == "method" and o.base is not None:
            return f"{self.obj_qualname(o.base)}.{o.extra}"
        return o.name

    def _memo_auth(self, key: Any, compute: Callable[[], Optional[Auth]]) -> Optional[Auth]:
        """`compute()` once per key; None while it is being computed (a dependency cycle)."""
        if key in self._auth_memo:
            return self._auth_memo[key]
        if key in self._auth_stack:
            return None
        self._auth_stack.add(key)
        try:
            res = compute()
        finally:
            self._auth_stack.discard(key)
        self._auth_memo[key] = res
        return res

    def auth_of(self, o: Obj) -> Optional[Auth]:
        """What anything a route may depend on brings (see the module's docstring)."""
        return self._memo_auth(o, lambda: self._auth_of(o))

    def _auth_of(self, o: Obj) -> Optional[Auth]:
        qn = self.obj_qualname(o)
        if qn and self.configured(qn):
            return Auth(qn, f"{short_name(qn)} (configured in auth-dependencies)",
                        admin=bool(K.ADMIN_WORDS.search(short_name(qn))))
        if o.kind == "func":
            a = self.auth_of_func(o.path, o.name)
            if a is not None and not a.admin and any(k == ADMIN_ARG for k, _ in o.env):
                # `require_admin = require_role("admin")`: the closure of a factory given an
                # administrator role admits administrators only
                a = dataclasses.replace(a, admin=True)
            return a
        if o.kind == "dep":
            return self.auth_of_dep(o.v, o.path, o.env)
        if o.kind == "class":
            is_router, _, is_scheme, is_form = self.E.classes.kind(o.path, o.name)
            if is_scheme:
                return Auth(qn, f"{short_name(o.name)} (security scheme)", user=False, scheme_only=True)
            init = f"{o.name}.__init__"
            if self.E.func(o.path, init) is not None:
                a = self.auth_of_func(o.path, init, bound=True)
                if a is not None:
                    return Auth(qn, f"{short_name(o.name)} → {a.text}", a.optional, a.admin, True)
            return None
        if o.kind == "inst":
            _, _, is_scheme, _ = self.E.classes.kind(o.path, o.name)
            admin_args = self._admin_args(o.v)
            member = self.E.classes.member(o.path, o.name, "__call__")
            if member is not None and member[0] == "method":
                a = self.auth_of_func(member[1], member[2], bound=True)
                if a is not None:
                    a = self.for_instance(a, o)
                    return Auth(qn, f"{short_name(o.name)}(…) → {a.text}" if a.text else short_name(o.name),
                                a.optional or self._auto_error_false(o), a.admin or admin_args, True,
                                exempt=a.exempt, off_unless=a.off_unless)
            if is_scheme:
                return Auth(qn, f"{short_name(o.name)} (security scheme)", optional=self._auto_error_false(o),
                            admin=admin_args, user=member is not None, scheme_only=member is None)
            return None
        if o.kind == "extinst":
            if K.is_scheme_class(o.name):
                return Auth(o.name, f"{short_name(o.name)} (security scheme)",
                            optional=self._auto_error_false(o), user=False, scheme_only=True)
            if K.is_auth_library_class(o.name):
                return Auth(o.name, short_name(o.name), optional=self._auto_error_false(o),
                            admin=self._admin_args(o.v))
            return None
        if o.kind == "authdep":
            return Auth(o.name, o.name, optional=o.extra[:1] == "1", admin=o.extra[1:2] == "1")
        if o.kind == "method":
            base = o.base
            if base is not None and base.kind == "extinst":
                fac = factory_for(base.name, o.extra)
                if fac is not None and not fac.call:
                    return Auth(qn, fac.text, optional=fac.optional)
                if K.is_auth_library_class(base.name) and o.extra in ("optional",):
                    return Auth(qn, f"{short_name(base.name)}.{o.extra}", optional=True)
                return None
            if base is not None and base.kind == "inst" and o.path:
                a = self.auth_of_func(o.path, o.name, bound=True)
                if a is not None:
                    a = self.for_instance(a, base)
                    return Auth(qn, a.text, a.optional, a.admin, a.user, exempt=a.exempt, off_unless=a.off_unless)
            return None
        if o.kind == "alias":
            return self.auth_of_annotation(o.v, o.path, o.env)
        return None

    def for_instance(self, a: Auth, inst: Obj) -> Auth:
        """A method's authentication as this instance runs it: optional only in states of the
        instance's attributes (`a.cond`) that its constructor call rules out is required (with
        the paths of the exclusion list it was given, if any)."""
        if not (a.optional and a.cond) or self._auto_error_false(inst):
            return a
        exempt = self.refusal.resolve(inst, a.cond)
        if exempt is None:
            attr, want = a.cond[0]
            why = ("admitting anonymous requests" if want == "anon" else
                   f"returning None when `{attr}` is {'set' if want == 'truthy' else 'off'}")
            return Auth(a.name, f"{a.text}, {why}", True, a.admin, a.user, cond=a.cond, off_unless=a.off_unless)
        return Auth(a.name, a.text, False, a.admin, a.user, exempt=exempt, off_unless=a.off_unless)

    def _auto_error_false(self, o: Obj) -> bool:
        """A scheme built with `auto_error=False`: it lets requests without credentials in."""
        if o.v is None or o.v.k != "call":
            return False
        a = o.v.kwarg("auto_error")
        return a is not None and a.k == "lit" and a.lit is False

    @staticmethod
    def _admin_args(call: Optional[V]) -> bool:
        """An admin-ish string among the arguments (`RoleChecker(["admin"])`, admin scopes)."""
        if call is None:
            return False

        def walk(v: V) -> bool:
            if admin_arg(v):
                return True
            return any(walk(x) for x in v.a) or any(walk(x) for _, x in v.kw)
        return walk(call)

    # -- markers and annotations ---------------------------------------------------------------
    def dep_targets(self, dep: V, path: str, env: Tuple, annotation: Optional[V] = None) -> List[Obj]:
        """What a Depends()/Security() calls: its argument, or the annotated class for `Depends()`."""
        if dep.a:
            return self.E.ev(dep.a[0], path, env)
        if annotation is not None:
            base = annotation
            while base.k in ("opt", "ann") and base.a:
                base = base.a[0]
            return self.E.ev(base, path, env)
        return []

    def auth_of_dep(self, dep: Optional[V], path: str, env: Tuple, annotation: Optional[V] = None) -> Optional[Auth]:
        if dep is None or dep.k != "dep":
            return None
        best: Optional[Auth] = None
        for t in self.dep_targets(dep, path, env, annotation):
            a = self.auth_of(t)
            if a is not None and (best is None or (best.optional and not a.optional)):
                best = a
        if best is not None and dep.q == "Security":
            scopes = dep.kwarg("scopes")
            if scopes is not None and self._admin_args(scopes):
                best = Auth(best.name, f"{best.text} with admin scopes", best.optional, True, best.user)
        if best is not None and not best.optional and dep.a and self.refusal.admits_anonymous(dep.a[0], path):
            # `Authenticator(allowed_subjects={User, Anonymous})`: anonymous requests pass
            best = Auth(best.name, f"{best.text}, admitting anonymous requests", True, best.admin, best.user)
        return best

    def auth_of_annotation(self, ann: Optional[V], path: str, env: Tuple = (), depth: int = 0) -> Optional[Auth]:
        """An annotation carrying a dependency: `Annotated[User, Depends(f)]`, an alias of one
        (imported, re-exported), or `Optional[...]` of those."""
        if ann is None or depth > 8:
            return None
        if ann.k == "opt":
            return self.auth_of_annotation(ann.a[0], path, env, depth + 1) if ann.a else None
        if ann.k == "ann":
            best = None
            base = ann.a[0] if ann.a else None
            for m in ann.a[1:]:
                for mo in ([Obj("dep", path, v=m, env=env)] if m.k == "dep" else self.E.ev(m, path, env)):
                    a = self.auth_of_dep(mo.v, mo.path, mo.env, base) if mo.kind == "dep" else None
                    if a is not None and (best is None or (best.optional and not a.optional)):
                        best = a
            if best is None and base is not None and base.k in ("ref", "loc", "ann", "opt"):
                best = self.auth_of_annotation(base, path, env, depth + 1)
            return best
        if ann.k in ("ref", "loc", "attr"):
            for o in self.E.ev(ann, path, env):
                if o.kind == "alias":
                    a = self.auth_of_annotation(o.v, o.path, o.env, depth + 1)
                    if a is not None:
                        return a
        return None

    def param_auth(self, p: ParamFact, path: str, env: Tuple = ()) -> Tuple[Optional[Auth], List[Obj]]:
        """The authentication a parameter brings, and the dependencies it was seen to use (`env`:
        what the call of a generator declaring the handler binds)."""
        seen: List[Obj] = []
        best: Optional[Auth] = None

        def consider(a: Optional[Auth]):
            nonlocal best
            if a is not None and (best is None or (best.optional and not a.optional)):
                best = a

        d = p.default
        if d is not None:
            if d.k == "dep":
                consider(self.auth_of_dep(d, path, env, p.ann))
                seen.extend(self._dep_labels(d, path, p.ann, env))
            elif d.k in ("ref", "loc", "attr", "call"):
                for o in self.E.ev(d, path, env):
                    if o.kind == "dep":
                        consider(self.auth_of_dep(o.v, o.path, o.env, p.ann))
                        seen.extend(self._dep_labels(o.v, o.path, p.ann))
        if p.ann is not None:
            a = self.auth_of_annotation(p.ann, path)
            consider(a)
            if a is None:
                seen.extend(self._ann_dep_labels(p.ann, path))
        return best, seen

    def _dep_labels(self, dep: Optional[V], path: str, ann: Optional[V], env: Tuple = ()) -> List[Obj]:
        if dep is None or dep.k != "dep":
            return []
        return list(self.dep_targets(dep, path, env, ann))

    def _ann_dep_labels(self, ann: V, path: str, depth: int = 0) -> List[Obj]:
        if depth > 6:
            return []
        if ann.k == "opt" and ann.a:
            return self._ann_dep_labels(ann.a[0], path, depth + 1)
        if ann.k == "ann":
            out = []
            for m in ann.a[1:]:
                if m.k == "dep":
                    out.extend(self._dep_labels(m, path, ann.a[0] if ann.a else None))
            return out
        if ann.k in ("ref", "loc", "attr"):
            out = []
            for o in self.E.ev(ann, path):
                if o.kind == "alias" and o.v is not None:
                    out.extend(self._ann_dep_labels(o.v, o.path, depth + 1))
            return out
        return []

    # -- functions -----------------------------------------------------------------------------
    def auth_of_func(self, path: str, qual: str, bound: bool = False) -> Optional[Auth]:
        """A project function as a dependency: through the dependencies of its parameters, the
        base class method it delegates to, the evidence in its body and the authenticating
        functions it calls; optional when it may return None for anonymous requests."""
        return self._memo_auth(("func", path, qual, bound), lambda: self._auth_of_func(path, qual, bound))

    def _auth_of_func(self, path: str, qual: str, bound: bool) -> Optional[Auth]:
        f = self.E.func(path, qual)
        if f is None:
            return None
        qn = self.E.qual(path, qual)
        label = short_name(qual.replace(".<locals>", ""))
        if qual.endswith(".__call__") or qual.endswith(".__init__"):
            label = ""
        if self.configured(qn):
            return Auth(qn, f"{label or qn} (configured in auth-dependencies)")
        params = list(f.params)
        if (f.is_method or bound) and params and params[0].name in ("self", "cls"):
            params = params[1:]
        subs: List[Tuple[Optional[ParamFact], Auth]] = []
        for p in params:
            a, _ = self.param_auth(p, path)
            if a is not None:
                subs.append((p, a))
        method = qual.rsplit(".", 1)[-1]
        if f.is_method and method in f.super_calls:
            # `return await super().__call__(request)`: what the base class method does
            base = self.E.classes.base_method(path, qual.rsplit(".", 1)[0], method)
            if base is not None:
                a = self.auth_of_func(base[0], base[1], bound=True)
                if a is not None:
                    subs.append((None, a))
        body = self.evidence.body_auth(f, path, params)
        calls = self.calls_auth(f, path)
        required = [a for _, a in subs if not a.optional]
        if body is None and calls is None and not required:
            body = self.refusal.handed_on(
                f, path, qual, [p for p, _ in subs if p is not None] + self.refusal.credential_params(params, path))
        if body is None and calls is None and not subs:
            body = self.refusal.calls_refuser(f, path)
        gated = self.evidence.gated_auth(f, path, params) if body is None and calls is None else None
        if not subs and body is None and calls is None and gated is None:
            return None
        rejects = f.raises or self.evidence.raises_reject(f, path)
        off_unless = ""
        user = True
        if required:
            optional = False
            via = required[0]
        elif body is not None or calls is not None:
            optional = f.returns_none
            via = None
        elif gated is not None:
            # `if get_config("ENV", "DEV") == "PROD": Authorize.jwt_required()`: off by default
            optional, via, off_unless = True, None, f.env_gate
            body = f"{gated} only when {f.env_gate}"
        else:
            checked = any(p is not None and p.checked for p, a in subs)
            optional = not (checked and rejects) or f.returns_none
            via = subs[0][1]
            if optional and _promises_a_value(f, {p.name for p, _ in subs if p is not None}):
                if self.refusal.rejects_through(f, path):
                    # `-> WalletTypeInfo` built by a checker that raises without a key: the
                    # optional scheme only lets the function do its own rejecting.
                    optional = False
                else:
                    # a parser that never refuses (`-> Caller` from an identity header): optional,
                    # and never None, so its value is no verified user to check for None
                    user = False
            off_unless = via.off_unless if optional else ""
        cond: Tuple[Tuple[str, str], ...] = ()
        exempt: Tuple[str, ...] = ()
        if not optional and not required and f.none_guards == (("", "path"),):
            exempt = _allow_list(self.refusal, f, path)  # `if request.url.path in NO_CHECK: return`
            optional = not exempt
        elif not optional and not required and f.none_guards:
            # `return None` only with `auto_error` off or for an exclusion list: per instance
            optional, cond = True, f.none_guards
        admin = f.admin_check or bool(K.ADMIN_WORDS.search(label)) or any(a.admin for _, a in subs)
        if via is not None:
            exempt = exempt or via.exempt  # the paths the wrapped dependency lets through
            text = f"{label} → {via.text}" if label else via.text
        elif body is not None:
            text = f"{label} ({body})" if label else body
        else:
            text = f"{label} → {calls.text}" if label else calls.text
        if "auth-switch" in f.actions and not optional:  # `if not settings.AUTH_ENABLED: return None`
            text += " [unless authentication is switched off for the deployment]"
        return Auth(qn, text, optional, admin, user, cond=cond, exempt=exempt, off_unless=off_unless)

    def calls_auth(self, f: FuncFact, path: str) -> Optional[Auth]:
        """A direct call to a function that authenticates the request itself
        (`user = get_current_user(request)`)."""
        if not f.passes_names:
            return None
        # only calls handed a parameter or something read from one: a token the function just
        # minted (`decode_token(refresh_token)` after `create_refresh_token`) is not the request's
        for c in f.cred_fed:
            for o in self.E.ev(c, path):
                # a function, or a method of an object the project built (`request.app.state.auth
                # .authenticate(request)`, the object that installed itself on the app)
                if o.kind in ("func", "method") and o.path and (o.path, o.name) != (path, f.name):
                    g = self.E.func(o.path, o.name)
                    if g is None:
                        continue
                    body = self.evidence.body_auth(g, o.path, g.params, role="callee")
                    if body is None:
                        # `return await authenticate(token)`: a function that verifies what it is
                        # handed (or hands it to a lookup) and rejects with 401, called with the credential
                        body = self.evidence.body_auth(g, o.path, g.params, role="dependency")
                        if body is not None and not (self.evidence.raises_reject(g, o.path) == 401 and (
                                g.decodes or self.evidence.decodes(o.path, o.name) or _hands_on(f, o.name, g))):
                            body = None
                    # a None it returns says "anonymous", unless None is all it can return: a gate
                    # (`async def admin_required(...) -> None`) that refuses, or returns
                    gate = g.returns_ann is not None and g.returns_ann.k == "lit" and g.returns_ann.lit is None
                    if body is not None and (not g.returns_none or gate):
                        return Auth(self.E.qual(o.path, o.name), f"{short_name(o.name)} ({body})")
        return None

    # -- dependencies lists ------------------------------------------------------------------
    def deps_auth(self, deps: Optional[V], path: str, env: Tuple = ()) -> Tuple[List[Auth], List[Obj]]:
        """Authentications in a `dependencies=[...]` value, and what all its entries call."""
        if deps is None:
            return [], []
        if deps.k == "loc":
            # a factory's `dependencies` parameter (`def make_routes(router, dependencies)`): one
            # list per call site, and the routes are protected only when every one authenticates
            sites = [o for o in self.E.ev(deps, path, env) if o.kind == "list" and o.v is not None]
            if len(sites) > 1:
                per_site = [self.deps_auth(o.v, o.path, o.env) for o in sites]
                if all(a for a, _ in per_site):
                    return per_site[0][0], [lab for _, labs in per_site for lab in labs]
                # what the call sites without authentication pass
                return [], [lab for a, labs in per_site if not a for lab in labs]
        auths: List[Auth] = []
        labels: List[Obj] = []
        for item, ipath, ienv in self.E.iter_items(deps, path, env):
            objs = [Obj("dep", ipath, v=item, env=ienv)] if item.k == "dep" else self.E.ev(item, ipath, ienv)
            for o in objs:
                if o.kind == "dep":
                    a = self.auth_of_dep(o.v, o.path, o.env)
                    labels.extend(self.dep_targets(o.v, o.path, o.env))
                else:
                    a = self.auth_of(o)
                    labels.append(o)
                if a is not None:
                    auths.append(a)
        return auths, labels


def _hands_on(f: FuncFact, callee: str, g: FuncFact) -> bool:
    """The callee hands what it was given to a lookup (`user = validate_session(db, token)`, then
    401), the caller having read a credential from the request (a cookie, a header; not any
    parameter: `check_permission(db=db)` is no sign-in), called where a failure stops the request:
    not inside a `try` whose `except` lets it go on (`try: user_id = verify_token(auth) except
    HTTPException: pass` is optional identification)."""
    return bool(g.cred_fed) and any(r != "user" for r in f.reads) \
        and f"swallow:{short_name(callee).lstrip('_').lower()}" not in f.actions


def _promises_a_value(f: FuncFact, optional_params) -> bool:
    """The function's return annotation is a concrete type (not Optional, not `X | None`, not
    Any), it never returns None, and it does not hand back one of its optional credentials as is:
    whatever it returns was obtained some other way, so it rejects the request itself."""
    ann = f.returns_ann
    # `-> dict` (claims, a record); never `-> str`: the credential itself handed back checked for presence
    builtin = ann is not None and ann.k == "unk" and ann.q == "dict"
    if ann is None or f.returns_none or (ann.k not in ("ref", "loc", "attr", "def") and not builtin):
        return False
    if ann.q in ("typing.Any", "object", "Any", "typing.Optional", "None"):
        return False
    for r in f.returns:
        if r.k == "loc" and r.q in optional_params:
            return False
    return bool(f.returns)


def _allow_list(refusal, f: FuncFact, path: str) -> Tuple[str, ...]:
    """The paths a dependency returns None for (required on every other path); empty when the
    list cannot be read (then it is optional)."""
    entries, unread = refusal.path_entries(f, path)
    return entries if entries and not unread else ()
