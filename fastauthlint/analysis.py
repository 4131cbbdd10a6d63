"""The per-file phase: read, decode, parse once, run every check's visitor in one traversal.

Runs in worker processes; everything it returns is plain data (FileResult), which is also what the
cache stores. Whatever the file holds, the result is a FileResult: a file that cannot be read,
decoded or parsed yields one FAL000 finding saying why, and the run goes on.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper

from fastauthlint.config import Config
from fastauthlint.context import FileContext, ImportTracker, ScopeCloser
from fastauthlint.findings import Finding, Span
from fastauthlint.names import ModuleNames, collect_module_names
from fastauthlint.suppress import Suppression, parse_suppressions

UNPARSEABLE = "FAL000"
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass
class FileResult:
    path: str  # absolute POSIX path
    rel: str  # relative to the project root
    digest: str
    names: Optional[ModuleNames] = None  # None when the file could not be parsed
    facts: Dict[str, Any] = field(default_factory=dict)  # check name -> that check's facts
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


def decode_source(path: str, data: bytes) -> Tuple[Optional[str], Optional[Finding]]:
    """Text of a Python source file by its PEP 263 declaration (or BOM, or UTF-8), or FAL000."""
    if b"\0" in data:
        line, col = _line_col(data, data.index(b"\0"))
        return None, _fal000(path, "file contains NUL bytes; not Python source text", line, col)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        return None, _fal000(path, f"invalid encoding declaration: {e.msg if hasattr(e, 'msg') else e}")
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
    if text.startswith(codecs.BOM_UTF8.decode("utf-8")):
        text = text[1:]
    return text, None


def _syntax_error(path: str, text: str, err: "cst.ParserSyntaxError") -> Finding:
    """The clearest explanation available. CPython's own parser (ast.parse only builds a tree; it
    runs nothing) names the real mistake ("'(' was never closed") where libcst's native parser
    reports the token it stopped at; libcst's text is kept when this Python parses the file fine
    (syntax newer than the interpreter is not an error)."""
    import ast
    import re
    import warnings

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
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        result.findings.append(_syntax_error(path, text, e))
        result.error = "syntax"
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
    result.names = names
    result.suppressions = parse_suppressions(text)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ctx = FileContext(path, rel, text, module, wrapper, names, config)
    visitors = []
    for check in all_checks():
        v = check.visitor(ctx)
        if v is not None:
            visitors.append((check, v))
    try:
        wrapper.visit_batched([ImportTracker(ctx), *(v for _, v in visitors), ScopeCloser(ctx)])
        for check, v in visitors:
            result.findings.extend(v.findings)
            facts = v.facts()
            if facts is not None:
                result.facts[check.name] = facts
        result.masks = sorted(set(ctx.secret_masks))
    except RecursionError:
        result.findings.append(_fal000(path, "too deeply nested to analyse"))
        result.error = "recursion"
    except Exception as e:  # a bug in a check must not end the run; it is reported, not hidden
        result.findings.append(_fal000(path, f"internal error while analysing this file "
                                             f"({type(e).__name__}: {e}); please report it"))
        result.error = "internal"
    return result


def analyze_path(path: Path, rel: str, module_name: str, is_package: bool, config: Config,
                 data: Optional[bytes] = None, digest: str = "") -> FileResult:
    p = path.as_posix()
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
