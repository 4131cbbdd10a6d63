"""fastauthlint.walk.walk_batched must call exactly what libcst's visit_batched calls, in the
same order, on the same nodes: every visit_X / leave_X and visit_X_field / leave_X_field."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from fastauthlint.analysis import analyze_source
from fastauthlint.checks import all_checks
from fastauthlint.config import load_config
from fastauthlint.context import FileContext, ImportTracker, ScopeCloser
from fastauthlint.project.collect import FactsCollector
from fastauthlint.project.names import collect_module_names
from fastauthlint.walk import child_fields, node_classes, walk_batched

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tricky_syntax import SNIPPETS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "tests" / "fixtures" / "apps").rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))


def _named(name, fn):
    fn.__name__ = fn.__qualname__ = name  # libcst collects visitor methods by name
    return fn


def recorder(classes, attributes=False):
    """A batchable visitor class recording (event, class or hook, id(node)) for `classes`."""
    ns = {}
    for cls in classes:
        n = cls.__name__
        for kind in ("visit", "leave"):
            ns[f"{kind}_{n}"] = _named(f"{kind}_{n}",
                                       (lambda k: lambda self, node: self.events.append((k, id(node))))(f"{kind}_{n}"))
        if attributes:
            for f in child_fields(cls) or ():
                for kind in ("visit", "leave"):
                    hook = f"{kind}_{n}_{f}"
                    ns[hook] = _named(hook, (lambda k: lambda self, node: self.events.append((k, id(node))))(hook))

    def __init__(self):
        cst.BatchableCSTVisitor.__init__(self)
        self.events = []

    ns["__init__"] = __init__
    return type("Recorder", (cst.BatchableCSTVisitor,), ns)


EVERYTHING = recorder(node_classes(), attributes=True)  # trivia included: nothing is skipped
EVERY_NODE = recorder(node_classes())
CHECK_LIKE = recorder([getattr(cst, n) for n in ("Call", "Attribute", "FunctionDef", "ClassDef", "Name",
                                                  "SimpleString", "Decorator", "Return", "Import")])
ONLY_TRIVIA = recorder([cst.Comment, cst.Comma, cst.SimpleWhitespace, cst.EmptyLine])
NESTED_ONLY = recorder([cst.Lambda, cst.FormattedStringExpression, cst.MatchAs])


def _hooks_only():
    ns = {}
    for hook in ("visit_Call_func", "leave_Call_args", "visit_FormattedStringExpression_format_spec",
                 "leave_FormattedStringExpression_format_spec", "visit_ImportFrom_names",
                 "visit_FunctionDef_body", "leave_FunctionDef_decorators", "visit_Module_body"):
        ns[hook] = _named(hook, (lambda k: lambda self, node: self.events.append((k, id(node))))(hook))

    def __init__(self):
        cst.BatchableCSTVisitor.__init__(self)
        self.events = []

    ns["__init__"] = __init__
    return type("Hooks", (cst.BatchableCSTVisitor,), ns)


HOOKS_ONLY = _hooks_only()


ALL_COMBINATIONS = ([EVERYTHING], [CHECK_LIKE], [ONLY_TRIVIA], [NESTED_ONLY], [HOOKS_ONLY],
                    [CHECK_LIKE, ONLY_TRIVIA, HOOKS_ONLY, CHECK_LIKE])


def assert_same_events(module: cst.Module, where: str, combinations=ALL_COMBINATIONS) -> None:
    for kinds in combinations:
        ours = [k() for k in kinds]
        theirs = [k() for k in kinds]
        MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(theirs)
        walk_batched(module, ours)
        for a, b in zip(theirs, ours):
            assert a.events or type(a) not in (EVERYTHING, EVERY_NODE), f"{where}: nothing recorded"
            if a.events != b.events:
                first = next((i for i, (x, y) in enumerate(zip(a.events, b.events)) if x != y),
                             min(len(a.events), len(b.events)))
                pytest.fail(f"{where} ({type(a).__name__}): event {first} differs: libcst "
                            f"{a.events[first:first + 3]}, walk {b.events[first:first + 3]} "
                            f"({len(a.events)} vs {len(b.events)} events)")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_tricky_syntax_same_events(name):
    assert_same_events(cst.parse_module(SNIPPETS[name]), name)


def test_snippets_cover_every_node_class():
    seen = set()
    for src in SNIPPETS.values():
        stack = [cst.parse_module(src)]
        while stack:
            node = stack.pop()
            seen.add(type(node))
            stack.extend(node.children)
    assert not set(node_classes()) - seen, sorted(c.__name__ for c in set(node_classes()) - seen)


def test_fixture_apps_and_examples_same_events():
    assert len(SOURCES) > 100
    for path in SOURCES:
        # Every node (trivia included; attribute hooks are covered by the snippets) and a
        # check-like subset (what gets skipped), in one traversal each.
        assert_same_events(cst.parse_module(path.read_text(encoding="utf-8")), str(path.relative_to(ROOT)),
                           [[EVERY_NODE, CHECK_LIKE, HOOKS_ONLY]])


def test_every_field_order_is_known():
    # A libcst upgrade that visits children in a way walk.py does not understand would silently
    # fall back to libcst's traversal (slow, still correct); this makes it visible.
    unknown = [c.__name__ for c in node_classes() if child_fields(c) is None]
    assert not unknown


def _facts_and_findings(path: Path, text: str, config, use_walker: bool):
    module = cst.parse_module(text)
    names = collect_module_names(module, "app.mod", False)
    ctx = FileContext(path.as_posix(), path.name, text, module, MetadataWrapper(module, unsafe_skip_copy=True),
                      names, config)
    collector = FactsCollector(ctx)
    visitors = [v for v in (c.visitor(ctx) for c in all_checks()) if v is not None]
    everything = [ImportTracker(ctx), collector, *visitors, ScopeCloser(ctx)]
    if use_walker:
        walk_batched(module, everything)
    else:
        MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(everything)
    return (collector.facts(), [(type(v).__name__, v.findings, v.facts()) for v in visitors],
            sorted(set(ctx.secret_masks)))


def test_checks_produce_the_same_facts_and_findings():
    """The real visitors (the project model's collector, every check, the engine's import tracker
    and scope closer) give the same findings and facts whichever traversal runs them."""
    config = load_config([ROOT / "tests" / "fixtures" / "apps"])
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        assert _facts_and_findings(path, text, config, True) == _facts_and_findings(path, text, config, False), path


def test_metadata_dependent_visitors_are_left_to_libcst():
    class NeedsPositions(cst.BatchableCSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self):
            super().__init__()
            self.lines = []

        def visit_Name(self, node):
            self.lines.append(self.get_metadata(PositionProvider, node).start.line)

    v = NeedsPositions()
    walk_batched(cst.parse_module("a = 1\nb = a\n"), [v])
    assert v.lines == [1, 2, 2]


@pytest.mark.parametrize("source", [
    "x = " + " + ".join(["a"] * 900) + "\n",
    "x = a" + ".b" * 900 + "\n",
    "x = " + " ".join(['"s"'] * 400) + "\n",
    "def f():\n    return jwt.decode(" + " + ".join(["t"] * 980) + ")\n",
    "x = " + " + ".join(["a"] * 996) + "\n",  # passes the nesting gate, too deep for the walk
])
def test_deep_trees_are_walked_or_reported_never_crash(source):
    config = load_config([ROOT / "tests" / "fixtures" / "apps"])
    result = analyze_source("/x/deep.py", "deep.py", "", source, "deep", False, config)
    if result.error is not None:
        assert result.error == "recursion" and "nested" in result.findings[0].message
    else:
        assert result.findings == [] and result.names is not None


def test_deep_tree_same_events_as_libcst():
    module = cst.parse_module("x = " + " + ".join(["a"] * 600) + "\n")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10000))  # libcst's traversal needs three frames per level
    try:
        assert_same_events(module, "600 additions")
    finally:
        sys.setrecursionlimit(limit)


def _same_children(module: cst.Module) -> int:
    from fastauthlint.astutil import children

    n, stack = 0, [module]
    while stack:
        node = stack.pop()
        theirs = list(node.children)
        ours = children(node)
        assert len(ours) == len(theirs) and all(a is b for a, b in zip(ours, theirs)), type(node).__name__
        n += 1
        stack.extend(theirs)
    return n


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_children_are_libcsts_children(name):
    """astutil.children reads what libcst's `node.children` collects (every child, syntax
    included, in traversal order) without libcst's rebuild of the node."""
    assert _same_children(cst.parse_module(SNIPPETS[name])) > 0


def test_children_of_fixture_apps_and_examples():
    assert sum(_same_children(cst.parse_module(p.read_text(encoding="utf-8"))) for p in SOURCES) > 10000
