#!/usr/bin/env python3
"""Equivalence of fastauthlint's own traversal and positions with libcst's, file by file, on a corpus.

    .venv/bin/python benchmarks/check_equivalence.py [--corpus DIR] [--limit N]
        [--only walk,positions,checks,units,children,filetext]

For every parseable file:

- walk: `fastauthlint.walk.walk_batched` and libcst's `MetadataWrapper.visit_batched` call the
  same visitor methods on the same nodes in the same order — with a visitor that has visit_/leave_
  methods for every node class (trivia included), together with a check-like one (Call, Name,
  FunctionDef, ...) and one with attribute hooks (visit_Call_func, ...);
- positions: `fastauthlint.positions.Positions` gives the same range as libcst's
  `PositionProvider` for every node PositionProvider positions (and positions no other node);
- checks: the project model's collector and every registered check's visitor (with the engine's
  ImportTracker and ScopeCloser) give the same findings, facts and secret masks after either
  traversal;
- units: the positions of each function and class computed alone (`Positions` given the scopes
  the traversal is in: every module-level function or class and every statement of a class body,
  down the chain) are the whole module's, for every node of the unit; a unit that is refused
  (its code not found once at the start of a line) is counted;
- children: `astutil.iter_children` (which reads only the fields whose annotations may hold a node
  carrying meaning) gives the same nodes in the same order as reading every dataclass field, for
  every node of the file, syntax nodes included;
- filetext: FAL601's per-function provenance (`http.cookies.own_verdict`, `provenance`,
  `call_sites`, for every function and the module) is the same with the file's `FileText`
  (which skips the walks the file's text rules out) as without it.

Prints the counts and the first differences; exits 1 if anything differs. Times (CPU) are printed
for scale: libcst parse, PositionProvider and Positions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

HERE = Path(__file__).resolve().parent
CLOCK = time.process_time


def _named(name, fn):
    fn.__name__ = fn.__qualname__ = name
    return fn


def recorder(names, hooks=()):
    ns = {}
    for n in names:
        for kind in ("visit", "leave"):
            m = f"{kind}_{n}"
            ns[m] = _named(m, (lambda m: lambda self, node: self.events.append((m, id(node))))(m))
    for m in hooks:
        ns[m] = _named(m, (lambda m: lambda self, node: self.events.append((m, id(node))))(m))

    def __init__(self):
        cst.BatchableCSTVisitor.__init__(self)
        self.events = []

    ns["__init__"] = __init__
    return type("Recorder", (cst.BatchableCSTVisitor,), ns)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--only", default="walk,positions,checks")
    ap.add_argument("--root", type=Path, action="append", default=[],
                    help="more corpus directories (children and filetext modes; repeatable)")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    what = set(args.only.split(","))

    from fastauthlint.analysis import decode_source
    from fastauthlint.checks import all_checks
    from fastauthlint.config import load_config
    from fastauthlint.context import FileContext, ImportTracker, ScopeCloser
    from fastauthlint.discovery import module_name
    from fastauthlint.project.collect import FactsCollector
    from fastauthlint.project.names import collect_module_names
    from fastauthlint.positions import Positions
    from fastauthlint.walk import node_classes, walk_batched

    corpus = args.corpus.resolve()
    config = load_config([corpus])
    root = config.root.resolve()
    files = sorted(corpus.rglob("*.py"))
    for extra in args.root:
        files += sorted(extra.resolve().rglob("*.py"))
    if args.limit:
        files = files[: args.limit]
    every = recorder([c.__name__ for c in node_classes()])
    check_like = recorder(["Call", "Attribute", "Name", "FunctionDef", "ClassDef", "Decorator", "SimpleString",
                           "Assign", "Return", "Import", "ImportFrom"])
    hooks = recorder([], ["visit_Call_func", "leave_Call_args", "visit_FunctionDef_body", "visit_Module_body",
                          "leave_FunctionDef_decorators", "visit_FormattedStringExpression_format_spec",
                          "visit_ImportFrom_names", "leave_Attribute_attr"])
    checks = all_checks()
    stats = dict(files=0, unparseable=0, walk_events=0, walk_diff=0, pos_nodes=0, pos_diff=0, check_files=0,
                 check_diff=0, units=0, unit_nodes=0, units_refused=0, unit_diff=0, child_nodes=0, child_diff=0,
                 ft_funcs=0, ft_diff=0)
    t = dict(parse=0.0, provider=0.0, positions=0.0)
    shown = 0

    def report(msg):
        nonlocal shown
        shown += 1
        if shown <= 10:
            print(msg)

    for path in files:
        text, problem = decode_source(str(path), path.read_bytes())
        if problem:
            stats["unparseable"] += 1
            continue
        t0 = CLOCK()
        try:
            module = cst.parse_module(text)
        except Exception:
            stats["unparseable"] += 1
            continue
        t["parse"] += CLOCK() - t0
        stats["files"] += 1
        rel = path.relative_to(corpus).as_posix() if path.is_relative_to(corpus) else path.as_posix()
        if "children" in what:
            from fastauthlint import astutil
            stack = [module]
            while stack:
                node = stack.pop()
                stats["child_nodes"] += 1
                a, b = _all_field_children(node, astutil), astutil.iter_children(node)
                if len(a) != len(b) or any(x is not y for x, y in zip(a, b)):
                    stats["child_diff"] += 1
                    report(f"CHILDREN {rel}: {type(node).__name__}")
                stack.extend(node.children)
        if "filetext" in what:
            from fastauthlint import astutil
            from fastauthlint.checks.http import cookies
            constants = astutil.module_constants(module)
            helpers = {st.name.value: st for st in module.body if type(st) is cst.FunctionDef}
            ft = cookies.FileText(text)
            funcs = [n for n in astutil.descendants(module) if type(n) is cst.FunctionDef]
            for f in funcs:
                stats["ft_funcs"] += 1
                plain = (cookies.own_verdict(f, constants.get, helpers), cookies.provenance(f, constants.get))
                gated = (cookies.own_verdict(f, constants.get, helpers, ft), cookies.provenance(f, constants.get, ft))
                plain += (cookies.call_sites("q", f.body, plain[1]),)
                gated += (cookies.call_sites("q", f.body, gated[1], ft),)
                if plain != gated:
                    stats["ft_diff"] += 1
                    report(f"FILETEXT {rel}: {f.name.value}: {plain} != {gated}")
            if cookies.call_sites("", module, {}) != cookies.call_sites("", module, {}, ft):
                stats["ft_diff"] += 1
                report(f"FILETEXT {rel}: module call sites differ")
        if "walk" in what:
            theirs = [every(), check_like(), hooks()]
            ours = [every(), check_like(), hooks()]
            MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(theirs)
            walk_batched(module, ours)
            for a, b in zip(theirs, ours):
                stats["walk_events"] += len(a.events)
                if a.events != b.events:
                    stats["walk_diff"] += 1
                    i = next((i for i, (x, y) in enumerate(zip(a.events, b.events)) if x != y),
                             min(len(a.events), len(b.events)))
                    report(f"WALK {rel}: event {i}: libcst {a.events[i:i + 1]} walk {b.events[i:i + 1]}")
                    break
        if "positions" in what:
            t0 = CLOCK()
            expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            t1 = CLOCK()
            ours = Positions(module)
            ours.range(module)
            t["positions"] += CLOCK() - t1
            t["provider"] += t1 - t0
            bad = len(ours._computed) != len(expected)
            for node, r in expected.items():
                stats["pos_nodes"] += 1
                if ours.range(node) != (r.start.line, r.start.column, r.end.line, r.end.column):
                    bad = True
                    report(f"POSITION {rel}: {type(node).__name__}: {ours.range(node)} != {r}")
                    break
            stats["pos_diff"] += bad
        if "units" in what:
            whole = Positions(module)
            whole.range(module)
            chains = [[st] for st in module.body if type(st) in (cst.FunctionDef, cst.ClassDef)]
            while chains:
                chain = chains.pop()
                top = chain[-1]
                if type(top) is cst.ClassDef and type(top.body) is cst.IndentedBlock:
                    chains.extend(chain + [st] for st in top.body.body if type(st) in (cst.FunctionDef, cst.ClassDef))
                lazy = Positions(module, text)
                lazy.range(top, chain)  # the unit `top` (or, when refused, the whole module)
                if lazy._computed is not None:
                    stats["units_refused"] += 1
                    continue
                stats["units"] += 1
                bad = False
                for key, r in lazy._partial.items():
                    stats["unit_nodes"] += 1
                    if whole._computed.get(key) != r:
                        bad = True
                if bad:
                    stats["unit_diff"] += 1
                    report(f"UNIT {rel}: {type(top).__name__} {top.name.value}: positions differ")
        if "checks" in what:
            mod, is_pkg = module_name(path, root)
            outcome = []
            for use_walker in (False, True):
                names = collect_module_names(module, mod, is_pkg)
                ctx = FileContext(str(path), rel, text, module, MetadataWrapper(module, unsafe_skip_copy=True),
                                  names, config)
                collector = FactsCollector(ctx)
                visitors = [v for v in (c.visitor(ctx) for c in checks) if v is not None]
                vs = [ImportTracker(ctx), collector, *visitors, ScopeCloser(ctx)]
                try:
                    if use_walker:
                        walk_batched(module, vs)
                    else:
                        MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(vs)
                    outcome.append((collector.facts(), [(type(v).__name__, v.findings, v.facts()) for v in visitors],
                                    sorted(set(ctx.secret_masks))))
                except RecursionError:
                    outcome.append("recursion")
            stats["check_files"] += 1
            if outcome[0] != outcome[1]:
                stats["check_diff"] += 1
                report(f"CHECKS {rel}: findings/facts differ")
    print(f"corpus {corpus}: {stats['files']} files parsed ({stats['unparseable']} not parseable)")
    if "walk" in what:
        print(f"walk: {stats['walk_events']} libcst visitor calls compared, {stats['walk_diff']} files differ")
    if "positions" in what:
        print(f"positions: {stats['pos_nodes']} nodes compared with PositionProvider, {stats['pos_diff']} files differ; "
              f"CPU: parse {t['parse']:.1f} s, PositionProvider {t['provider']:.1f} s "
              f"({t['provider'] / max(t['parse'], 1e-9):.2f}× parse), Positions {t['positions']:.1f} s "
              f"({t['positions'] / max(t['parse'], 1e-9):.2f}× parse)")
    if "units" in what:
        print(f"units: {stats['units']} functions and classes positioned alone ({stats['unit_nodes']} nodes), "
              f"{stats['unit_diff']} differ from the whole module's; {stats['units_refused']} refused")
    if "children" in what:
        print(f"children: {stats['child_nodes']} nodes, iter_children differs from every field's children "
              f"in {stats['child_diff']}")
    if "filetext" in what:
        print(f"filetext: {stats['ft_funcs']} functions, FAL601 provenance differs with FileText in {stats['ft_diff']}")
    if "checks" in what:
        print(f"checks: {stats['check_files']} files, findings+facts+masks differ in {stats['check_diff']}")
    return 1 if (stats["walk_diff"] or stats["pos_diff"] or stats["check_diff"] or stats["unit_diff"]
                 or stats["child_diff"] or stats["ft_diff"]) else 0


def _all_field_children(node, astutil):
    """What iter_children gave before it skipped syntax-only fields: every dataclass field, in
    source order, kept when it holds a node that carries meaning."""
    import dataclasses

    first = astutil._SOURCE_ORDER.get(type(node).__name__, ())
    out = []
    for name in first + tuple(f.name for f in dataclasses.fields(node) if f.name not in first):
        value = getattr(node, name)
        for item in (value if type(value) in (list, tuple) else (value,)):
            if astutil._kind(type(item)) == 1:
                out.append(item)
    return out


if __name__ == "__main__":
    sys.exit(main())
