"""What a check sees of one file during the per-file phase."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper

from fastauthlint.findings import Finding, Severity, Span
from fastauthlint.project.names import ModuleNames
from fastauthlint.positions import Positions

if TYPE_CHECKING:  # types only: importing them would close an import circle
    from fastauthlint.config import Config

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.pyi?$|_tests?\.pyi?$|(^|/)conftest\.py$")


_DOCS_PATH = re.compile(r"(^|/)(docs?|docs_src|documentation)/", re.I)


def is_documentation_path(rel_path: str) -> bool:
    """Code under docs/, docs_src/ or documentation/: examples for readers, never deployed. Its
    findings are reported with the severity of test code (see findings.TEST_CODE_SEVERITY)."""
    return _DOCS_PATH.search(rel_path) is not None


_EXAMPLE_PATH = re.compile(r"(^|/)(examples?|demos?|tutorials?)/", re.I)
_SCRIPT_PATH = re.compile(r"(^|/)(scripts?|bin|devtools?|hack|benchmarks?)/", re.I)
# `if __name__ == "__main__":` at the top level: what follows runs only when the file is executed
# as a script (manual test blocks, one-off maintenance), never when the application imports it.
_MAIN_TEST = r"""(__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__)"""
_MAIN_GUARD = re.compile(r"^if\s+" + _MAIN_TEST + r"\s*:")
# the same test as an `if` statement's condition (programs.py reads the parsed module)
MAIN_GUARD_TEST = re.compile(r"^\s*" + _MAIN_TEST + r"\s*$")


def is_example_path(rel_path: str) -> bool:
    """Example and demo code (`examples/`, `demo/`, `tutorials/`): written for readers
    of a library or template, not deployed; reported like documentation code."""
    return _EXAMPLE_PATH.search(rel_path) is not None


def is_script_path(rel_path: str) -> bool:
    """Standalone scripts and development tooling (`scripts/`, `bin/`, `benchmarks/`):
    run by developers, not served by the application."""
    return _SCRIPT_PATH.search(rel_path) is not None


def main_guard_lines(lines: Sequence[str]) -> Tuple[int, int]:
    """(first, last) 1-based lines of a top-level `if __name__ == "__main__":` block, or (0, -1)
    when there is none: the block ends at the next line of code at column 0."""
    for i, line in enumerate(lines):
        if _MAIN_GUARD.match(line):
            end = len(lines)
            for j in range(i + 1, len(lines)):
                text = lines[j]
                if text and not text[0].isspace() and not text.startswith("#"):
                    end = j
                    break
            return i + 1, end
    return 0, -1


def is_test_path(rel_path: str) -> bool:
    """Test code by the usual conventions: tests/ or test/ directories, test_*.py, *_test.py,
    conftest.py."""
    return _TEST_PATH.search(rel_path) is not None


_LOWERED: Dict["re.Pattern[str]", Optional["re.Pattern[str]"]] = {}


def _lowered(pattern: "re.Pattern[str]") -> Optional["re.Pattern[str]"]:
    """The same pattern without IGNORECASE, for lower-cased ASCII text; None when `pattern` is
    not case-insensitive or is more than ASCII words, alternatives, `?` and `[-_]` (a letter
    escape such as `\\S`, or a class with letters, would change meaning once lowered)."""
    if pattern not in _LOWERED:
        text = pattern.pattern
        simple = (bool(pattern.flags & re.IGNORECASE) and isinstance(text, str) and text.isascii()
                  and not re.search(r"\\[A-Za-z]|\(\?", text) and "[" not in text.replace("[-_]", ""))
        _LOWERED[pattern] = re.compile(text.lower(), pattern.flags & ~re.IGNORECASE) if simple else None
    return _LOWERED[pattern]


def _shadowed_defs(module: cst.Module) -> Dict[int, str]:
    """{id(def node): key} for every function definition shadowed by a later one of the same name
    in the same scope (module, class or function body, through if/try/with/loop blocks)."""
    keys: Dict[int, str] = {}

    def scope(body) -> None:
        defs: Dict[str, List[cst.FunctionDef]] = {}
        stack = list(body)
        while stack:
            stmt = stack.pop(0)
            if isinstance(stmt, cst.FunctionDef):
                defs.setdefault(stmt.name.value, []).append(stmt)
                scope(_body_of(stmt))
            elif isinstance(stmt, cst.ClassDef):
                scope(_body_of(stmt))
            elif isinstance(stmt, cst.BaseCompoundStatement):
                stack[0:0] = _blocks_of(stmt)
        for name, nodes in defs.items():
            for i, n in enumerate(nodes[:-1], 1):
                keys[id(n)] = f"{name}@{i}"

    scope(module.body)
    return keys


# the clauses of a compound statement that hold a block (`except*` only in newer libcst)
_CLAUSES = tuple(c for c in (cst.Else, cst.ExceptHandler, getattr(cst, "ExceptStarHandler", None), cst.Finally) if c)


def _body_of(node) -> list:
    body = node.body
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def _blocks_of(stmt: cst.BaseCompoundStatement) -> list:
    """The statements of an if/try/with/for/while, in source order (its nested blocks too)."""
    out: list = []
    for attr in ("body", "orelse", "handlers", "finalbody"):
        part = getattr(stmt, attr, None)
        if part is None:
            continue
        for p in (part if isinstance(part, (list, tuple)) else [part]):
            if isinstance(p, cst.IndentedBlock):
                out.extend(p.body)
            elif isinstance(p, _CLAUSES):
                out.extend(_body_of(p))
            elif isinstance(p, cst.If):  # elif
                out.append(p)
    return out


class FileContext:
    def __init__(self, path: str, rel: str, source: str, module: cst.Module, wrapper: MetadataWrapper,
                 names: ModuleNames, config: Config):
        self.path = path  # absolute POSIX path: the identity of the file in findings and facts
        self.rel = rel  # POSIX path relative to the project root (for per-file conventions)
        self.source = source
        self.module = module
        self.wrapper = wrapper  # for a check that needs other libcst metadata (none does)
        self.names = names
        self.config = config
        self.is_test = is_test_path(rel)
        self._positions = Positions(module, source)
        # The functions and classes the traversal is inside, outermost first (kept by
        # ImportTracker and ScopeCloser): where a span asked for during the traversal most likely
        # is, so that only that statement's positions are computed (positions.py).
        self.scopes: List[cst.CSTNode] = []
        self._lines: Optional[List[str]] = None
        self._lower: Optional[str] = None
        # Imports made inside functions, innermost last (kept by ImportTracker during traversal).
        self.local_imports: List[Dict[str, str]] = []
        # Column ranges of every secret literal a check found in this file (see mark_secret).
        self.secret_masks: List[Tuple[int, int, int]] = []
        self._def_keys: Optional[Dict[int, str]] = None

    # -- names ---------------------------------------------------------------------------------
    @property
    def module_name(self) -> str:
        return self.names.module

    def qualify(self, expr: cst.BaseExpression) -> Optional[str]:
        """Qualified dotted name of a Name/Attribute chain, from this file's imports and top-level
        definitions (see fastauthlint.project.names); None for locals, builtins and anything else."""
        merged: Dict[str, str] = {}
        for scope in self.local_imports:
            merged.update(scope)
        return self.names.qualify(expr, merged or None)

    def def_key(self, node: cst.FunctionDef) -> str:
        """The name a function is known by in the facts of every family: its own name, unless a
        later `def` of the same name in the same scope shadows it (two handlers both called
        `get_comments`, each registered by its decorator): then `name@1`, `name@2`... in source
        order, so that each definition keeps its own facts and the name resolves, as in Python,
        to the last one."""
        if self._def_keys is None:
            self._def_keys = _shadowed_defs(self.module)
        return self._def_keys.get(id(node), node.name.value)

    # -- text ----------------------------------------------------------------------------------
    def mentions(self, pattern: "re.Pattern[str]") -> bool:
        """Whether `pattern` occurs in the file's text (`pattern.search(source)`), the cheap way: a
        case-insensitive search is 5-10x slower than a plain one, so in an ASCII file a
        case-insensitive pattern of ASCII words is searched without the flag in the lower-cased
        text (the same answer: for ASCII characters, equal ignoring case is equal once lowered)."""
        plain = _lowered(pattern)
        if plain is None or not self.source.isascii():
            return pattern.search(self.source) is not None
        if self._lower is None:
            self._lower = self.source.lower()
        return plain.search(self._lower) is not None

    # -- positions -----------------------------------------------------------------------------
    def span(self, node: cst.CSTNode) -> Span:
        """Where `node` is (1-based lines and columns): libcst's PositionProvider range, computed
        on the first call for the function or class the traversal is in, else for the whole file
        (see fastauthlint.positions: about 0.4 of a parse), so only files where a check reports
        or records a location pay for it."""
        line, column, end_line, end_column = self._positions.range(node, self.scopes)
        return Span(line, column + 1, end_line, end_column + 1)

    @property
    def lines(self) -> List[str]:
        if self._lines is None:
            self._lines = self.source.splitlines()
        return self._lines

    def masks_for(self, node: cst.CSTNode) -> Tuple[Tuple[int, int, int], ...]:
        """Column ranges covering `node` (a literal holding a secret), one per line it spans."""
        s = self.span(node)
        if s.line == s.end_line:
            return ((s.line, s.column, s.end_column),)
        out = [(s.line, s.column, len(self.lines[s.line - 1]) + 1)]
        for ln in range(s.line + 1, s.end_line):
            out.append((ln, 1, len(self.lines[ln - 1]) + 1))
        out.append((s.end_line, 1, s.end_column))
        return tuple(out)

    def mark_secret(self, node: cst.CSTNode) -> Tuple[Tuple[int, int, int], ...]:
        """Record `node` as a secret literal: every finding shown on its lines masks it, whatever
        rule it belongs to and even when the secret's own finding is suppressed or deselected.
        Returns its masks (for `finding(..., masks=)`)."""
        masks = self.masks_for(node)
        self.secret_masks.extend(masks)
        return masks

    def finding(self, rule: str, node: cst.CSTNode, message: str, *, severity: Optional[Severity] = None,
                masks: Sequence[Tuple[int, int, int]] = (), extra: Optional[dict] = None) -> Finding:
        return Finding(rule=rule, path=self.path, span=self.span(node), message=message,
                       severity=severity, masks=tuple(masks), extra=dict(extra or {}))


_VISITOR_METHODS: Dict[type, Tuple[str, ...]] = {}


class BatchedVisitor(cst.BatchableCSTVisitor):
    """A batchable visitor whose visit_/leave_ method names are found once per class. libcst's
    own get_visitors runs inspect.getmembers on the instance for every file, which cost about a
    third of a whole run."""

    def get_visitors(self):
        cls = type(self)
        names = _VISITOR_METHODS.get(cls)
        if names is None:
            names = tuple(n for n in dir(cls) if n.startswith(("visit_", "leave_"))
                          and callable(getattr(cls, n)) and not getattr(getattr(cls, n), "_is_no_op", False))
            _VISITOR_METHODS[cls] = names
        return {n: getattr(self, n) for n in names}


class ImportTracker(BatchedVisitor):
    """Runs first in the batched traversal and keeps FileContext.local_imports current, so that
    `from jose import jwt` inside a function is known to the checks visiting that function.
    Its ScopeCloser runs last, so every check's leave_FunctionDef still sees the function's imports."""

    def __init__(self, ctx: FileContext):
        super().__init__()
        self.ctx = ctx

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ctx.local_imports.append({})
        self.ctx.scopes.append(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.scopes.append(node)

    def visit_Import(self, node: cst.Import) -> None:
        if self.ctx.local_imports:
            self.ctx.names.add_import(node, into=self.ctx.local_imports[-1])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self.ctx.local_imports:
            self.ctx.names.add_import_from(node, into=self.ctx.local_imports[-1])


class ScopeCloser(BatchedVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__()
        self.ctx = ctx

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.ctx.local_imports.pop()
        self.ctx.scopes.pop()

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.ctx.scopes.pop()
