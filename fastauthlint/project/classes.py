"""Questions about the project's classes, answered through their project and library bases: a
member (method or attribute) a class has or inherits, the library classes it derives from, whether
it is a router, an app, a security scheme or a login form, what a router subclass passes to
`super().__init__`, and the base class method an override delegates to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.values import V

if TYPE_CHECKING:  # types only: the evaluator owns this object
    from fastauthlint.project.evaluate import Evaluator


class ClassQuestions:
    def __init__(self, evaluator: "Evaluator"):
        self.E = evaluator
        self._kind_memo: Dict[Tuple[str, str], Tuple[bool, bool, bool, bool]] = {}

    def member(self, path: str, qual: str, attr: str, depth: int = 0) -> Optional[Tuple[str, str, Any]]:
        """("method", file, function qualname) or ("attr", file, value V) from the class or its
        project bases."""
        c = self.E.cls(path, qual)
        if c is None or depth > 10:
            return None
        if f"{qual}.{attr}" in self.E.files[path].functions:
            return ("method", path, f"{qual}.{attr}")
        for name, ann, value in reversed(c.attrs):
            if name == attr and value is not None:
                return ("attr", path, value)
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "class":
                    found = self.member(bo.path, bo.name, attr, depth + 1)
                    if found is not None:
                        return found
        return None

    def annotated(self, path: str, qual: str, attr: str, depth: int = 0) -> Optional[Tuple[str, V]]:
        """(file, annotation) of an attribute the class (or a project base) declares without a
        value (`auth: AuthGate` in a dataclass)."""
        c = self.E.cls(path, qual)
        if c is None or depth > 10:
            return None
        for name, ann, value in c.attrs:
            if name == attr and ann is not None:
                return (path, ann)
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "class":
                    found = self.annotated(bo.path, bo.name, attr, depth + 1)
                    if found is not None:
                        return found
        return None

    def external_bases(self, path: str, qual: str, depth: int = 0) -> List[str]:
        """Qualified names of the library classes a project class derives from, through its
        project bases."""
        c = self.E.cls(path, qual)
        if c is None or depth > 10:
            return []
        out: List[str] = []
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "ext":
                    out.append(bo.name)
                elif bo.kind == "class":
                    out.extend(self.external_bases(bo.path, bo.name, depth + 1))
        return out

    def kind(self, path: str, qual: str, depth: int = 0) -> Tuple[bool, bool, bool, bool]:
        """(is router, is app, is security scheme, is login form) through project and external
        bases."""
        key = (path, qual)
        if key in self._kind_memo:
            return self._kind_memo[key]
        self._kind_memo[key] = (False, False, False, False)
        c = self.E.cls(path, qual)
        res = [False, False, False, False]
        if c is not None and depth < 10:
            for b in c.bases:
                for bo in self.E.ev(b, path):
                    if bo.kind == "ext":
                        q = bo.name
                        res[0] |= q in K.ROUTER_CLASSES
                        res[1] |= q in K.APP_CLASSES
                        res[2] |= K.is_scheme_class(q) or K.is_auth_library_class(q)
                        res[3] |= q in K.LOGIN_FORMS
                    elif bo.kind == "class":
                        sub = self.kind(bo.path, bo.name, depth + 1)
                        for i in range(4):
                            res[i] |= sub[i]
        out = (res[0], res[1], res[2], res[3])
        self._kind_memo[key] = out
        return out

    def router_init(self, path: str, qual: str, depth: int = 0) -> Optional[Tuple[V, str]]:
        """What a project APIRouter subclass passes to `super().__init__` (its built-in
        dependencies and prefix): `class UserRouter(APIRouter): def __init__(self, **kw):
        super().__init__(dependencies=[Depends(current_user)], **kw)`."""
        if depth > 8:
            return None
        f = self.E.func(path, f"{qual}.__init__")
        if f is not None and f.super_init is not None:
            return (f.super_init, path)
        c = self.E.cls(path, qual)
        if c is None:
            return None
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "class":
                    found = self.router_init(bo.path, bo.name, depth + 1)
                    if found is not None:
                        return found
        return None

    def base_method(self, path: str, cls_qual: str, method: str) -> Optional[Tuple[str, str]]:
        """(file, qualname) of `method` in the nearest project base class of a class."""
        c = self.E.cls(path, cls_qual)
        if c is None:
            return None
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "class":
                    found = self.member(bo.path, bo.name, method)
                    if found is not None and found[0] == "method":
                        return found[1], found[2]
        return None
