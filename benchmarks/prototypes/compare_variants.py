#!/usr/bin/env python3
"""Run modified copies of the fastauthlint package on a corpus; compare CPU time and findings.

    .venv/bin/python benchmarks/prototypes/compare_variants.py --corpus benchmarks/corpus \\
        base=benchmarks/.scratch/allrules walk=benchmarks/.scratch/allrules_walk ...

Each VARIANT=DIR is a directory holding a `fastauthlint/` package; it is put first on PYTHONPATH
and run as `python -m fastauthlint --no-cache -j1 --format json` with the corpus as working
directory. CPU time (user+sys, from rusage: far less affected by machine load than wall time) is reported per variant
(median of --repeat runs), and every variant's findings (every field of the JSON output: rule,
path, line, column, end line and column, message, severity, fingerprint, ...) must equal the first
variant's: an optimisation that changes a finding is a bug, not a speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(variant_dir: Path, corpus: Path, out: Path, jobs: str = "1") -> tuple:
    env = dict(os.environ, PYTHONPATH=str(variant_dir), NO_COLOR="1",
               FASTAUTHLINT_CACHE_DIR=tempfile.mkdtemp(prefix="fal-variant-"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "fastauthlint", "--no-cache", "-j", jobs, "--format", "json",
                        "--exit-zero", "-o", str(out), "."], cwd=corpus, env=env, stdin=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{variant_dir}: exit {p.returncode}\n{p.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    doc = json.loads(out.read_text())
    # Every field of every finding (positions to the end column, severity, fingerprint, ...).
    found = sorted(tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in f.items())) for f in doc["findings"])
    return cpu, wall, found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--jobs", default="1", help="-j for fastauthlint (default 1)")
    ap.add_argument("variants", nargs="+", help="NAME=DIR")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    results = {}
    reference = None
    ok = True
    for spec in args.variants:
        name, _, d = spec.partition("=")
        d = Path(d).resolve()
        if not (d / "fastauthlint").is_dir() or not (d / "rules").is_dir():
            # Without the spec documents beside the package no rule is known, so none is enabled.
            raise SystemExit(f"{d}: needs fastauthlint/ and rules/ (a copy or a symlink of the spec)")
        cpus = []
        for i in range(args.repeat):
            cpu, wall, found = run(d, corpus, Path(tempfile.mkdtemp()) / "out.json", args.jobs)
            cpus.append(cpu)
            print(f"{name:24} run {i + 1}: {cpu:7.2f} s CPU ({wall:.1f} s wall), {len(found)} findings",
                  file=sys.stderr)
        med = statistics.median(cpus)
        same = None
        if reference is None:
            reference = found
        else:
            same = found == reference
            if not same:
                ok = False
                extra = sorted(set(found) - set(reference))[:5]
                missing = sorted(set(reference) - set(found))[:5]
                print(f"  {name}: findings DIFFER; extra {extra}; missing {missing}", file=sys.stderr)
        results[name] = {"cpu_median": round(med, 2), "cpu": [round(c, 2) for c in cpus],
                         "findings": len(found), "same_findings_as_first": same}
    base = next(iter(results.values()))["cpu_median"]
    print(f"\ncorpus {corpus} — CPU seconds, cold, -j{args.jobs}, median of {args.repeat}")
    print(f"{'variant':24} {'CPU s':>8} {'vs first':>9} {'findings':>9}  same findings")
    for name, r in results.items():
        print(f"{name:24} {r['cpu_median']:8.2f} {r['cpu_median'] / base:8.2f}× {r['findings']:9}  "
              f"{'—' if r['same_findings_as_first'] is None else r['same_findings_as_first']}")
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
