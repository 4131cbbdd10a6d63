#!/usr/bin/env python3
"""How the process pool's chunking and job order affect a cold parallel run (from CPU times, not wall).

    .venv/bin/python benchmarks/prototypes/pool_sim.py [--corpus DIR] [--costs costs.json]

Measures each file's per-file-phase cost once, in this process, as CPU time (time.process_time:
little affected by other jobs on the machine), plus the cost of pickling its FileResult back to the
parent. Then simulates `ProcessPoolExecutor.map(..., chunksize=c)` (chunks handed, in order, to
whichever worker is free first) for N workers and reports the makespan against the ideal
(total / N), for the engine's current policy (files in path order, chunksize min(32, n // (4N)))
and alternatives (largest files first; smaller chunks).
"""

from __future__ import annotations

import argparse
import heapq
import json
import pickle
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def measure(corpus: Path) -> list:
    from fastauthlint.analysis import analyze_path
    from fastauthlint.config import load_config
    from fastauthlint.discovery import discover, module_name

    sys.setrecursionlimit(10000)
    config = load_config([corpus])
    root = config.root.resolve()
    found = discover([corpus], config)
    out = []
    for p in found.project:
        mod, is_pkg = module_name(p, root)
        data = p.read_bytes()
        t0 = time.process_time()
        res = analyze_path(p, p.relative_to(root).as_posix(), mod, is_pkg, config, data=data)
        t1 = time.process_time()
        blob = pickle.dumps(res)
        pickle.loads(blob)
        t2 = time.process_time()
        out.append({"path": p.relative_to(root).as_posix(), "bytes": len(data), "cpu": t1 - t0,
                    "pickle_cpu": t2 - t1, "pickle_bytes": len(blob)})
    return out


def makespan(costs, workers: int, chunk: int) -> float:
    chunks = [sum(costs[i:i + chunk]) for i in range(0, len(costs), chunk)]
    free = [0.0] * workers
    heapq.heapify(free)
    for c in chunks:
        t = heapq.heappop(free)
        heapq.heappush(free, t + c)
    return max(free)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus")
    ap.add_argument("--costs", type=Path, help="reuse (or write) per-file costs here")
    args = ap.parse_args(argv)
    if args.costs and args.costs.is_file():
        rows = json.loads(args.costs.read_text())
    else:
        rows = measure(args.corpus.resolve())
        if args.costs:
            args.costs.write_text(json.dumps(rows))
    total = sum(r["cpu"] for r in rows)
    pick = sum(r["pickle_cpu"] for r in rows)
    n = len(rows)
    big = sorted(rows, key=lambda r: -r["cpu"])
    print(f"{n} files, per-file phase {total:.1f} s CPU; pickling results {pick:.2f} s "
          f"({100 * pick / total:.1f}%), {sum(r['pickle_bytes'] for r in rows) / 1e6:.1f} MB pickled")
    print(f"largest costs: " + ", ".join(f"{r['path']} {r['cpu']:.2f}s" for r in big[:3]))
    top1 = sum(r["cpu"] for r in big[: max(1, n // 100)])
    print(f"the costliest 1% of files take {100 * top1 / total:.0f}% of the time")
    in_order = [r["cpu"] for r in rows]
    largest_first = sorted(in_order, reverse=True)
    print(f"\n{'workers':>7} {'policy':44} {'makespan':>9} {'vs ideal':>9}")
    for w in (2, 4, 8, 16):
        ideal = total / w
        cur = max(1, min(32, n // (w * 4)))
        for label, order, chunk in (
            (f"path order, chunksize {cur} (current)", in_order, cur),
            (f"largest first, chunksize {cur}", largest_first, cur),
            ("largest first, chunksize 4", largest_first, 4),
            ("largest first, chunksize 1", largest_first, 1),
        ):
            m = makespan(order, w, chunk)
            print(f"{w:7} {label:44} {m:8.1f}s {100 * (m / ideal - 1):8.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
