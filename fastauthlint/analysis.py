"""The per-file phase: read, decode, parse once, run the project model's collector and every
check's visitor in one traversal.

Runs in worker processes; everything it returns is plain data (FileResult), which is also what the
cache stores. Whatever the file holds, the result is a FileResult: a file that cannot be read,
decoded or parsed yields one FAL000 finding saying why, and the run goes on.
"""

from __future__ import annotations

import ast
import codecs
import re
import signal
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper

from fastauthlint.config import Config
from fastauthlint.context import FileContext, ImportTracker, ScopeCloser
from fastauthlint.findings import Finding, Span
from fastauthlint.project.collect import FactsCollector
from fastauthlint.project.names import ModuleNames, collect_module_names
from fastauthlint.project.programs import program_evidence
from fastauthlint.project.collect_unreached import FACTS_KEY as UNREACHED_KEY, UnreachedCollector
from fastauthlint.project.store import FACTS_KEY, pack as pack_facts
from fastauthlint.suppress import Suppression, parse_suppressions
from fastauthlint.walk import walk_batched

UNPARSEABLE = "FAL000"
MAX_FILE_BYTES = 10 * 1024 * 1024
# libcst's native parser crashes the process (stack overflow) or runs for minutes on expressions
# a few thousand levels deep; CPython's own parser refuses brackets deeper than 200. Files past
# these bounds are reported instead of parsed.
MAX_TREE_DEPTH = 1000
_HAZARD_OPS, _HAZARD_BRACKETS = 400, 60
_UNSAFE_OPS = 2500  # operators in one statement past which libcst is not given a file CPython cannot measure
_SCAN = re.compile(
    # The look-ahead lists every character a token below can start with: it changes no match,
    # but lets the regex engine pass other positions without trying each alternative (~2x faster).
    r"""(?=[\[\](){}\n#'"rRbBuUfFtT\-+*/%@&|^~.<>nailo])(?:"""
    r"""(?P<s>[rRbBuUfFtT]{0,2}(?:'''(?:\\.|[^\\])*?'''|"{3}(?:\\.|[^\\])*?"{3}"""
    r"""|"(?:\\.|[^\\"\n])*"|'(?:\\.|[^\\'\n])*'))"""
    r"""|(?P<c>\#[^\n]*)|(?P<o>[\[({])|(?P<x>[\])}])|(?P<n>\n)"""
    r"""|(?P<op>\*\*|//|<<|>>|[-+*/%@&|^~.]|\b(?:not|and|or|if|lambda|await)\b))"""
)


@dataclass
class FileResult:
    path: str  # absolute POSIX path
    rel: str  # relative to the project root
    digest: str
    names: Optional[ModuleNames] = None  # None when the file could not be parsed
    # the project model's facts (under store.FACTS_KEY) and each check's, by check name
    facts: Dict[str, Any] = field(default_factory=dict)
    findings: List[Finding] = field(default_factory=list)
    suppressions: List[Suppression] = field(default_factory=list)
    # Column ranges (line, start, end) of secret literals: masked in any finding's source line.
    masks: List[Tuple[int, int, int]] = field(default_factory=list)
    # Public-by-design and similar markers are check facts; this is only for FAL000.
    error: Optional[str] = None


def _fal000(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(rule=UNPARSEABLE, path=path, span=Span(line, column, line, column), message=message)


def _line_col(data: bytes, offset: int) -> Tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    return line, offset - (before.rfind(b"\n") + 1) + 1


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _declared_encoding(data: bytes) -> str:
    """PEP 263: a BOM, or a coding declaration on one of the first two lines, else UTF-8.
    (tokenize.detect_encoding would refuse a file whose first lines are not UTF-8 before we can
    say where the bad byte is.)"""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for line in data.split(b"\n", 2)[:2]:
        m = _CODING.match(line)
        if m:
            return m.group(1).decode("ascii", "replace")
        if line.strip() and not line.lstrip().startswith(b"#"):
            break  # the declaration must come before any code
    return "utf-8"


def decode_source(path: str, data: bytes) -> Tuple[Optional[str], Optional[Finding]]:
    """Text of a Python source file by its PEP 263 declaration (or BOM, or UTF-8), or FAL000."""
    if b"\0" in data:
        line, col = _line_col(data, data.index(b"\0"))
        return None, _fal000(path, "file contains NUL bytes; not Python source text", line, col)
    encoding = _declared_encoding(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        if isinstance(e, UnicodeDecodeError):
            line, col = _line_col(data, e.start)
            byte = data[e.start : e.start + 1].hex()
            return None, _fal000(
                path,
                f"cannot decode as {encoding}: byte 0x{byte} at line {line}, column {col}; "
                "save the file as UTF-8 or declare its encoding (`# -*- coding: latin-1 -*-`)",
                line, col,
            )
        return None, _fal000(path, f"unknown encoding {encoding!r}")
    return text, None


def _nesting_problem(text: str) -> Optional[Tuple[str, int, int]]:
    """(message, line, column) when the file is too deep to parse safely, else None.

    A regex scan (C speed) flags the rare file with deep brackets or a statement made of hundreds
    of operators; only those are parsed with CPython's `ast` (robust against depth: it raises
    instead of crashing) and measured exactly."""
    depth = max_depth = ops = max_ops = 0
    for m in _SCAN.finditer(text):
        kind = m.lastgroup
        if kind == "o":  # also an operator: `f()()()` chains calls as deep as `a+b+c` chains adds
            depth += 1
            max_depth = max(max_depth, depth)
            ops += 1
            max_ops = max(max_ops, ops)
        elif kind == "x":
            depth = max(0, depth - 1)
        elif kind == "n":
            if depth == 0:
                ops = 0
        elif kind in ("op", "s"):  # adjacent strings nest like operators in libcst's tree
            ops += 1
            max_ops = max(max_ops, ops)
    if max_depth < _HAZARD_BRACKETS and max_ops < _HAZARD_OPS:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except SyntaxError as e:
        if "too many nested" in str(e.msg) or max_ops > _UNSAFE_OPS:
            return f"syntax error: {e.msg}", e.lineno or 1, max(1, e.offset or 1)
        # Syntax newer than this interpreter (`type X = ...` on 3.11): libcst's grammar decides,
        # and the scan above bounds what it will be given.
        return None
    except (RecursionError, MemoryError):
        return f"too deeply nested to analyse (more than {MAX_TREE_DEPTH} levels)", 1, 1
    deepest, where = 0, (1, 1)
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest = d
            where = (getattr(node, "lineno", where[0]), getattr(node, "col_offset", where[1] - 1) + 1)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    if deepest > MAX_TREE_DEPTH:
        return f"too deeply nested to analyse ({deepest} levels; the limit is {MAX_TREE_DEPTH})", where[0], where[1]
    return None


# Jinja / cookiecutter markup: `{{ cookiecutter.project_slug }}`, `{% if use_auth %}`, `{#- note #}`.
_TEMPLATE_MARKUP = re.compile(r"\{\{[^{}\n]*\}\}|\{%-?\s*\w[^\n]*?%\}|\{#[^\n]*?#\}")


def is_template(rel: str, text: str) -> bool:
    """A `.py` file that is a template (a project generator's or a Jinja one), not Python: asked
    only of files that do not parse."""
    return "{{" in rel or _TEMPLATE_MARKUP.search(text) is not None


def template_root(rel: str) -> str:
    """The directory a template file belongs to: the outermost directory whose name is itself
    template markup (`{{cookiecutter.project_slug}}`), else the file's own directory."""
    parts = rel.split("/")[:-1]
    for i, part in enumerate(parts):
        if "{{" in part or "{%" in part:
            return "/".join(parts[: i + 1])
    return "/".join(parts)


def _syntax_error(path: str, text: str, err: "cst.ParserSyntaxError") -> Finding:
    """The clearest explanation available. CPython's own parser (ast.parse only builds a tree; it
    runs nothing) names the real mistake ("'(' was never closed") where libcst's native parser
    reports the token it stopped at; libcst's text is kept when this Python parses the file fine
    (syntax newer than the interpreter is not an error)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as e:
        line = e.lineno or 1
        col = e.offset or 1
        return _fal000(path, f"syntax error: {e.msg}", line, max(1, col))
    except (ValueError, RecursionError, MemoryError):
        pass
    msg = str(err.message).replace("parser error: ", "")
    m = re.search(r"error at (\d+):(\d+)", msg)
    line, col = (int(m.group(1)), int(m.group(2)) + 1) if m else (err.raw_line, err.raw_column + 1)
    return _fal000(path, f"syntax error: {msg}", line, col)


def analyze_source(path: str, rel: str, digest: str, text: str, module_name: str, is_package: bool,
                   config: Config) -> FileResult:
    from fastauthlint.checks import all_checks

    result = FileResult(path=path, rel=rel, digest=digest)
    deep = _nesting_problem(text)
    if deep is not None:
        result.findings.append(_fal000(path, *deep))
        result.error = "syntax" if deep[0].startswith("syntax") else "recursion"
        if result.error == "syntax" and is_template(rel, text):
            result.error = "template"
        return result
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        result.findings.append(_syntax_error(path, text, e))
        result.error = "template" if is_template(rel, text) else "syntax"
        return result
    except RecursionError:
        result.findings.append(_fal000(path, "too deeply nested to parse"))
        result.error = "recursion"
        return result
    except Exception as e:  # libcst may raise other errors on pathological input
        result.findings.append(_fal000(path, f"cannot parse: {type(e).__name__}: {e}"))
        result.error = "parser"
        return result

    names = collect_module_names(module, module_name, is_package)
    names.program = program_evidence(module, text, names)  # once per file: FAL401 and FAL502 ask
    result.names = names
    result.suppressions = parse_suppressions(text)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ctx = FileContext(path, rel, text, module, wrapper, names, config)
    collector = FactsCollector(ctx)  # what the project model knows of this file
    unreached = UnreachedCollector(ctx)  # what may never run (project/unreached.py)
    visitors = []
    for check in all_checks():
        v = check.visitor(ctx)
        if v is not None:
            visitors.append((check, v))
    try:
        # One read-only traversal for every visitor: the same visit_/leave_ calls, in the same
        # order, as libcst's MetadataWrapper.visit_batched, without rebuilding the tree (walk.py).
        walk_batched(module, [ImportTracker(ctx), collector, unreached, *(v for _, v in visitors), ScopeCloser(ctx)])
        result.facts[FACTS_KEY] = pack_facts(collector.facts())
        result.facts[UNREACHED_KEY] = unreached.facts()
        for check, v in visitors:
            result.findings.extend(v.findings)
            facts = v.facts()
            if facts is not None:
                result.facts[check.name] = check.store(facts)
        result.masks = sorted(set(ctx.secret_masks))
    except RecursionError:
        result.findings.append(_fal000(path, "too deeply nested to analyse"))
        result.error = "recursion"
    except Exception as e:  # a bug in a check must not end the run; it is reported, not hidden
        result.findings.append(_fal000(path, f"internal error while analysing this file "
                                             f"({type(e).__name__}: {e}); please report it"))
        result.error = "internal"
    return result


class _TimeLimit(BaseException):
    """Not an Exception: the `except Exception` guards around checks must not swallow it."""


@contextmanager
def _time_limit(seconds: int):
    """Raise _TimeLimit in this thread after `seconds` (a pathological file must not hang the run).
    Only where a real-time timer can interrupt: the main thread on a system with SIGALRM (worker
    processes and the command line; not the language server's threads, nor Windows)."""
    if (seconds <= 0 or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def expired(signum, frame):
        raise _TimeLimit()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def analyze_path(path: Path, rel: str, module_name: str, is_package: bool, config: Config,
                 data: Optional[bytes] = None, digest: str = "") -> FileResult:
    p = path.as_posix()
    try:
        with _time_limit(config.file_timeout):
            return _analyze_path(path, p, rel, module_name, is_package, config, data, digest)
    except _TimeLimit:
        return FileResult(path=p, rel=rel, digest=digest, error="timeout", findings=[_fal000(
            p, f"analysis did not finish within {config.file_timeout} s (`file-timeout`); the file was "
               "skipped: please report it")])


def _analyze_path(path: Path, p: str, rel: str, module_name: str, is_package: bool, config: Config,
                  data: Optional[bytes], digest: str) -> FileResult:
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as e:
            return FileResult(path=p, rel=rel, digest="", error="read",
                              findings=[_fal000(p, f"cannot read file: {e.strerror or e}")])
    if len(data) > MAX_FILE_BYTES:
        return FileResult(path=p, rel=rel, digest=digest, error="size",
                          findings=[_fal000(p, f"file is larger than {MAX_FILE_BYTES // 2**20} MiB; skipped")])
    text, problem = decode_source(p, data)
    if problem is not None:
        return FileResult(path=p, rel=rel, digest=digest, error="decode", findings=[problem])
    return analyze_source(p, rel, digest, text, module_name, is_package, config)
