"""Name resolution from a file's own imports (no libcst scope providers: they cost several parses).

A file's imports map local names to dotted qualified names:

    import jwt as pyjwt            pyjwt        -> jwt
    from jose import jwt           jwt          -> jose.jwt
    from jwt import decode         decode       -> jwt.decode
    from .deps import CurrentUser  CurrentUser  -> app.api.deps.CurrentUser   (in app/api/routes.py)

so `pyjwt.decode(...)` qualifies to `jwt.decode` whatever the file calls the module, and a variable
that merely happens to be called `jwt` qualifies to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

import libcst as cst

from fastauthlint import astutil


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts = []
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)
        expr = expr.value
    if type(expr) is cst.Name:
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def module_dotted(node) -> str:
    """Dotted text of an import's module (Name/Attribute), '' for none."""
    if node is None:
        return ""
    return dotted(node) or ""


def resolve_relative(module: str, is_package: bool, level: int, target: str) -> str:
    """Absolute dotted name of `from <level dots><target> import ...` written in `module`."""
    if level == 0:
        return target
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = ".".join(parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


@dataclass
class ModuleNames:
    """The names a module binds at top level: imports and definitions. Plain data, picklable."""

    module: str
    is_package: bool
    imports: Dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    star_imports: List[str] = field(default_factory=list)  # modules imported with *
    defined: Set[str] = field(default_factory=set)  # def/class/assignment targets at top level
    # Every module imported anywhere in the file (top level and inside functions), in full
    # (`import a.b.c` -> "a.b.c", `from a import b` -> "a" and "a.b"): the project's import graph
    # (programs.py: is a script imported by the application?).
    modules: Set[str] = field(default_factory=set)
    # How the module runs as a program, when it does and serves nothing (programs.py); "" if not.
    program: str = ""

    def add_import(self, node: cst.Import, into: Optional[Dict[str, str]] = None) -> None:
        table = self.imports if into is None else into
        if isinstance(node.names, cst.ImportStar):  # pragma: no cover - not valid for `import`
            return
        for alias in node.names:
            full = module_dotted(alias.name)
            self.modules.add(full)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                table[alias.asname.name.value] = full
            else:
                # `import a.b.c` binds `a`; attribute access then spells the rest.
                head = full.split(".")[0]
                table[head] = head

    def add_import_from(self, node: cst.ImportFrom, into: Optional[Dict[str, str]] = None) -> None:
        table = self.imports if into is None else into
        level = len(node.relative)
        base = resolve_relative(self.module, self.is_package, level, module_dotted(node.module))
        if base:
            self.modules.add(base)
        if isinstance(node.names, cst.ImportStar):
            if into is None:
                self.star_imports.append(base)
            return
        for alias in node.names:
            name = module_dotted(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            table[local] = f"{base}.{name}" if base else name
            self.modules.add(table[local])

    def qualify(self, expr: cst.BaseExpression, local: Optional[Dict[str, str]] = None) -> Optional[str]:
        """Qualified name of a Name/Attribute chain: through imports (function-local ones first),
        then top-level definitions of this module; None for anything else (locals, builtins)."""
        text = dotted(expr)
        return self.qualify_dotted(text, local) if text is not None else None

    def qualify_dotted(self, text: str, local: Optional[Dict[str, str]] = None) -> Optional[str]:
        """`qualify` for a dotted name given as text (`"models.Item"`)."""
        head, _, rest = text.partition(".")
        if local and head in local:
            target = local[head]
        elif head in self.imports:
            target = self.imports[head]
        elif head in self.defined:
            target = f"{self.module}.{head}" if self.module else head
        else:
            return None
        return f"{target}.{rest}" if rest else target



def collect_module_names(module: cst.Module, name: str, is_package: bool) -> ModuleNames:
    """Top-level bindings, looking into module-level if/try/with/for/while blocks but not into
    function or class bodies (their imports are local to them)."""
    names = ModuleNames(module=name, is_package=is_package)

    def walk(body) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        names.add_import(small)
                    elif isinstance(small, cst.ImportFrom):
                        names.add_import_from(small)
                    elif isinstance(small, cst.Assign):
                        for t in small.targets:
                            names.defined.update(astutil.assigned_names(t.target))
                    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                        names.defined.update(astutil.assigned_names(small.target))
                    elif type(small).__name__ == "TypeAlias":  # `type CurrentUser = Annotated[...]` (3.12)
                        names.defined.add(small.name.value)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                names.defined.add(stmt.name.value)
            elif isinstance(stmt, cst.If):
                walk(stmt.body.body)
                orelse = stmt.orelse
                while orelse is not None:
                    walk(orelse.body.body)
                    orelse = getattr(orelse, "orelse", None)
            elif isinstance(stmt, (cst.Try, getattr(cst, "TryStar", cst.Try))):
                walk(stmt.body.body)
                for h in stmt.handlers:
                    walk(h.body.body)
                if stmt.orelse is not None:
                    walk(stmt.orelse.body.body)
                if stmt.finalbody is not None:
                    walk(stmt.finalbody.body.body)
            elif isinstance(stmt, (cst.With, cst.For, cst.While)):
                walk(stmt.body.body)

    walk(module.body)
    # A name both imported and assigned (`try: import jwt / except ImportError: jwt = None`)
    # keeps its import: that is what the code means when the import succeeds.
    names.defined.difference_update(names.imports)
    return names
