"""fastauthlint.positions must give libcst's PositionProvider ranges, exactly, for every node."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from fastauthlint.config import load_config
from fastauthlint.context import FileContext
from fastauthlint.findings import Span
from fastauthlint.project.names import collect_module_names
from fastauthlint.positions import Positions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tricky_syntax import SNIPPETS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "tests" / "fixtures" / "apps").rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))


def assert_same_positions(source: str, where: str) -> int:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = Positions(module)
    for node, r in expected.items():
        got = ours.range(node)
        want = (r.start.line, r.start.column, r.end.line, r.end.column)
        assert got == want, f"{where}: {type(node).__name__} {module.code_for_node(node)[:60]!r}: {got} != {want}"
    # and nothing more: every node positioned by one is positioned by the other
    assert len(ours._computed) == len(expected), where
    return len(expected)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_tricky_syntax(name):
    assert assert_same_positions(SNIPPETS[name], name) > 0


@pytest.mark.parametrize("text", [
    "x = 1",  # no trailing newline
    "\n\n\n",
    "# only a comment",
    "x = '''\r\n\r\n'''\r\n",
    "x = '''\r\r'''\r",
    "if x:\n\tif y:\n\t\tz = (1,\n\t\t     2)\n",
    "def f(\n    a,\n    b,\n):\n    return a \\\n        + b\n",
    "s = 'é' + \"日本\" + '😀'; t = f'{s!r}😀{s}'\n",
    "class A:\n    def f(self): pass\n\n\n\n    # x\n    def g(self): pass\n",
])
def test_layouts(text):
    assert assert_same_positions(text, repr(text)) > 0


def test_fixture_apps_and_examples():
    assert len(SOURCES) > 100
    total = sum(assert_same_positions(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT))) for p in SOURCES)
    assert total > 10000


def test_span_is_one_based_and_lazy():
    text = "import jwt\n\ndef f(token):\n    return jwt.decode(token, 'k')\n"
    module = cst.parse_module(text)
    ctx = FileContext("/a/m.py", "m.py", text, module, MetadataWrapper(module, unsafe_skip_copy=True),
                      collect_module_names(module, "m", False), load_config([ROOT / "examples"]))
    assert ctx._positions._computed is None  # nothing computed until a span is asked for
    call = module.body[1].body.body[0].body[0].value
    assert ctx.span(call) == Span(4, 12, 4, 34)
    assert ctx.span(module.body[1].name) == Span(3, 5, 3, 6)


def test_foreign_node_is_a_key_error():
    positions = Positions(cst.parse_module("x = 1\n"))
    with pytest.raises(KeyError):
        positions.range(cst.Name("x"))


# -- units: a function or class positioned alone --------------------------------------------------

def _units(module):
    """Every module-level function or class and every statement of a class body (down the chain),
    with the scopes the traversal would be in."""
    chains = [[st] for st in module.body if type(st) in (cst.FunctionDef, cst.ClassDef)]
    while chains:
        chain = chains.pop()
        yield chain
        top = chain[-1]
        if type(top) is cst.ClassDef and type(top.body) is cst.IndentedBlock:
            chains.extend(chain + [st] for st in top.body.body if type(st) in (cst.FunctionDef, cst.ClassDef))


def assert_units_agree(source: str, where: str) -> int:
    module = cst.parse_module(source)
    whole = Positions(module)
    whole.range(module)
    n = 0
    for chain in _units(module):
        lazy = Positions(module, source)
        lazy.range(chain[-1], chain)
        if lazy._computed is not None:
            continue  # refused: the whole module was computed (and is right by the tests above)
        for key, r in lazy._partial.items():
            assert whole._computed[key] == r, f"{where}: {chain[-1].name.value}"
            n += 1
    return n


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_units_tricky_syntax(name):
    assert_units_agree(SNIPPETS[name], name)


def test_units_fixture_apps_and_examples():
    total = sum(assert_units_agree(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT))) for p in SOURCES)
    assert total > 10000


@pytest.mark.parametrize("text", [
    "class A:\n    def f(self): pass\n\n\n\n    # x\n    def g(self): pass\n",
    "x = 1\r\n\r\nclass A:\r\n    # c\r\n    @staticmethod\r\n    def f():\r\n        return '''\r\n'''\r\n",
    "if x:\n\tpass\nclass A:\n\tclass B:\n\t\tdef f(self):\n\t\t\treturn (1,\n\t\t\t\t2)\n",
    "@d\n\n# between\n@e(\n  1)\nasync def f(): ...\n# trailing\n",
])
def test_units_layouts(text):
    assert assert_units_agree(text, repr(text)) > 0


def test_span_inside_a_function_positions_that_function_only():
    text = "import jwt\n\nx = [\n  1,\n]\n\nclass C:\n    y = 2\n\n    def f(self, token):\n        return jwt.decode(token, 'k')\n"
    module = cst.parse_module(text)
    ctx = FileContext("/a/m.py", "m.py", text, module, MetadataWrapper(module, unsafe_skip_copy=True),
                      collect_module_names(module, "m", False), load_config([ROOT / "examples"]))
    cls = module.body[2]
    func = cls.body.body[1]
    ctx.scopes[:] = [cls, func]
    assert ctx.span(func.body.body[0].body[0].value) == Span(11, 16, 11, 38)
    assert ctx._positions._computed is None  # the method alone
    assert id(cls.body.body[0]) not in ctx._positions._partial
    assert ctx.span(cls.body.body[0]) == Span(8, 5, 8, 10)  # the class, when asked about its own statement
    assert ctx._positions._computed is None
    ctx.scopes[:] = []
    assert ctx.span(module.body[1]) == Span(3, 1, 5, 2)  # outside any unit: the whole module
    assert ctx._positions._computed is not None


@pytest.mark.parametrize("text", [
    "def f():\n    return 1\ndef f():\n    return 1\n",  # the same code twice: which one is it?
    "def f():\n    return 1",  # no final newline: the module's code is not its statements'
])
def test_units_refused_where_the_text_is_ambiguous(text):
    module = cst.parse_module(text)
    lazy = Positions(module, text)
    func = module.body[-1]
    assert lazy.range(func.body, [func]) == Positions(module).range(func.body)
    assert lazy._computed is not None
