"""The shortcuts the per-file phase takes for speed must not change an answer: memoised string
literals, the read-only walk in the role-gate search, and the garbage collector left as it was."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import libcst as cst
import pytest

from fastauthlint import astutil
from fastauthlint.checks.ownership.link.gates import _find_def
from fastauthlint.config import load_config
from fastauthlint.engine import RunOptions, run


@pytest.mark.parametrize("src", [
    "'plain'", '"double"', "r'raw\\d+'", "u'unicode'", "'''tri\nple'''", "'esc\\x41\\n'",
    "'\\N{BULLET}'", "b'bytes'", "rb'raw bytes'", "'\\N{NO SUCH NAME}'",
])
def test_literal_str_is_the_evaluated_value(src):
    node = cst.parse_expression(src)
    try:
        value = node.evaluated_value
        expected = value if isinstance(value, str) else None
    except Exception:
        expected = None
    for _ in range(2):  # the second answer comes from the memo
        assert astutil.literal_str(node) == expected


def test_literal_str_of_concatenations_and_fstrings():
    assert astutil.literal_str(cst.parse_expression("'a' 'b' r'\\c'")) == "ab\\c"
    assert astutil.literal_str(cst.parse_expression("b'a' b'b'")) is None
    assert astutil.literal_str(cst.parse_expression("f'x{y}'")) is None


def test_find_def_prefers_the_checker_inside_its_factory():
    module = cst.parse_module(
        "def check(): pass\n"
        "class Guard:\n    def check(self): pass\n"
        "def require_role(role):\n    if role:\n        def check(user):\n            return user\n"
        "    return check\n")
    found = _find_def(module.body, "check", "require_role")
    assert found is not None and found.params.params[0].name.value == "user"
    assert _find_def(module.body, "check", "") is module.body[0]
    assert _find_def(module.body, "missing", "") is None


def test_a_run_leaves_the_collector_enabled_and_nothing_frozen(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.fastauthlint]\n")
    for i in range(70):  # past the count where results are frozen as they arrive
        (tmp_path / f"m{i:02d}.py").write_text(f"from fastapi import FastAPI\napp{i} = FastAPI()\n"
                                              f"@app{i}.get('/x')\ndef x():\n    return {i}\n")
    (tmp_path / "bad.py").write_text("x = (\n")
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    result = run(RunOptions(paths=[tmp_path], config=load_config([tmp_path]), jobs=1, use_cache=False))
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    assert any(f.rule == "FAL000" for f in result.findings)


@pytest.mark.parametrize("pattern, text", [
    (r"jwt|jose|access_?token", "import JWT\n"),
    (r"jwt|jose|access_?token", "ACCESSTOKEN = 1\n"),
    (r"x[-_](user|e?mail)", "h = 'X-Email'\n"),
    (r"x[-_](user|e?mail)", "h = 'X.Email'\n"),
    (r"pass|pwd", "PWD = 1\n"),
    (r"pass|pwd", "# nothing here\n"),
    (r"pass|pwd", "ſecret = 'PAß'\n"),  # not ASCII: the pattern itself decides
    (r"403|FORBIDDEN", "status.HTTP_403_FORBIDDEN\n"),
    (r"\bjwt\b", "JWT = 1\n"),  # a letter escape: not lowered
])
def test_mentions_is_search(pattern, text):
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from fastauthlint.config import load_config
    from fastauthlint.context import FileContext
    from fastauthlint.project.names import collect_module_names

    module = cst.parse_module(text)
    ctx = FileContext("/a/m.py", "m.py", text, module, MetadataWrapper(module, unsafe_skip_copy=True),
                      collect_module_names(module, "m", False), load_config([Path(__file__).parent]))
    for flags in (0, re.I):
        p = re.compile(pattern, flags)
        assert ctx.mentions(p) == (p.search(text) is not None)
