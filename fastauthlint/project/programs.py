"""Modules that run as programs for the person who starts them (developer scripts), not as part
of the application: what a script prints is its output to its operator, not a log, and a token it
decodes to show its claims grants nothing.

A module is a *script* when the code shows both halves:

- per file (`program_evidence`, once per file at parse time, kept in `ModuleNames.program`): it
  runs as a program — a top-level `if __name__ == "__main__":`, a `#!` line, top-level statements
  that do the work (`asyncio.run(main())`, `main()`, a `try:` around calls), a command line
  (`argparse`, `click`, `typer`) — and it serves nothing: it builds no FastAPI/Starlette app or
  router, declares no route, starts no server or worker (`uvicorn.run(app)` under the guard of the
  application's own module is the application);
- across the project (`scripts`): no module of the application imports it (an import from a
  test, or from another script, does not count: they are not the application).

Families that treat a script's output differently hold the findings they would drop (`Held`) in
their facts and report them when linking unless the file is a script (`release`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.context import MAIN_GUARD_TEST, is_test_path
from fastauthlint.findings import Finding, Severity, Span
from fastauthlint.positions import code_for_node
from fastauthlint.project.names import ModuleNames, dotted

if TYPE_CHECKING:  # types only: importing it would close an import circle
    from fastauthlint.project.model import Project

# Serving: an application or router object, a route, a server or worker started, a task queue's
# task. Read in the text (a comment mentioning one keeps a file out: the cautious side).
_SERVES = re.compile(
    r"\b(FastAPI|APIRouter|Starlette|Flask|Blueprint|Celery|Dramatiq|Quart|Sanic|Litestar|Router)\s*\("
    r"|^\s*@\s*[\w.]+\.(get|post|put|patch|delete|head|options|api_route|route|websocket|middleware"
    r"|exception_handler|on_event|task|actor|lifespan)\s*\("
    r"|^\s*@\s*(shared_task|task|actor|dramatiq\.actor)\b"
    r"|\b(uvicorn|hypercorn|gunicorn|granian|daphne|streamlit|gradio)\b|\b(run_worker|worker_main|serve_forever|run_app)\s*\(",
    re.M)
_RUNNERS = frozenset({"asyncio.run", "anyio.run", "trio.run", "uvloop.run", "fire.Fire"})
_CLI_ROOTS = ("argparse", "click", "typer", "fire", "docopt")
_CLI_USE = re.compile(r"\bArgumentParser\s*\(|@\s*\w+\.(command|group)\b|\bTyper\s*\(|\bFire\s*\(|\bdocopt\s*\(")


def program_evidence(module: cst.Module, source: str, names: ModuleNames) -> str:
    """How the module runs as a program (as shown in messages), or "" when it does not, or when it
    serves (an app, a router, a route, a server or a worker: the application), or when it is a
    component of its package (a class deriving from one of the package's own: a plug-in the
    application may load by name, whose `__main__` block is a manual test)."""
    # the evidence first: most modules show none, and then the whole-text search is not needed
    evidence = _runs_as_program(module, source, names.imports)
    if not evidence or _SERVES.search(source) or _extends_own_package(module, names):
        return ""
    return evidence


def _runs_as_program(module: cst.Module, source: str, imports: Dict[str, str]) -> str:
    if source.startswith("#!") and "python" in source.split("\n", 1)[0]:
        return "a `#!` line"
    defined = {s.name.value for s in module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
    for stmt in module.body:
        if isinstance(stmt, cst.If) and MAIN_GUARD_TEST.match(code_for_node(module, stmt.test)):
            return '`if __name__ == "__main__":`'
    for stmt in module.body:
        work = _top_level_work(stmt, defined, imports)
        if work:
            return work
    if any(v.split(".")[0] in _CLI_ROOTS for v in imports.values()) and _CLI_USE.search(source):
        return "a command line"
    return ""


def _extends_own_package(module: cst.Module, names: ModuleNames) -> bool:
    packages = set(names.module.split(".")[:-1])  # `keep.providers.github` -> keep, providers
    if not packages:
        return False  # a module at the root has no package to be part of
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            for base in stmt.bases:
                q = names.qualify(base.value)
                if q is not None and q.split(".")[0] in packages:
                    return True
    return False


def _top_level_work(stmt: cst.CSTNode, defined: Set[str], imports: Dict[str, str]) -> str:
    """A top-level statement that does the program's work: a call of the module's own function or
    of an event loop runner (`main()`, `asyncio.run(main())`), output (`print(...)`), or a
    `try`/`for`/`while`/`with` block around such calls."""
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
            if isinstance(value, cst.Await):
                value = value.expression
            if not isinstance(value, cst.Call):
                continue
            func = value.func
            name = astutil.name_of(func) if isinstance(func, cst.Name) else None
            q = dotted(func)
            if q is not None:
                head, _, rest = q.partition(".")
                q = f"{imports.get(head, head)}.{rest}" if rest else imports.get(head, head)
            if q in _RUNNERS:
                return f"`{q}(...)` at the top level"
            if name is not None and (name in defined or name in ("print", "input")) and isinstance(small, cst.Expr):
                return f"`{name}(...)` at the top level"
        return ""
    if isinstance(stmt, (cst.Try, cst.For, cst.While, cst.With)):
        for inner in stmt.body.body:
            if isinstance(inner, cst.SimpleStatementLine) and any(
                    isinstance(s, cst.Expr) and isinstance(s.value, cst.Call) and astutil.name_of(s.value.func) == "print"
                    for s in inner.body):
                return "statements at the top level that do its work"
            if _top_level_work(inner, defined, imports):
                return "statements at the top level that do its work"
    return ""


# -- across the project ---------------------------------------------------------------------

def scripts(project: "Project") -> Dict[str, str]:
    """The project's script modules (path -> how it runs as a program): modules that run as
    programs and serve nothing, which no module of the application imports."""
    return project.memo("programs.scripts", lambda: _scripts(project))


def _scripts(project: "Project") -> Dict[str, str]:
    candidates: Dict[str, str] = {}
    for path, res in project.results.items():
        names = res.names
        if names is not None and names.program and not is_test_path(res.rel):
            candidates[path] = names.program
    if not candidates:
        return {}
    importers: Dict[str, Set[str]] = {p: set() for p in candidates}
    for path, res in project.results.items():
        names = res.names
        if names is None or is_test_path(res.rel):
            continue
        for dotted_name in names.modules | set(names.star_imports):
            target = _module_file(project, dotted_name, path)
            if target in importers and target != path:
                importers[target].add(path)
    # A script imported only by other scripts is still a script; one imported by the application
    # is part of it, and so is what it imports in turn.
    out = dict(candidates)
    changed = True
    while changed:
        changed = False
        for path in list(out):
            if any(i not in out for i in importers[path]):
                del out[path]
                changed = True
    return out


def _module_file(project: "Project", dotted_name: str, near: str) -> Optional[str]:
    """The project file of an imported module (`a.b.c`, or `a.b` for `from a.b import c` when
    `c` is a name in it)."""
    path = project.module_path(dotted_name, near)
    if path is None and "." in dotted_name:
        path = project.module_path(dotted_name.rsplit(".", 1)[0], near)
    return path


# -- findings a family drops in a script ------------------------------------------------------

@dataclass
class Held:
    """A finding held back in the per-file phase because the file may be a script: reported when
    linking unless it is one."""

    rule: str
    span: Tuple[int, int, int, int]
    message: str
    severity: str = ""  # "" for the rule's default


def hold(finding: Finding) -> Held:
    s = finding.span
    return Held(finding.rule, (s.line, s.column, s.end_line, s.end_column), finding.message,
                finding.severity.value if finding.severity is not None else "")


def release(project: "Project", path: str, held: List[Held]) -> List[Finding]:
    """The held findings of `path`, unless it is a script module."""
    if not held or path in scripts(project):
        return []
    return [Finding(rule=h.rule, path=path, span=Span(*h.span), message=h.message,
                    severity=Severity(h.severity) if h.severity else None) for h in held]
