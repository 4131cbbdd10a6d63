"""FAL601: where a function's credential comes from, when it is known to be a cookie.

A browser attaches a cookie by itself; a `WWW-Authenticate` challenge names no scheme it uses (it
would open a password dialog). So a 401 is not reported where the function's only credential is a
cookie, function by function (the project-wide test in link.py covers projects with no header
credential anywhere):

- the function reads a cookie itself and names no header credential (`request.cookies`, a
  `Cookie()` parameter, a `Depends(APIKeyCookie(...))` dependency, perhaps through a constant);
- a login answering JSON that hands its session to the browser as a cookie only (`set_cookie`, here
  or in a helper of the file handed the response) and returns no token;
- (linking) a dependency of the function is such a function and none names a header scheme;
- (linking) a helper or service method whose credential parameters (`token`, `refresh_token`) every
  call in the project hands a value read from a cookie: a `Cookie()` parameter, `request.cookies`,
  a cookie-only dependency's value (`token, payload = token_data`), or a credential parameter of a
  caller fed the same way (`route -> AuthService.refresh_tokens -> TokenService.verify_refresh_token`).

The per-file phase records each function's own verdict (`c` cookie only, `h` a header credential
named) and, for every call with arguments, where each argument comes from: `c` a cookie, `p:<name>`
a parameter of the caller, `` anything else (so one call with another value keeps the finding).
"""

from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint.astutil import descendants, literal_str, name_of, own_nodes, parameters

COOKIE, HEADER = "c", "h"
COOKIE_CLASSES = ("APIKeyCookie",)
_HEADER_CLASSES = ("HTTPBearer", "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "HTTPBasic",
                   "HTTPDigest", "APIKeyHeader", "APIKeyQuery", "OpenIdConnect", "Header")
# words of a credential sent in a header (`Authorization`, `X-API-Key`, `x-auth-token`)
HEADER_WORDS = re.compile(r"authorization|bearer|api[-_]?key|x-[\w-]*(token|key|secret)", re.I)
# A parameter that carries the credential a helper checks (`token`, `refresh_token`, `session_id`).
_CREDENTIAL_PARAM = re.compile(r"^_*((access|refresh|id|auth|session|jwt|bearer)_?)?(token|jwt|cookie|session"
                               r"|credentials?)(_?(str|value|id))?$", re.I)
_TOKENISH = re.compile(r"token|jwt", re.I)

Assignment = Callable[[str], Optional[cst.BaseExpression]]
Site = Tuple[str, Tuple[Tuple[str, str], ...]]  # (caller's qualname, ((slot, provenance), ...))


def _call_of(expr: Optional[cst.BaseExpression], assignment: Assignment) -> Optional[cst.Call]:
    if isinstance(expr, cst.Name):
        expr = assignment(expr.value) or expr
    return expr if isinstance(expr, cst.Call) else None


def _markers(p: cst.Param) -> List[cst.Call]:
    """The calls that declare what a parameter is: its default, its `Annotated[...]` metadata."""
    out: List[cst.Call] = [p.default] if isinstance(p.default, cst.Call) else []
    ann = p.annotation.annotation if p.annotation is not None else None
    if isinstance(ann, cst.Subscript) and name_of(ann.value) == "Annotated":
        out += [e.slice.value for e in ann.slice[1:] if isinstance(e.slice, cst.Index)
                and isinstance(e.slice.value, cst.Call)]
    return out


def param_source(p: cst.Param, assignment: Assignment) -> str:
    """`c` a cookie (`Cookie()`, `Depends(APIKeyCookie(...))`), `h` a header scheme, `d` another
    dependency, `` a plain parameter."""
    for call in _markers(p):
        callee = name_of(call.func) or ""
        if callee == "Cookie" or callee in COOKIE_CLASSES:
            return COOKIE
        if callee in _HEADER_CLASSES:
            return HEADER
        if callee in ("Depends", "Security"):
            inner = _call_of(call.args[0].value if call.args else None, assignment)
            inner_name = name_of(inner.func) if inner is not None else ""
            if inner_name in COOKIE_CLASSES:
                return COOKIE
            if inner_name in _HEADER_CLASSES:
                return HEADER
            return "d"
    return ""


def names_header(func: cst.FunctionDef, assignment: Assignment) -> bool:
    """Does the function's own code name a credential sent in a header: a header scheme or
    `Header()` parameter, `request.headers` (bar a plain `User-Agent`-like key read), an
    `Authorization`/bearer/API-key word (not in the `headers=` of a response it builds)?"""
    if any(param_source(p, assignment) == HEADER for p in parameters(func)):
        return True
    skip: Set[int] = set()
    for n in descendants(func.body):
        if isinstance(n, cst.Call):
            if name_of(n.func) in _HEADER_CLASSES:
                return True
            for a in n.args:
                if a.keyword is not None and a.keyword.value == "headers":
                    skip.update(id(x) for x in descendants(a.value))
            f = n.func
            if isinstance(f, cst.Attribute) and f.attr.value == "get" and isinstance(f.value, cst.Attribute) \
                    and f.value.attr.value == "headers" and n.args:
                key = literal_str(n.args[0].value)
                if key is not None and not HEADER_WORDS.search(key):
                    skip.add(id(f.value))
        elif isinstance(n, cst.Attribute) and n.attr.value == "headers" and id(n) not in skip:
            return True
        elif isinstance(n, cst.SimpleString) and id(n) not in skip and HEADER_WORDS.search(literal_str(n) or ""):
            return True
    return False


def _mentions_cookies(expr: cst.BaseExpression) -> bool:
    return any(isinstance(n, cst.Attribute) and n.attr.value == "cookies" for n in descendants(expr))


def provenance(func: cst.FunctionDef, assignment: Assignment, text: Optional["FileText"] = None) -> Dict[str, str]:
    """Local name -> `c` (read from a cookie), `p:<param>` (a parameter, unchanged or unpacked), or
    `` (anything else, or assigned more than one way)."""
    cookies = text is None or text.cookies
    out: Dict[str, str] = {}
    for p in parameters(func):
        src = param_source(p, assignment)
        out[p.name.value] = COOKIE if src == COOKIE else f"p:{p.name.value}"

    def bind(target: cst.BaseExpression, value: str) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            out[name] = value if out.get(name, value) == value else ""
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                bind(el.value, value)

    for n in own_nodes(func.body):
        targets: List[cst.BaseExpression] = []
        value: Optional[cst.BaseExpression] = None
        if isinstance(n, cst.Assign):
            targets, value = [t.target for t in n.targets], n.value
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign)) and n.value is not None:
            targets, value = [n.target], n.value
        elif isinstance(n, (cst.For, cst.With)) or isinstance(n, cst.NamedExpr):
            for t in _bound_by(n):
                bind(t, "")
            continue
        if value is None:
            continue
        src = _value_source(value, out, cookies) if not isinstance(n, cst.AugAssign) else ""
        for t in targets:
            bind(t, src)
    return out


def _bound_by(n: cst.CSTNode) -> List[cst.BaseExpression]:
    if isinstance(n, cst.For):
        return [n.target]
    if isinstance(n, cst.NamedExpr):
        return [n.target]
    return [i.asname.name for i in n.items if i.asname is not None]  # type: ignore[attr-defined]


def _value_source(value: cst.BaseExpression, known: Dict[str, str], cookies: bool = True) -> str:
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.Name):
        return known.get(value.value, "")
    return COOKIE if cookies and _mentions_cookies(value) else ""


def call_sites(qual: str, body: cst.CSTNode, known: Dict[str, str],
               text: Optional["FileText"] = None) -> List[Tuple[str, Site]]:
    """(callee's last name, (caller, ((slot, provenance), ...))) for every call with arguments in
    `body`: slot is the argument's position (`0`, `1`) or keyword; `*` for a splat."""
    cookies = text is None or text.cookies
    out: List[Tuple[str, Site]] = []
    for n in own_nodes(body):
        if not isinstance(n, cst.Call) or not n.args:
            continue
        f = n.func
        callee = f.value if isinstance(f, cst.Name) else f.attr.value if isinstance(f, cst.Attribute) else None
        if callee is None:
            continue
        slots = []
        i = 0
        for a in n.args:
            if a.star:
                slots.append(("*", ""))
                continue
            src = _value_source(a.value, known, cookies)
            if a.keyword is not None:
                slots.append((a.keyword.value, src))
            else:
                slots.append((str(i), src))
                i += 1
        out.append((callee, (qual, tuple(slots))))
    return out


class FileText:
    """What the file's text rules out, found once per file (plain substring and regex searches):
    a function of a file that never spells `cookies` reads no `.cookies`, one that never spells
    `set_cookie` sets none, and one with no header class name, no `headers`, no header word and no
    backslash (an escape could spell a word in a literal's value) names no header credential. The
    verdicts are the same as without it; the walks that cannot find anything are skipped."""

    def __init__(self, source: str):
        self.cookies = "cookies" in source
        self.set_cookie = "set_cookie" in source
        self.headers = ("headers" in source or "\\" in source or any(c in source for c in _HEADER_CLASSES)
                        or HEADER_WORDS.search(source) is not None)


def own_verdict(func: cst.FunctionDef, assignment: Assignment, helpers: Dict[str, cst.FunctionDef],
                text: Optional[FileText] = None) -> str:
    """`c` when the function's only credential is a cookie it reads, or the session cookie it sets
    as a login answering JSON; `h` when it names a header credential; `` otherwise."""
    if (text is None or text.headers) and names_header(func, assignment):
        return HEADER
    if any(param_source(p, assignment) == COOKIE for p in parameters(func)) or (
            (text is None or text.cookies) and _mentions_cookies(func.body)):
        return COOKIE
    if (text is None or text.set_cookie) and _sets_cookie(func, helpers) and not _returns_token(func):
        return COOKIE
    return ""


def _sets_cookie(func: cst.FunctionDef, helpers: Dict[str, cst.FunctionDef]) -> bool:
    """`response.set_cookie(...)` here, or in a function of the file handed the response."""
    for n in own_nodes(func.body):
        if isinstance(n, cst.Call):
            if isinstance(n.func, cst.Attribute) and n.func.attr.value == "set_cookie":
                return True
            helper = helpers.get(n.func.value) if isinstance(n.func, cst.Name) else None
            if helper is not None and helper is not func and any(
                    isinstance(a.value, cst.Name) and a.value.value in ("response", "resp") for a in n.args) \
                    and any(isinstance(m, cst.Call) and isinstance(m.func, cst.Attribute)
                            and m.func.attr.value == "set_cookie" for m in own_nodes(helper.body)):
                return True
    return False


def _returns_token(func: cst.FunctionDef) -> bool:
    """A return (or a yield) whose value names a token: the session also travels in the body."""
    for n in own_nodes(func.body):
        if isinstance(n, (cst.Return, cst.Yield)) and n.value is not None:
            for m in descendants(n.value):
                text = m.value if isinstance(m, cst.Name) else literal_str(m) if isinstance(m, cst.SimpleString) \
                    else m.attr.value if isinstance(m, cst.Attribute) else None
                if text and _TOKENISH.search(text):
                    return True
    return False


class CookieFlow:
    """(linking) Is a function's only credential a cookie: its own code says so, a dependency of it
    is such a function, or every call of it hands its credential parameters a cookie's value?"""

    def __init__(self, evaluator, files, is_test, dependency, header_schemes):
        self.evaluator = evaluator  # link._LazyEvaluator
        self.files = files
        self.is_test = is_test
        self.dependency = dependency  # the `Depends(...)` of a parameter fact, or None
        self.header_schemes = header_schemes  # (path, qual) -> the schemes its dependencies name
        self._memo: Dict[Tuple[str, str, str], bool] = {}
        self._sites: Optional[Dict[str, List[Tuple[str, Site]]]] = None

    def cookie_only(self, path: str, qual: str) -> bool:
        return self._ask(("f", path, qual), lambda: self._function(path, qual))

    def _ask(self, key, compute) -> bool:
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = False  # a cycle of calls proves nothing
        self._memo[key] = answer = compute()
        return answer

    def _function(self, path: str, qual: str) -> bool:
        f = self.files.get(path)
        verdict = f.verdicts.get(qual, "") if f is not None else ""
        if verdict == HEADER or self.header_schemes(path, qual):
            return False
        fact = self.evaluator.get().func(path, qual)
        deps = [p for p in fact.params if self.dependency(p) is not None] if fact is not None else []
        if any(self._header_dependency(path, p) for p in deps):
            return False  # (a dependency reading the `Authorization` header itself)
        if verdict == COOKIE:
            return True
        if fact is None:
            return False
        if any(self._param(path, qual, fact, p) for p in deps):
            return True
        creds = [p for p in fact.params if self.dependency(p) is None and not p.star
                 and _CREDENTIAL_PARAM.match(p.name)]
        return bool(creds) and all(self._param(path, qual, fact, p) for p in creds)

    def _header_dependency(self, path: str, p) -> bool:
        """A dependency whose own code names a header credential."""
        dep = self.dependency(p)
        for o in self.evaluator.get().ev(dep.a[0], path) if dep.a else ():
            f = self.files.get(o.path) if o.kind in ("func", "method") and o.path else None
            if f is not None and f.verdicts.get(o.name) == HEADER:
                return True
        return False

    def _param(self, path: str, qual: str, fact, p) -> bool:
        """Is this parameter of the function given a cookie's value?"""
        return self._ask(("p", path, f"{qual}:{p.name}"), lambda: self._param_value(path, qual, fact, p))

    def _param_value(self, path: str, qual: str, fact, p) -> bool:
        if p.credential.startswith("cookie:"):
            return True
        dep = self.dependency(p)
        E = self.evaluator.get()
        if dep is not None:
            if not dep.a:
                return False
            objs = list(E.ev(dep.a[0], path))
            return bool(objs) and all(
                (o.kind in ("ext", "extinst") and o.name.rsplit(".", 1)[-1].rstrip("()") in COOKIE_CLASSES)
                or (o.kind in ("func", "method") and o.path and self.cookie_only(o.path, o.name)) for o in objs)
        names = [x.name for x in fact.params if not x.star]
        if names and names[0] in ("self", "cls"):
            names = names[1:]
        if p.name not in names:
            return False
        index = str(names.index(p.name))
        sites = self._all_sites().get(qual.rsplit(".", 1)[-1], [])
        if not sites:
            return False
        for spath, (caller, slots) in sites:
            given = dict(slots)
            src = given.get(p.name, given.get(index))
            if src is None and "*" in given:
                return False
            if src == COOKIE:
                continue
            if not src or not src.startswith("p:") or not caller:
                return False
            cfact = E.func(spath, caller)
            cp = next((x for x in cfact.params if x.name == src[2:]), None) if cfact is not None else None
            if cp is None or not self._param(spath, caller, cfact, cp):
                return False
        return True

    def _all_sites(self) -> Dict[str, List[Tuple[str, Site]]]:
        if self._sites is None:
            self._sites = {}
            for path, f in self.files.items():
                if self.is_test(path):
                    continue
                for callee, sites in f.sites.items():
                    self._sites.setdefault(callee, []).extend((path, s) for s in sites)
        return self._sites
