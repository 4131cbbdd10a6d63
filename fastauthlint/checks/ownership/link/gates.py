"""Role and permission gates: an authenticating dependency that refuses with 403 unless the
caller holds a role or a permission (`require_permission("read", "report")` whose inner checker
raises `HTTP_403_FORBIDDEN` when `has_permission(user, ...)` is false, `require_roles("manager")`).
A route behind one works on data shared among the holders of that permission, so an unscoped
query there is no ownership bug, unless the project scopes the same model by the current user
elsewhere (its rows are personal: the walk keeps those findings)."""

from __future__ import annotations

import re
from typing import Dict, List, Optional

import libcst as cst

from fastauthlint.context import BatchedVisitor
from fastauthlint.walk import walk_batched


_GATE_WORD = re.compile(r"role|permission|perm\b|perms|privilege|scope|capabilit|admin|superuser", re.I)
# a function named for checking a role or permission (`permission_check`, `ensure_role`): a 403
# refusal in it is the gate, whatever its test reads (`if wanted not in granted`)
_CHECK_NAME = re.compile(r"(check|require|assert|ensure|verify|enforce)\w*(role|permission|perm|privilege)|"
                         r"(role|permission|perm|privilege)s?_(check|checker|guard|required?)", re.I)
_FORBIDDEN = re.compile(r"\b403\b|FORBIDDEN|Forbidden|PermissionDenied|NotAuthorized|Unauthorized", re.I)


class _Refusals(BatchedVisitor):
    """Whether a function refuses (raises 403/forbidden) under a test that reads a role or a
    permission."""

    def __init__(self, module: cst.Module, named: bool = False) -> None:
        super().__init__()
        self.module = module
        self.named = named  # the function is named for a role/permission check: any 403 refusal counts
        self.found = False
        self.callees: List[str] = []  # project functions it calls by name, to follow

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value not in self.callees:
            self.callees.append(node.func.value)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        """`if has_permission(user, code): return payload` then `raise HTTPException(403)`: the
        refusal is what follows the test that lets the holder through."""
        passed = False
        for stmt in node.body:
            if isinstance(stmt, cst.If) and (self.named or _GATE_WORD.search(self.module.code_for_node(stmt.test))) \
                    and _ends_in_return(stmt.body):
                passed = True
            elif passed and isinstance(stmt, cst.SimpleStatementLine) and any(
                    isinstance(small, cst.Raise) for small in stmt.body) \
                    and _FORBIDDEN.search(self.module.code_for_node(stmt)):
                self.found = True

    def visit_If(self, node: cst.If) -> None:
        test = self.module.code_for_node(node.test)
        if not self.named and not _GATE_WORD.search(test):
            return
        body = self.module.code_for_node(node.body)
        if "raise" in body and _FORBIDDEN.search(body):
            self.found = True


class RoleGates:
    """Memo of which dependencies are role/permission gates, by qualified name."""

    def __init__(self, resolver) -> None:
        self.resolver = resolver
        self._memo: Dict[str, bool] = {}
        self._modules: Dict[str, Optional[cst.Module]] = {}

    def is_gate(self, qualname: str, depth: int = 0) -> bool:
        if qualname not in self._memo:
            self._memo[qualname] = False  # a cycle proves nothing
            self._memo[qualname] = self._judge(qualname, depth)
        return self._memo[qualname]

    def _judge(self, qualname: str, depth: int) -> bool:
        # a factory's inner checker is not indexed (its factory tells the file); a class
        # dependency refuses in its `__call__`
        target = qualname
        hit = self.resolver.function(qualname)
        if hit is None and self.resolver.function(qualname + ".__call__") is not None:
            target = qualname + ".__call__"
            hit = self.resolver.function(target)
        if hit is None:  # the summaries name a closure without `<locals>`
            hit = self.resolver.function(qualname.replace(".<locals>", ""))
        if hit is None:
            hit = self.resolver.function(qualname.split(".<locals>")[0])
        if hit is None:
            return False
        module = self._module(hit[0])
        if module is None:
            return False
        parts = [p for p in target.split(".") if p != "<locals>"]
        node = _find_def(module.body, parts[-1], parts[-2] if len(parts) > 1 else "")
        if node is None:
            return False
        v = _Refusals(module, named=bool(_CHECK_NAME.search(node.name.value)))
        walk_batched(node, [v])
        if v.found or depth >= 2:
            return v.found
        # the checker delegates: `return await resolve_actor(identity, required_permission=perm)`
        for name in v.callees:
            qualify = getattr(self.resolver.project, "qualify_in", None)
            written = (qualify(hit[0], name) if qualify else None) or name
            q = self.resolver.resolve_name(written, hit[0])
            if q and q != qualname and self.is_gate(q, depth + 1):
                return True
        return False

    def _module(self, path: str) -> Optional[cst.Module]:
        if path not in self._modules:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    self._modules[path] = cst.parse_module(fh.read())
            except Exception:  # an unreadable file: no evidence
                self._modules[path] = None
        return self._modules[path]


class _Finder(BatchedVisitor):
    def __init__(self, name: str, outer: str) -> None:
        super().__init__()
        self.name, self.outer = name, outer
        self.found: Optional[cst.FunctionDef] = None
        self.stack: List[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == self.name and (self.found is None or (self.stack and self.stack[-1] == self.outer)):
            self.found = node
        self.stack.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.pop()


def _ends_in_return(block) -> bool:
    stmts = list(getattr(block, "body", ()))
    last = stmts[-1] if stmts else None
    return isinstance(last, cst.SimpleStatementLine) and any(isinstance(x, cst.Return) for x in last.body)


def _find_def(body, name: str, outer: str) -> Optional[cst.FunctionDef]:
    """The def named `name`, preferring one nested in `outer` (a factory's inner checker).
    A read-only walk (walk.py): libcst's own `visit` rebuilds every node of the module."""
    f = _Finder(name, outer)
    for stmt in body:
        walk_batched(stmt, [f])
    return f.found


__all__ = ["RoleGates"]
