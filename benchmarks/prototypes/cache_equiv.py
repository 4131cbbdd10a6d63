#!/usr/bin/env python3
"""Findings and CPU time of fastauthlint package copies across cache scenarios.

    .venv/bin/python benchmarks/prototypes/cache_equiv.py --corpus benchmarks/corpus \\
        base=/tmp/base new=.  [--out results.json]

For each VARIANT=DIR (a directory holding `fastauthlint/` and `rules/`, put first on PYTHONPATH)
and with a fresh cache directory per variant, it runs, in the corpus:

  cold       `--format json .` with an empty cache (fills it)
  warm       the same again (nothing changed)
  precommit  `--force-exclude F1..F5` (run.py's fixed subset) with the warm cache
  nocache    `--no-cache --format json .` (reference: never touches a cache)
  edit-top   F1..F5 edited since the cache was filled (a comment line inserted at the top: every
             line moves), then `--force-exclude F1..F5`; compared with a `--no-cache` run of the
             same edited files (the files are restored afterwards: use a copy of the corpus)
  edit-end   the same with the comment appended at the end (the facts do not move)

and requires every scenario's findings (rule, path, line, column, message) to equal the first
variant's `nocache` findings (full runs) or their restriction to F1..F5 (precommit). CPU time
(user+sys of the child, from rusage) is printed per scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUBSET_SEED = 20240601  # as benchmarks/run.py
SUBSET_SIZE = 5


def corpus_files(corpus: Path):
    out = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(".py"):
                out.append(Path(dirpath, f).relative_to(corpus).as_posix())
    return sorted(out)


def run(variant: Path, corpus: Path, cache: Path, args, jobs: str = "2"):
    out = Path(tempfile.mkdtemp()) / "out.json"
    env = dict(os.environ, PYTHONPATH=str(variant), NO_COLOR="1", FASTAUTHLINT_CACHE_DIR=str(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "fastauthlint", "-j", jobs, "--format", "json", "--exit-zero",
                        "-o", str(out), *args], cwd=corpus, env=env, stdin=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{variant} {args[:3]}: exit {p.returncode}\n{p.stderr.decode()[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    doc = json.loads(out.read_text())
    found = sorted((f["rule"], f["path"], f["line"], f["column"], f["message"]) for f in doc["findings"])
    return cpu, wall, found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--scenarios", default="nocache,cold,warm,precommit,warm2,precommit2")
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--save", type=Path, help="write each scenario's findings here (<variant>-<scenario>.json)")
    ap.add_argument("--ref", type=Path, help="compare with findings saved earlier: <ref>/<full|precommit>.json")
    ap.add_argument("variants", nargs="+", help="NAME=DIR")
    a = ap.parse_args(argv)
    corpus = a.corpus.resolve()
    files = corpus_files(corpus)
    subset = sorted(random.Random(SUBSET_SEED).sample(files, SUBSET_SIZE))
    scen = a.scenarios.split(",")
    ref = {}
    if a.ref:
        for kind in ("full", "precommit", "edit-top", "edit-end"):
            f = a.ref / f"{kind}.json"
            if f.exists():
                ref[kind] = [tuple(x) for x in json.loads(f.read_text())]
    report = {"subset": subset, "variants": {}}
    ok = True
    for spec in a.variants:
        name, _, d = spec.partition("=")
        d = Path(d).resolve()
        cache = Path(tempfile.mkdtemp(prefix=f"fal-equiv-{name}-"))
        rows = {}
        for s in scen:
            if s == "nocache":
                cpu, wall, found = run(d, corpus, cache, ["--no-cache", "."], a.jobs)
            elif s in ("cold", "warm", "warm2"):
                cpu, wall, found = run(d, corpus, cache, ["."], a.jobs)
            elif s in ("precommit", "precommit2"):
                cpu, wall, found = run(d, corpus, cache, ["--force-exclude", *subset], a.jobs)
            elif s.startswith("edit-"):
                # the real pre-commit case: F1..F5 edited since the cache was filled (a comment
                # line inserted at the top, shifting every line, or appended at the end)
                originals = {f: (corpus / f).read_bytes() for f in subset}
                try:
                    for f, data in originals.items():
                        edited = b"# edited\n" + data if s == "edit-top" else data + b"\n# edited\n"
                        (corpus / f).write_bytes(edited)
                    cpu, wall, found = run(d, corpus, cache, ["--force-exclude", *subset], a.jobs)
                    kind = s
                    if kind not in ref:
                        ref[kind] = run(d, corpus, Path(tempfile.mkdtemp()), ["--no-cache", "--force-exclude", *subset],
                                        a.jobs)[2]
                        if a.save:
                            (a.save / f"{kind}.json").write_text(json.dumps(ref[kind]))
                finally:
                    for f, data in originals.items():
                        (corpus / f).write_bytes(data)
            else:
                raise SystemExit(f"unknown scenario {s}")
            kind = "precommit" if s.startswith("precommit") else s if s.startswith("edit-") else "full"
            if a.save:
                a.save.mkdir(parents=True, exist_ok=True)
                (a.save / f"{name}-{s}.json").write_text(json.dumps(found))
                if kind not in ref:
                    (a.save / f"{kind}.json").write_text(json.dumps(found))
            if kind not in ref:
                ref[kind] = found
            same = found == ref[kind]
            ok &= same
            rows[s] = {"cpu": round(cpu, 2), "wall": round(wall, 2), "findings": len(found), "same": same}
            print(f"{name:10} {s:11} {cpu:7.2f} s CPU {wall:7.2f} s wall {len(found):5} findings "
                  f"{'same' if same else 'DIFFERENT'}", file=sys.stderr, flush=True)
            if not same:
                extra = sorted(set(found) - set(ref[kind]))[:5]
                missing = sorted(set(ref[kind]) - set(found))[:5]
                print(f"   extra {extra}\n   missing {missing}", file=sys.stderr)
        report["variants"][name] = rows
    report["identical"] = ok
    if a.out:
        a.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
