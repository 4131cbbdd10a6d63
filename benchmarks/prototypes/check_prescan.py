#!/usr/bin/env python3
"""Check the text pre-scan prototype (walk_prescan.patch): for every corpus file the scan calls
irrelevant, the names built from `ast` must equal those libcst's collect_module_names builds.

    PYTHONPATH=benchmarks/.scratch/walk_prescan .venv/bin/python benchmarks/prototypes/check_prescan.py
"""
import sys
from pathlib import Path

import libcst as cst

from fastauthlint import analysis
from fastauthlint.config import load_config
from fastauthlint.discovery import module_name
from fastauthlint.names import collect_module_names

HERE = Path(__file__).resolve().parent.parent
corpus = Path(sys.argv[1] if len(sys.argv) > 1 else HERE / "corpus").resolve()
if not hasattr(analysis, "_relevant"):
    sys.exit("run with the prototype first on PYTHONPATH (see the docstring)")
root = load_config([corpus]).root.resolve()
n = skipped = differ = fallback = 0
for p in sorted(corpus.rglob("*.py")):
    text, problem = analysis.decode_source(str(p), p.read_bytes())
    if problem:
        continue
    n += 1
    if analysis._relevant(text):
        continue
    mod, pkg = module_name(p, root)
    a = analysis._ast_names(text, mod, pkg)
    try:
        b = collect_module_names(cst.parse_module(text), mod, pkg)
    except Exception:
        continue
    if a is None:  # `ast` of this Python cannot parse it (newer syntax): the prototype parses it with libcst
        fallback += 1
        continue
    skipped += 1
    if (a.imports, sorted(a.star_imports), a.defined) != (b.imports, sorted(b.star_imports), b.defined):
        differ += 1
        if differ <= 5:
            print("DIFFER", p.relative_to(corpus))
print(f"{n} files; {skipped} skipped by the pre-scan (names from ast), {fallback} more irrelevant but "
      f"parsed by libcst (syntax newer than this Python's ast); names differ in {differ}")
