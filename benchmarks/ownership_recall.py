"""Planted-bug recall of the ownership family (issue 11): remove one owner check at a time from a
real project and see whether FAL201/FAL202 notices.

For each project: find the owner checks in its code (an owner filter in a `where`/`filter`/
`filter_by`/`find` call, `if row.owner_id != user.id: raise ...`, an owner placeholder in SQL),
copy the project to a temporary directory, remove one check, lint the copy (`--no-cache`, the
ownership rules only) and record whether a FAL201/FAL202 finding that the unmodified project does
not have appears in the mutated file or names it. Recall is reported per idiom.

A check the linter does not need (dead code, a second check of the same rows, a route not
analysed) also counts as "not found": read the misses before fixing anything. Nothing of the
projects is written anywhere but the temporary copy; results name repository-relative paths only.

    python benchmarks/ownership_recall.py /work/corpus10/proj /work/heldout11/other \
        --max-per-project 10 --json /tmp/recall.json
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

OWNER_COLS = ("owner_id", "user_id", "created_by_id", "author_id", "owner", "user", "created_by", "author",
              "account_id", "customer_id", "seller_id", "buyer_id")
OWNER_ATTR = re.compile(r"^(%s)$" % "|".join(OWNER_COLS))
# an expression naming the caller: `current_user.id`, `user.id`, `me`, `auth.user_id`, `claims["sub"]`
CALLER = re.compile(r"current_user|\buser\b|\bme\b|principal|caller|claims|token_data|auth|session_user|payload",
                    re.I)
QUERY_CALLS = {"where", "filter", "filter_by", "find", "find_one", "find_many", "get_or_none", "first", "get",
               "exclude", "select", "update_one", "delete_one", "count_documents", "exists"}
SQL_OWNER = re.compile(r"(?i)\b(?:\w+\.)?(owner_id|user_id|created_by_id|author_id|account_id|customer_id)\s*=\s*"
                       r"(\$\d+|%s|%\(\w+\)s|:\w+|\?)")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "tests", "test", "migrations", "alembic", "docs", "examples"}


@dataclass
class Plant:
    file: str  # relative to the project
    line: int
    idiom: str  # orm-filter, kw-filter, dict-filter, if-deny, sql
    start: int  # character offsets of the text replaced
    end: int
    replacement: str
    text: str = ""
    # further edits of the same plant: the positional parameter bound to a removed `%s` / `?`
    extra: Tuple[Tuple[int, int, str], ...] = ()


@dataclass
class Outcome:
    project: str
    file: str
    line: int
    idiom: str
    text: str
    found: bool
    new: List[str]


def _offsets(src: str) -> List[int]:
    out, total = [0], 0
    for line in src.splitlines(keepends=True):
        total += len(line)
        out.append(total)
    return out


def _span(node, starts: List[int]) -> Tuple[int, int]:
    return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset


def _text(node, src: str, starts) -> str:
    a, b = _span(node, starts)
    return src[a:b]


def _mentions_caller(node, src, starts) -> bool:
    """A value that may be the caller's: anything but a literal (a helper's `owner_id` parameter
    is the caller's when its callers pass `current_user.id`; one that is not is reported already,
    and plants at reported lines are left out)."""
    if isinstance(node, ast.Constant):
        return False
    return bool(CALLER.search(_text(node, src, starts))) or isinstance(node, (ast.Name, ast.Attribute, ast.Subscript,
                                                                              ast.Call))


def _owner_side(node, column: bool = False) -> bool:
    """An owner attribute: of a model class in a query (`Note.owner_id`, column=True), of a row
    or document elsewhere (`note.owner_id`, `note["owner_id"]`)."""
    if isinstance(node, ast.Attribute):
        if column and not (isinstance(node.value, ast.Name) and node.value.id[:1].isupper()):
            return False
        return bool(OWNER_ATTR.match(node.attr))
    if column:
        return False
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return bool(OWNER_ATTR.match(node.slice.value))
    return False


def _arg_removal(call: ast.Call, idx: int, src: str, starts) -> Tuple[int, int, str]:
    """Remove the idx-th argument (positional then keywords, in source order) of a call; a call left
    without arguments loses itself (`q.where(c)` -> `q`) when it is a method call on a query."""
    args = sorted(list(call.args) + list(call.keywords), key=lambda n: (n.lineno, n.col_offset))
    if len(args) == 1:
        if isinstance(call.func, ast.Attribute) and call.func.attr in ("where", "filter", "exclude"):
            a = starts[call.func.value.end_lineno - 1] + call.func.value.end_col_offset
            _, b = _span(call, starts)
            return a, b, ""
        a, b = _span(args[0], starts)
        return a, b, ""
    a, b = _span(args[idx], starts)
    if idx + 1 < len(args):
        b = _span(args[idx + 1], starts)[0]
    else:
        a = _span(args[idx - 1], starts)[1]
    return a, b, ""


def find_plants(root: Path, rel: str) -> Iterator[Plant]:
    path = root / rel
    try:
        src = path.read_text(encoding="utf-8")
        tree = ast.parse(src)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return
    starts = _offsets(src)
    # `cursor.execute("... user_id = %s ...", (a, user_id, b))`: the tuple of a SQL string's call
    params_of = {id(c.args[0]): c.args[1] for c in ast.walk(tree) if isinstance(c, ast.Call) and len(c.args) >= 2
                 and isinstance(c.args[1], (ast.Tuple, ast.List))}
    for node in ast.walk(tree):
        # an owner filter given to a query call
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_CALLS:
            ordered = sorted(list(node.args) + list(node.keywords), key=lambda n: (n.lineno, n.col_offset))
            for i, a in enumerate(ordered):
                if isinstance(a, ast.Compare) and len(a.ops) == 1 and isinstance(a.ops[0], ast.Eq) and (
                        _owner_side(a.left, True) and _mentions_caller(a.comparators[0], src, starts)
                        or _owner_side(a.comparators[0], True) and _mentions_caller(a.left, src, starts)):
                    s, e, rep = _arg_removal(node, i, src, starts)
                    yield Plant(rel, a.lineno, "orm-filter", s, e, rep, _text(a, src, starts))
                elif isinstance(a, ast.keyword) and a.arg and OWNER_ATTR.match(a.arg) and \
                        _mentions_caller(a.value, src, starts):
                    s, e, rep = _arg_removal(node, i, src, starts)
                    yield Plant(rel, a.lineno, "kw-filter", s, e, rep, _text(a, src, starts))
                elif isinstance(a, ast.Dict):
                    for k, v in zip(a.keys, a.values):
                        if isinstance(k, ast.Constant) and isinstance(k.value, str) and OWNER_ATTR.match(k.value) \
                                and _mentions_caller(v, src, starts):
                            ks, _ = _span(k, starts)
                            _, ve = _span(v, starts)
                            if len(a.keys) == 1:
                                s, e = _span(a, starts)
                                yield Plant(rel, k.lineno, "dict-filter", s, e, "{}", _text(a, src, starts))
                            else:
                                rest = src[ve:]
                                m = re.match(r"\s*,", rest)
                                yield Plant(rel, k.lineno, "dict-filter", ks, ve + (m.end() if m else 0), "",
                                            src[ks:ve])
        # `if row.owner_id != user.id: raise ...` (alone, or with other conditions)
        if isinstance(node, ast.If) and node.body and isinstance(node.body[-1], (ast.Raise, ast.Return)) \
                and not node.orelse:
            for c in ast.walk(node.test):
                if isinstance(c, ast.Compare) and len(c.ops) == 1 and isinstance(c.ops[0], (ast.NotEq, ast.IsNot)) \
                        and (_owner_side(c.left) or _owner_side(c.comparators[0])) \
                        and _mentions_caller(node.test, src, starts):
                    s, e = _span(node, starts)
                    yield Plant(rel, node.lineno, "if-deny", s, e, "pass", _text(node.test, src, starts))
                    break
        # an owner placeholder in SQL
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(
                r"(?i)\b(select|update|delete)\b", node.value):
            s, e = _span(node, starts)
            seg = src[s:e]
            for m in SQL_OWNER.finditer(seg):
                extra: Tuple[Tuple[int, int, str], ...] = ()
                params = params_of.get(id(node))
                if m.group(2) in ("%s", "?") and params is not None:
                    k = len(re.findall(r"%s|\?", seg[:m.start()]))
                    if k < len(params.elts):
                        a, b = _span(params.elts[k], starts)
                        if k + 1 < len(params.elts):
                            b = _span(params.elts[k + 1], starts)[0]
                        elif k > 0:
                            a = _span(params.elts[k - 1], starts)[1]
                        extra = ((a, b, ""),)
                yield Plant(rel, node.lineno, "sql", s + m.start(), s + m.end(), "1 = 1", m.group(0), extra)


def project_files(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(".py") and not f.startswith("test_"):
                yield str((Path(dirpath) / f).relative_to(root))


def lint(fal: str, root: Path) -> Set[Tuple[str, str, int, str]]:
    proc = subprocess.run([fal, "--no-cache", "--format", "json", "--exit-zero", "--select", "FAL201,FAL202", "."],
                          cwd=root, capture_output=True, text=True)
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        return set()
    return {(f["rule"], f["path"], f["line"], f["message"]) for f in doc.get("findings", [])}


def choose(plants: List[Plant], limit: int) -> List[Plant]:
    """At most `limit` plants, spread over idioms and files (round robin), one per line."""
    seen: Set[Tuple[str, int]] = set()
    by_idiom: Dict[str, List[Plant]] = defaultdict(list)
    for p in plants:
        if (p.file, p.line) not in seen:
            seen.add((p.file, p.line))
            by_idiom[p.idiom].append(p)
    out: List[Plant] = []
    while len(out) < limit and any(by_idiom.values()):
        for idiom in sorted(by_idiom):
            if by_idiom[idiom] and len(out) < limit:
                out.append(by_idiom[idiom].pop(0))
    return out


def run_project(fal: str, project: Path, limit: int) -> List[Outcome]:
    plants = [p for rel in project_files(project) for p in find_plants(project, rel)]
    plants = choose(plants, limit * 2)
    if not plants:
        return []
    outcomes: List[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="fal-recall-") as tmp:
        copy = Path(tmp) / project.name
        shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns(".git", "node_modules"))
        before = lint(fal, copy)
        reported = {(path, line) for _, path, line, _ in before}
        for p in plants:
            if (p.file, p.line) in reported:
                continue  # not honoured: the unmodified project is reported there already
            target = copy / p.file
            original = target.read_text(encoding="utf-8")
            text = original
            for a, b, r in sorted(((p.start, p.end, p.replacement),) + p.extra, reverse=True):
                text = text[:a] + r + text[b:]
            target.write_text(text, encoding="utf-8")
            try:
                after = lint(fal, copy)
            finally:
                target.write_text(original, encoding="utf-8")
            new = sorted(after - before)
            hits = [f for f in new if f[1] == p.file or p.file in f[3]]
            if sum(1 for o in outcomes) >= limit:
                break
            outcomes.append(Outcome(project.name, p.file, p.line, p.idiom, p.text[:120], bool(hits),
                                    [f"{r} {path}:{line}" for r, path, line, _ in hits or new][:5]))
            print(f"  {'found' if hits else 'MISS '} {p.idiom:11} {p.file}:{p.line}  {p.text[:80]}", flush=True)
    return outcomes


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("projects", nargs="+", type=Path)
    ap.add_argument("--fal", default=str(Path(sys.executable).parent / "fastauthlint"))
    ap.add_argument("--max-per-project", type=int, default=10)
    ap.add_argument("--json", type=Path, help="write every outcome here")
    args = ap.parse_args(argv)
    outcomes: List[Outcome] = []
    for project in args.projects:
        print(f"{project.name}:", flush=True)
        outcomes += run_project(args.fal, project.resolve(), args.max_per_project)
    total = Counter(o.idiom for o in outcomes)
    found = Counter(o.idiom for o in outcomes if o.found)
    print("\nrecall by idiom (found/planted):")
    for idiom in sorted(total):
        print(f"  {idiom:11} {found[idiom]}/{total[idiom]}")
    n, k = len(outcomes), sum(found.values())
    print(f"  {'all':11} {k}/{n}" + (f" ({100 * k / n:.0f}%)" if n else ""))
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
