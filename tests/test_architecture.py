"""The shape of the package, as docs/architecture.md promises it: one package per rule family with
the module that decides each rule named for it, small modules and classes, no import circles."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import fastauthlint
from fastauthlint.checks import all_checks, rule_module
from fastauthlint.rules import all_rules

PACKAGE = Path(fastauthlint.__file__).resolve().parent
MAX_MODULE_LINES = 800
MAX_CLASS_LINES = 400


def _modules() -> Dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _type_checking_only(tree: ast.AST) -> Set[int]:
    skip: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                skip.update(id(n) for n in ast.walk(stmt))
    return skip


def _imports(modules: Dict[str, Path]) -> Dict[str, Set[str]]:
    """Every import of a package module, wherever it is written (function bodies too), except
    those only type checkers see. `from pkg import sub` depends on `pkg.sub`, not on `pkg`."""
    edges: Dict[str, Set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                edges[name].update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules]
                edges[name].update(subs)
                if target in modules and len(subs) < len(node.names):
                    edges[name].add(target)
    return edges


def _cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on: Set[str] = set()
    out: List[List[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    assert _cycles(_imports(_modules())) == []


def test_modules_and_classes_stay_small():
    too_big = []
    for name, path in sorted(_modules().items()):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_big.append(f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert too_big == []


def test_every_family_is_a_package_and_every_rule_has_its_module():
    modules = _modules()
    for check in all_checks():
        family = ".".join(type(check).__module__.split(".")[:3])
        assert modules[family].name == "__init__.py", f"{family} is not a package"
    for rule in all_rules().values():
        if not rule.implemented:
            continue
        module = rule_module(rule.id, rule.name)
        assert module is not None, f"{rule.id} {rule.name}: no module named for it"
        if rule.id not in ("FAL000", "FAL001"):
            assert module.rsplit(".", 1)[1] == rule.name.replace("-", "_")


def test_exact_type_tests_name_leaf_libcst_classes():
    """`type(node) is cst.X` (used on hot paths instead of isinstance, whose failed tests go
    through ABCMeta.__instancecheck__) equals `isinstance` only when X is a concrete libcst class
    nothing subclasses: an abstract base (BaseExpression, BaseString, BaseSuite ...) would never match."""
    import inspect

    import libcst as cst

    def cst_names(node: ast.AST):
        for n in node.elts if isinstance(node, ast.Tuple) else [node]:
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "cst":
                yield n.attr

    named: Set[str] = set()
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Call) and \
                    isinstance(node.left.func, ast.Name) and node.left.func.id == "type":
                for comp in node.comparators:
                    named.update(cst_names(comp))
    assert named, "no exact type tests found: the pattern above is stale"
    for name in sorted(named):
        cls = getattr(cst, name)
        assert not inspect.isabstract(cls) and not cls.__subclasses__(), name
