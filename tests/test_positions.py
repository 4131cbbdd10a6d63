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
