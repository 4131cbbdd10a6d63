"""The value language of the facts: `V`, a small symbolic expression (a qualified name, a call, a
path string...) standing for what an expression in the code denotes, kept symbolic because most
questions about it (is `router` an APIRouter? does `CurrentUser` authenticate?) can only be
answered once every file is known (see evaluate.py). String literals survive only when they look
like a URL path or as an "admin-ish" flag: a secret literal never reaches the facts or the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

from fastauthlint.project.known import rejection_by_name, strongest


@dataclass(frozen=True)
class V:
    """A symbolic value.

    k      meaning                                  fields
    ref    a qualified name (import or top level)   q
    loc    a name local to function `s`             q (the name), s (the function's qualname)
    attr   attribute of a computed value            a=(base,), q=attribute
    call   a call                                   a=(callee, *positional), kw
    dep    Depends()/Security()                     q="Depends"|"Security", a=(target,) or (), kw
    ann    Annotated[base, *metadata]               a=(base, *metadata)
    opt    Optional[x] / x | None                   a=(x,)
    str    a path-like string ("?" opaque,          q
           "?admin" opaque but admin-ish)
    fmt    concatenation / f-string of a path       a=parts
    lit    int/bool/None                            lit
    list   list/tuple/set display                   a=items
    dict   dict display                             a=(key, value, key, value, ...)
    ifexp  `b if t else o`                          a=(t, b, o)
    iter   an element of an iterable (for loops)    a=(iterable,), q=index in a tuple target or ""
    def    a function/class defined locally here    q=its qualname in this file
    unk    anything else                            q=short text for messages
    """

    k: str
    q: str = ""
    a: Tuple["V", ...] = ()
    kw: Tuple[Tuple[str, "V"], ...] = ()
    lit: Any = None
    s: str = ""

    def kwarg(self, name: str) -> Optional["V"]:
        for k, v in self.kw:
            if k == name:
                return v
        return None

    @property
    def callee(self) -> Optional["V"]:
        return self.a[0] if self.k == "call" and self.a else None

    @property
    def args(self) -> Tuple["V", ...]:
        return self.a[1:] if self.k == "call" else ()

    def text(self) -> str:
        """Source-like rendering, for messages."""
        k = self.k
        if k in ("ref", "loc", "def"):
            return self.q.rsplit(".<locals>.", 1)[-1] if k == "def" else self.q
        if k == "attr":
            return f"{self.a[0].text()}.{self.q}"
        if k == "call":
            inner = ", ".join([a.text() for a in self.args] + [f"{n}={v.text()}" for n, v in self.kw])
            return f"{self.a[0].text()}({inner})"
        if k == "dep":
            inner = ", ".join([a.text() for a in self.a] + [f"{n}={v.text()}" for n, v in self.kw])
            return f"{self.q}({inner})"
        if k == "ann":
            return f"Annotated[{', '.join(a.text() for a in self.a)}]"
        if k == "opt":
            return f"Optional[{self.a[0].text()}]"
        if k == "str":
            return repr(self.q) if not self.q.startswith("?") else "'…'"
        if k == "fmt":
            return "".join(p.q if p.k == "str" else "{" + p.text() + "}" for p in self.a)
        if k == "lit":
            return repr(self.lit)
        if k == "list":
            return "[" + ", ".join(a.text() for a in self.a) + "]"
        if k == "dict":
            return "{" + ", ".join(f"{self.a[i].text()}: {self.a[i + 1].text()}" for i in range(0, len(self.a) - 1, 2)) + "}"
        if k == "ifexp":
            return f"{self.a[1].text()} if {self.a[0].text()} else {self.a[2].text()}"
        if k == "iter":
            return f"{self.a[0].text()}[…]"
        return self.q or "…"


UNK = V("unk")


def short_name(q: str) -> str:
    """The last part of a dotted name (`app.api.deps.get_current_user` -> `get_current_user`)."""
    return q.rsplit(".", 1)[-1]


def v_rejection(v: V) -> int:
    """401/403 carried by a symbolic value (`HTTPException(status_code=401)`, an exception class
    named `Unauthorized`), else 0."""
    if v.k == "lit" and v.lit in (401, 403):
        return v.lit
    if v.k in ("ref", "attr"):  # `status.HTTP_401_UNAUTHORIZED`, `HTTPStatus.FORBIDDEN`
        n = short_name(v.q)
        return 401 if n.startswith("HTTP_401") or n == "UNAUTHORIZED" else (
            403 if n.startswith("HTTP_403") or n == "FORBIDDEN" else 0)
    if v.k == "call":
        found = 0
        callee = v.callee
        if callee is not None and callee.k in ("ref", "loc"):
            found = rejection_by_name(short_name(callee.q))
        for a in list(v.args) + [x for n, x in v.kw if "status" in n or n == "code"]:
            found = strongest(found, v_rejection(a))
        for n, x in v.kw:
            if n in ("content", "body"):  # `JSONResponse(status_code=200, content={"code": 401})`
                pairs = list(zip(x.a[::2], x.a[1::2])) if x.k == "dict" else [
                    (V("str", q=kn), val) for kn, val in x.kw] if x.k == "call" else []
                for key, val in pairs:
                    if key.k == "str" and key.q in ("code", "status", "status_code"):
                        found = strongest(found, v_rejection(val))
        return found
    return 0
