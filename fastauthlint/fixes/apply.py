"""Planning and applying the fixes of one file.

Every fixable finding of the file is planned against one fresh parse; the plans' transforms are
applied in a single bottom-up pass (a transform of a node sees its children already fixed, so a
`compare_digest` around an `os.environ[...]` that was a fallback composes), the imports the new
code needs are added, and the result is parsed again before it is accepted: a fix that would not
produce valid code is dropped, and so is a file that could not be parsed in the first place.
"""

from __future__ import annotations

import io
import os
import tokenize
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint.analysis import decode_source
from fastauthlint.findings import Finding
from fastauthlint.fixes import http, jwt, secrets
from fastauthlint.fixes.context import SAFE, FixContext, FixPlan, Transform
from fastauthlint.project.names import ModuleNames, collect_module_names

Planner = Callable[[Finding, FixContext], Optional[FixPlan]]
FIXERS: Dict[str, Planner] = {rule: module.plan for module in (jwt, http, secrets) for rule in module.RULES}


def fixable(rule: str) -> bool:
    return rule in FIXERS


def decode(path: str, data: bytes) -> Optional[Tuple[str, str]]:
    """(text, encoding) of a source file, or None when it cannot be decoded (never fixed)."""
    text, problem = decode_source(path, data)
    if text is None or problem is not None:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return None
    return text, encoding


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


def parse_context(path: str, text: str, module_name: str, is_package: bool, hints: object) -> Optional[FixContext]:
    """A FixContext for `text`, or None when it does not parse: a file with a syntax error is never
    touched."""
    try:
        module = cst.parse_module(text)
    except Exception:  # noqa: BLE001 - ParserSyntaxError, RecursionError, anything libcst refuses
        return None
    names: ModuleNames = collect_module_names(module, module_name, is_package)
    return FixContext(path, text, module, names, hints)


def plan_all(ctx: FixContext, findings: Sequence[Finding]) -> List[FixPlan]:
    """The plans of the findings that have a fix here (a planner that fails is no fix)."""
    out = []
    for f in findings:
        planner = FIXERS.get(f.rule)
        if planner is None:
            continue
        try:
            plan = planner(f, ctx)
        except Exception:  # noqa: BLE001 - a bug in a fixer must never cost the run; fail closed
            if os.environ.get("FASTAUTHLINT_DEBUG"):
                raise
            plan = None
        if plan is not None and plan.edits:
            out.append(plan)
    return out


class _Apply(cst.CSTTransformer):
    def __init__(self, edits: Dict[int, List[Transform]]):
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node, updated_node):
        for transform in self.edits.get(id(original_node), ()):
            updated_node = transform(updated_node)
        return updated_node


def apply_plans(ctx: FixContext, plans: Sequence[FixPlan]) -> Optional[str]:
    """The fixed source, or None when the plans do not produce valid code."""
    edits: Dict[int, List[Transform]] = {}
    imports: List[str] = []
    for plan in sorted(plans, key=lambda p: (p.finding.rule, p.finding.sort_key())):
        for node, transform in plan.edits:
            edits.setdefault(id(node), []).append(transform)
        imports.extend(i for i in plan.imports if i not in imports)
    try:
        module = ctx.module.visit(_Apply(edits))
        if imports:
            module = add_imports(module, imports)
        code = module.code
        cst.parse_module(code)
    except Exception:  # noqa: BLE001 - fail closed: the file stays as it was
        return None
    return code


def fix_text(ctx: FixContext, findings: Sequence[Finding], allow_unsafe: bool) -> Tuple[Optional[str], List[FixPlan]]:
    """(fixed source or None when nothing applies, the plans applied)."""
    plans = [p for p in plan_all(ctx, findings) if p.applicability == SAFE or allow_unsafe]
    if not plans:
        return None, []
    code = apply_plans(ctx, plans)
    if code is None or code == ctx.text:
        return None, []
    return code, plans


# -- imports -----------------------------------------------------------------------------------

def add_imports(module: cst.Module, statements: Sequence[str]) -> cst.Module:
    """`module` with `import x` statements added where a person would put them: in alphabetical
    order among the module's plain imports; else before its first import (a blank line between);
    else after the docstring and `from __future__` imports. Comments above the place taken stay
    on top."""
    body = list(module.body)
    for text in statements:
        new = cst.parse_statement(text + "\n")
        name = text.split()[-1]
        head = _header_end(body)
        imports = [i for i in range(head, len(body)) if _is_import(body[i])]
        plain = [i for i in imports if isinstance(body[i].body[0], cst.Import)]
        if plain and _block_contiguous(body, plain):
            later = [i for i in plain if _import_name(body[i]) > name]
            index, first, gap = (later[0] if later else plain[-1] + 1), plain[0], []
        else:
            index = first = imports[0] if imports else head
            gap = [cst.EmptyLine()]
        if index == first and index < len(body):
            new = new.with_changes(leading_lines=body[index].leading_lines)
            body[index] = body[index].with_changes(leading_lines=gap)
        elif index == len(body) and head > 0:
            new = new.with_changes(leading_lines=[cst.EmptyLine()])
        body.insert(index, new)
    return module.with_changes(body=body)


def _is_import(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 \
        and isinstance(stmt.body[0], (cst.Import, cst.ImportFrom))


def _import_name(stmt: cst.SimpleStatementLine) -> str:
    imp = stmt.body[0]
    assert isinstance(imp, cst.Import)
    return cst.Module([]).code_for_node(imp.names[0].name)


def _block_contiguous(body: List[cst.CSTNode], indexes: List[int]) -> bool:
    """Are the plain imports one block of imports (no code between them)?"""
    return all(_is_import(body[i]) for i in range(indexes[0], indexes[-1] + 1))


def _header_end(body: List[cst.CSTNode]) -> int:
    """Index after the module docstring and the `from __future__` imports."""
    i = 0
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) \
            and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        i = 1
    while i < len(body) and _is_import(body[i]) and isinstance(body[i].body[0], cst.ImportFrom) \
            and body[i].body[0].module is not None and cst.Module([]).code_for_node(body[i].body[0].module) == "__future__":
        i += 1
    return i
