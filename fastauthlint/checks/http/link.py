"""FAL601's linking step: what the rest of the project shows about the 401s the files recorded.

- A 401 in a top-level function (or a module-level exception constant) that nothing in the project
  refers to never runs; one referred to only from WebSocket handlers never becomes an HTTP answer.
  References are the imports of it and the dotted uses through an imported module
  (`adapters.retrieve_user`), tests included; a module star-imported anywhere counts as used.
- `if not user: raise HTTPException(401)` where `user` comes from a dependency whose every return
  is a value that cannot be falsy, or one the project model says refuses a request without a
  credential itself (it raises its own 401, or is a security scheme with `auto_error`; an optional
  chain that returns None keeps the finding): the branch never runs.
- `if request.state.user_id is None: raise HTTPException(401)` where every function of the project
  (tests aside) that sets that attribute of the request's state refuses the requests it cannot
  authenticate: the state is missing only where no authentication ran, a route FAL101 judges; the
  401 answers no credential.
- An exception handler registered for 401s (or for HTTPException) that answers with a challenge
  or renders a page: every raised 401 goes through it.
- The scheme a finding names, when its function and file name none: the one the project's
  security classes use, else `Bearer`.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

from fastauthlint.checks.http import cookies, cors_wildcard_with_credentials, dropped, misdirected, schemes
from fastauthlint.checks.http.facts import HttpFacts
from fastauthlint.checks.http.unauthorized_without_www_authenticate import RULE, message
from fastauthlint.context import is_test_path
from fastauthlint.findings import Finding, Severity, Span
from fastauthlint.project.values import V


def link(project, check_name: str) -> List[Finding]:
    files: Dict[str, HttpFacts] = dict(project.facts(check_name))
    found = [(path, u) for path, f in files.items() for u in f.unauthorized]
    helpers = [(path, c) for path, f in files.items() for c in f.cors]
    if not found and not helpers and not any(f.dropping for f in files.values()):
        return []
    refs = _References(project, files)
    ambient = any(f.ambient for path, f in files.items() if not _is_test(project, path))
    out: List[Finding] = [
        Finding(rule=cors_wildcard_with_credentials.RULE, path=path, span=Span(*span),
                message=text if ambient else text + cors_wildcard_with_credentials.NO_AMBIENT_NOTE,
                severity=None if ambient else Severity.WARNING)
        for path, (span, text, holder) in helpers if not holder or refs.runs(path, holder)]
    answered = _answering_handlers(project, files)
    # cookies are the only credential: a 401 nothing ties to a scheme answers a browser session, where
    # `WWW-Authenticate` would name no scheme the client uses (and would open a login dialog)
    app_files = [f for path, f in files.items() if not _is_test(project, path)]
    cookie_only = any(f.reads_cookie for f in app_files) and not any(f.header_credential for f in app_files)
    # a handler dropping the headers of every HTTPException, in a project that answers 401s or uses a scheme
    drops = [] if answered or cookie_only or not (found or any(f.schemes for f in app_files)) else \
        [(path, d) for path, f in files.items() if not _is_test(project, path) for d in f.dropping]
    for path, (span, what) in drops:
        out.append(Finding(rule=RULE, path=path, span=Span(*span), message=dropped.message(what),
                           extra={"scheme": "", "scheme_from": ""}))
    if not found:
        return out
    project_schemes: Set[str] = set()
    for path, f in files.items():
        if not _is_test(project, path):
            project_schemes.update(f.schemes)
    setters = _state_setters(project, files)
    evaluator = _LazyEvaluator(project)
    guards = _Guards(evaluator, files, project)
    followed = _DependencySchemes(evaluator)
    flow = cookies.CookieFlow(evaluator, files, lambda p: _is_test(project, p), _dependency, followed.of_function)
    for path, u in found:
        if cookie_only:
            continue
        if u.raised and answered:
            continue  # an exception handler adds the challenge (or shows a page) for every raised 401
        if u.holder and not refs.runs(path, u.holder):
            continue  # nothing that serves HTTP calls it
        if u.guard and guards.excluded(path, u.func, u.guard):
            continue
        if u.state and setters.get(u.state):
            continue  # only code that refuses unauthenticated requests sets it
        if u.func and flow.cookie_only(path, u.func):
            continue  # this function's credential is a cookie (cookies.py)
        if u.field_sources and not refs.called_elsewhere(path, u.holder) and \
                all(guards.field_guaranteed(path, q, p, u.missing_field) for q, p in u.field_sources):
            continue  # the dependency refused a user without that field already
        if u.misdirected and (u.misdirected == misdirected.REENTERED or not followed.of_function(path, u.func)):
            # the status is the fault, not the challenge: no scheme, no fix
            # (a re-entered password is no authentication failure at all: info; a body credential is refused
            # with the wrong status: still the rule's severity)
            out.append(Finding(rule=RULE, path=path, span=Span(*u.span), message=misdirected.message(u.what, u.misdirected),
                               severity=Severity.INFO if u.misdirected == misdirected.REENTERED else None,
                               extra={"scheme": "", "scheme_from": ""}))
            continue
        scheme, ambiguous, source = u.scheme, u.schemes, u.scheme_from
        if source != schemes.FUNCTION:
            found = followed.of_function(path, u.func) if u.func else set()
            if found:
                source = schemes.DEPENDENCY
            elif u.file_scheme or u.file_schemes:
                found, source = set(u.file_schemes) or {u.file_scheme}, schemes.FILE
            elif project_schemes:
                found, source = project_schemes, schemes.PROJECT
            else:
                found, source = {schemes.DEFAULT_SCHEME}, schemes.DEFAULT
            scheme = schemes.single(found) or ""
            ambiguous = tuple(sorted(found)) if len(found) > 1 else ()
        text = message(u.what, scheme, ambiguous, u.client_auth)
        if u.raised and drops:
            where = f"{project.results[drops[0][0]].rel}:{drops[0][1][0][0]}" if drops[0][0] in project.results else ""
            out.append(Finding(rule=RULE, path=path, span=Span(*u.span), message=text + dropped.NOTE.format(where=where),
                               severity=Severity.INFO, extra={"scheme": scheme, "scheme_from": source}))
            continue
        out.append(Finding(rule=RULE, path=path, span=Span(*u.span), message=text,
                           extra={"scheme": scheme, "scheme_from": source}))
    return out


def _is_test(project, path: str) -> bool:
    res = project.results.get(path)
    return is_test_path(res.rel if res is not None else path)


def _state_setters(project, files: Dict[str, HttpFacts]) -> Dict[str, bool]:
    """Attribute of the request's state -> is it set only by functions that refuse the requests
    they cannot authenticate (tests aside)?"""
    out: Dict[str, bool] = {}
    for path, f in files.items():
        if _is_test(project, path):
            continue
        for attr, refusing in f.state_setters.items():
            out[attr] = out.get(attr, True) and refusing
    return out


def _answering_handlers(project, files: Dict[str, HttpFacts]) -> bool:
    """Is an exception handler that answers 401s with a challenge or a page registered (outside
    tests)?"""
    for path, f in files.items():
        if _is_test(project, path):
            continue
        for q in f.handlers:
            sym = project.resolve(q, near=path)
            if sym is None or sym.attrs:
                continue
            target = files.get(sym.path)
            if target is not None and sym.name in target.answering:
                return True
    return False


class _References:
    """Whether the project runs a top-level function or constant: some code that runs refers to it
    (module-level code, a decorated function, a class, or a function that itself runs), other than
    a WebSocket handler. References are the imports of it and the dotted uses through an imported
    module (`adapters.retrieve_user`), tests included; a module star-imported anywhere runs all."""

    def __init__(self, project, files: Dict[str, HttpFacts]):
        self.project = project
        self.files = files
        self._incoming: Optional[Dict[Tuple[str, str], List[Tuple[str, str]]]] = None
        self._star: Set[str] = set()
        self._live: Dict[Tuple[str, str], bool] = {}

    def _index(self) -> Dict[Tuple[str, str], List[Tuple[str, str]]]:
        """(path, name) -> [(file of the referrer, referrer)] for uses in other files."""
        if self._incoming is None:
            self._incoming = {}
            for path in self.project.results:
                names = self.project.names(path)
                if names is not None:
                    self._star.update(names.star_imports)
            for path, f in self.files.items():
                names = self.project.names(path)
                if names is None:
                    continue
                for key, referrers in f.refs.items():
                    # "=": a name imported inside a function, qualified where it was read
                    q = key[1:] if key.startswith("=") else names.qualify_dotted(key)
                    sym = self.project.resolve(q, near=path) if q else None
                    if sym is not None and not sym.attrs and sym.path != path:
                        self._incoming.setdefault((sym.path, sym.name), []).extend((path, r) for r in referrers)
        return self._incoming

    def called_elsewhere(self, path: str, name: str) -> bool:
        """Does another file refer to this top-level function?"""
        return bool(name) and bool(self._index().get((path, name)))

    def runs(self, path: str, name: str) -> bool:
        key = (path, name)
        if key in self._live:
            return self._live[key]
        self._live[key] = False  # a cycle of functions only calling each other does not run
        incoming = self._index()
        names = self.project.names(path)
        live = names is not None and names.module in self._star
        f = self.files.get(path)
        referrers = [(path, r) for r in (f.local_refs.get(name, ()) if f is not None else ())]
        for rpath, r in referrers + incoming.get(key, []):
            if live:
                break
            if r == "*" or (r != "ws" and r != name and self.runs(rpath, r)):
                live = True
        self._live[key] = live
        return live


class _LazyEvaluator:
    """The project's evaluator, built when a question first needs it (most projects ask none)."""

    def __init__(self, project):
        self.project = project
        self._evaluator = None

    def get(self):
        if self._evaluator is None:
            from fastauthlint.project.evaluate import Evaluator  # only when linking asks

            self._evaluator = Evaluator(self.project)
        return self._evaluator


def _dependency(p) -> Optional[V]:
    """The `Depends(...)` a parameter is given by: its default, or its `Annotated[...]` metadata."""
    if p.default is not None and p.default.k == "dep":
        return p.default
    return _annotated_dep(p.ann)


class _Guards:
    """Does the dependency behind a guarded parameter always give a truthy value?"""

    def __init__(self, evaluator: _LazyEvaluator, files: Dict[str, HttpFacts], project=None):
        self.evaluator = evaluator
        self.files = files
        self.project = project
        self._authentication = None

    def excluded(self, path: str, func: str, param: str) -> bool:
        E = self.evaluator.get()
        fact = E.func(path, func)
        p = next((p for p in fact.params if p.name == param), None) if fact is not None else None
        dep = _dependency(p) if p is not None else None
        if p is not None and self._enforced(p, path):
            return True
        if dep is None or not dep.a:
            return False
        targets = [o for o in E.ev(dep.a[0], path) if o.kind in ("func", "method") and o.path]
        return bool(targets) and all(o.name in self._never_falsy(o.path) for o in targets)

    def field_guaranteed(self, path: str, func: str, param: str, field: str, depth: int = 0) -> bool:
        """Does the dependency behind `param` of `func` refuse (raise) a value without `field`,
        itself or through the dependency whose value it hands on?"""
        E = self.evaluator.get()
        fact = E.func(path, func)
        p = next((p for p in fact.params if p.name == param), None) if fact is not None else None
        dep = _dependency(p) if p is not None else None
        if dep is None or not dep.a or depth > 4:
            return False
        targets = [o for o in E.ev(dep.a[0], path) if o.kind in ("func", "method") and o.path]
        if not targets:
            return False
        for o in targets:
            f = self.files.get(o.path)
            checked, passed = f.guarantees.get(o.name, ((), "")) if f is not None else ((), "")
            if field in checked:
                continue
            if not (passed and self.field_guaranteed(o.path, o.name, passed, field, depth + 1)):
                return False
        return True

    def _enforced(self, p, path: str) -> bool:
        """Does the parameter's dependency refuse a request without a credential itself (not an
        optional chain, not optional in some states of its instance, not switched off by the
        environment)? Then it never hands the handler a missing user."""
        if self._authentication is None:
            from fastauthlint.project.authentication import Authentication  # only when a guard asks
            from fastauthlint.project.evidence import Evidence

            E = self.evaluator.get()
            option = self.project.config.option if self.project is not None else (lambda _k: ())
            self._authentication = Authentication(E, Evidence(E), option("auth-dependencies"))
        auth, _ = self._authentication.param_auth(p, path)
        return auth is not None and not auth.optional and not auth.cond and not auth.off_unless and not auth.exempt

    def _never_falsy(self, path: str) -> Iterable[str]:
        f = self.files.get(path)
        return f.never_falsy if f is not None else ()


class _DependencySchemes:
    """The schemes a function's dependencies authenticate with, followed through the project:
    `Depends(current_user)` where `current_user` depends on `HTTPBearer()` is Bearer."""

    def __init__(self, evaluator: _LazyEvaluator):
        self.evaluator = evaluator
        self._memo: Dict[Tuple[str, str], Set[str]] = {}

    def of_function(self, path: str, qual: str, depth: int = 0) -> Set[str]:
        key = (path, qual)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = set()  # a dependency cycle names nothing
        if depth > 4:
            return set()
        E = self.evaluator.get()
        fact = E.func(path, qual)
        found: Set[str] = set()
        for p in fact.params if fact is not None else ():
            word = schemes.credential_class(_last(p.ann.q) if p.ann is not None and p.ann.k == "ref" else "")
            if word:
                found.add(word)
            dep = _dependency(p)
            if dep is not None and dep.a:
                for o in E.ev(dep.a[0], path):
                    found |= self._of_object(o, depth)
        self._memo[key] = found
        return found

    def _of_object(self, o, depth: int) -> Set[str]:
        if o.kind in ("ext", "extinst"):
            word = schemes.SCHEME_CLASSES.get(_last(o.name))
            return {word} if word else set()
        if o.kind in ("func", "method") and o.path:
            return self.of_function(o.path, o.name, depth + 1)
        if o.kind == "inst" and o.path:
            E = self.evaluator.get()
            cls = E.cls(o.path, o.name)
            found: Set[str] = set()
            for base in cls.bases if cls is not None else ():
                for b in E.ev(base, o.path):
                    word = schemes.SCHEME_CLASSES.get(_last(b.name)) if b.kind in ("ext", "class") else None
                    if word:
                        found.add(word)
            return found or self.of_function(o.path, f"{o.name}.__call__", depth + 1)
        return set()


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1].rstrip("()")


def _annotated_dep(ann) -> Optional[object]:
    """The `Depends(...)` inside `Annotated[T, Depends(...)]`."""
    if ann is None or ann.k != "ann":
        return None
    return next((m for m in ann.a[1:] if m.k == "dep"), None)
