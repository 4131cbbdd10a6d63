"""Property: whatever Python the analysed file holds, the per-file phase returns a result and
never an internal error (a crash in a check would be reported as FAL000 "internal error").

A short run here (generated programs from Python's grammar and from libcst's node types, with the
FastAPI/JWT vocabulary the checks look for mixed in); `benchmarks/fuzz.py` runs the long one."""

from __future__ import annotations

import hypothesmith
from hypothesis import HealthCheck, given, settings, strategies as st

from fastauthlint.analysis import analyze_source
from fastauthlint.config import Config

_CONFIG = Config(root=__import__("pathlib").Path("."))

# Lines that make the families' visitors engage with whatever code follows.
_PRELUDES = (
    "",
    "from fastapi import APIRouter, Depends, FastAPI, HTTPException\nimport jwt\nimport logging\n"
    "router = APIRouter()\nlog = logging.getLogger(__name__)\n",
    "from sqlalchemy import select\nfrom fastapi import Depends\nSECRET_KEY = 'x'\n",
)


def check_program(source: str) -> None:
    result = analyze_source("/fuzz/app/main.py", "app/main.py", "", source, "app.main", False, _CONFIG)
    internal = [f for f in result.findings if "internal error" in f.message]
    assert not internal, internal[0].message


_FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


@_FUZZ
@given(st.sampled_from(_PRELUDES), hypothesmith.from_grammar())
def test_programs_from_the_grammar(prelude, body):
    check_program(prelude + body)


@_FUZZ
@given(st.sampled_from(_PRELUDES), hypothesmith.from_node())
def test_programs_from_libcst_nodes(prelude, body):
    check_program(prelude + body)
