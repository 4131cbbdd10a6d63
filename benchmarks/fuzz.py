#!/usr/bin/env python3
"""The long fuzz run: generated Python programs through the per-file phase, zero crashes expected.

    .venv/bin/python benchmarks/fuzz.py --examples 5000          # ~1 example per 0.1-0.5 s

The property and the program generators are those of tests/test_fuzz.py (hypothesmith's
programs from Python's grammar and from libcst's node types, with FastAPI/JWT/SQL preludes that
make every family's visitor engage); the suite runs 25 derandomized examples of each, this script
as many random ones as asked. A failure prints hypothesis's shrunk program and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=2000, help="programs per generator")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parent / "tests"))
    import hypothesmith
    from hypothesis import HealthCheck, given, settings, strategies as st
    from test_fuzz import _PRELUDES, check_program

    long_run = settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck))
    for name, programs in (("grammar", hypothesmith.from_grammar()), ("libcst nodes", hypothesmith.from_node())):
        print(f"{args.examples} programs from {name} ...", flush=True)
        long_run(given(st.sampled_from(_PRELUDES), programs)(lambda prelude, body: check_program(prelude + body)))()
    print("no crash")
    return 0


if __name__ == "__main__":
    sys.exit(main())
