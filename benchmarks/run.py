#!/usr/bin/env python3
"""Time fastauthlint against bandit and semgrep on the same real corpus; report ratios.

Set-up (once; see benchmarks/README.md):

    python3 -m venv .venv && .venv/bin/pip install -e .              # fastauthlint itself
    python3 -m venv benchmarks/.venv-tools
    benchmarks/.venv-tools/bin/pip install bandit semgrep            # the baselines
    .venv/bin/python benchmarks/fetch_corpus.py                      # the pinned corpus

Run:

    .venv/bin/python benchmarks/run.py                  # every scenario, 3 runs each (median)
    .venv/bin/python benchmarks/run.py --repeat 5 --tools fastauthlint,bandit

fastauthlint is run as `<this python> -m fastauthlint`, so run this script with the Python of the
environment where the fastauthlint under test is installed (or pass --fastauthlint-python). bandit
and semgrep are taken from --tools-venv (default benchmarks/.venv-tools), else from PATH; a tool that
is missing is skipped with a message saying how to install it.

Scenarios (each tool is given exactly the same files; the script checks the counts each reports):

  cold-1      no cache, one process            fastauthlint --no-cache -j1 | bandit | semgrep -j1
  cold-N      no cache, N = CPUs processes     fastauthlint --no-cache     | bandit | semgrep -jN
  warm        nothing changed since last run   fastauthlint (cache)        | bandit | semgrep -jN
  precommit   5 changed files, warm cache      fastauthlint --force-exclude F1..F5 | bandit F1..F5 | semgrep F1..F5
              (before each fastauthlint run the 5 files are edited, as a commit edits them, so the
              cache holds their old version; they are restored afterwards)
  precommit-cold  the same without a cache (fastauthlint then reads the whole project for facts)

bandit has no parallel mode and neither baseline has a cache, so their times in warm/precommit are
the times of the same command. Ratios are fastauthlint time / baseline time (below 1: faster).
Results go to benchmarks/results/<date>.json and <date>.md (and are printed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPUS = HERE / "corpus"
DEFAULT_TOOLS_VENV = Path(os.environ.get("FASTAUTHLINT_BENCH_TOOLS", HERE / ".venv-tools"))
SEMGREP_RULES = HERE / "semgrep-auth-rules.yml"
# semgrep's own public rules that overlap ours, copied by fetch_corpus.py from corpus.toml's
# [semgrep-rules] commit: what a team would run instead of fastauthlint.
PUBLIC_RULES = HERE / "semgrep-public-rules"
BASELINES = ("bandit", "semgrep", "semgrep-public")
RESULTS = HERE / "results"
SUBSET_SIZE = 5
SUBSET_SEED = 20240601  # fixed: the same "changed files" on every machine

INSTALL_HINT = (
    "python3 -m venv benchmarks/.venv-tools && benchmarks/.venv-tools/bin/pip install bandit semgrep"
)


# -- helpers -----------------------------------------------------------------------------------

def corpus_files(corpus: Path) -> List[str]:
    """Every *.py file under the corpus, POSIX paths relative to it, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in filenames:
            if f.endswith(".py"):
                out.append(Path(dirpath, f).relative_to(corpus).as_posix())
    return sorted(out)


def find_tool(name: str, venv: Path) -> Optional[str]:
    cand = venv / "bin" / name
    if cand.is_file() and os.access(cand, os.X_OK):
        return str(cand)
    return shutil.which(name)


def version_of(cmd: Sequence[str], env: Optional[Dict[str, str]] = None) -> str:
    try:
        p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120, env=env,
                           stdin=subprocess.DEVNULL)
        text = (p.stdout or p.stderr).strip().splitlines()
        return text[0].strip() if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "?"


class Timed:
    def __init__(self, wall: float, cpu: float, rc: int):
        self.wall, self.cpu, self.rc = wall, cpu, rc


def timed(cmd: Sequence[str], cwd: Path, env: Dict[str, str], ok_codes=(0, 1)) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # Its own process group, so that stopping the benchmark also stops the tool's worker processes.
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, stderr = proc.communicate()
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    p = subprocess.CompletedProcess(proc.args, proc.returncode, None, stderr)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode not in ok_codes:
        err = p.stderr.decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"command failed (exit {p.returncode}): {' '.join(cmd[:6])} ...\n{err}")
    return Timed(wall, cpu, p.returncode)


def shown_path(path: str) -> str:
    """A path as results record it: relative to this repository, never a machine's directory."""
    try:
        return Path(path).resolve().relative_to(HERE.parent).as_posix()
    except ValueError:
        return "<installed>" if "site-packages" in path else "<outside the repository>"


# -- the tools -----------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.corpus: Path = args.corpus.resolve()
        self.files = corpus_files(self.corpus)
        if not self.files:
            raise SystemExit(f"{self.corpus}: no Python files; run benchmarks/fetch_corpus.py first")
        self.nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.jobs = args.jobs or self.nproc
        rnd = random.Random(SUBSET_SEED)
        self.subset = sorted(rnd.sample(self.files, min(SUBSET_SIZE, len(self.files))))
        self.tmp = Path(tempfile.mkdtemp(prefix="fal-bench-"))
        self.env = dict(os.environ)
        self.env.pop("FORCE_COLOR", None)
        self.env["NO_COLOR"] = "1"
        self.env["FASTAUTHLINT_CACHE_DIR"] = str(self.tmp / "cache")
        self.env["SEMGREP_ENABLE_VERSION_CHECK"] = "0"
        self.env["SEMGREP_SEND_METRICS"] = "off"
        self.tools: Dict[str, List[str]] = {}
        self.versions: Dict[str, str] = {}
        self.skipped: Dict[str, str] = {}
        wanted = set(args.tools.split(","))
        py = args.fastauthlint_python or sys.executable
        if "fastauthlint" in wanted:
            probe = subprocess.run([py, "-c", "import fastauthlint, libcst, importlib.metadata as m;"
                                    "print(fastauthlint.__version__, m.version('libcst'), fastauthlint.__file__)"],
                                   capture_output=True, text=True, cwd=self.corpus, env=self.env)
            if probe.returncode == 0:
                ver, libcst_ver, where = probe.stdout.split()
                self.tools["fastauthlint"] = [py, "-m", "fastauthlint"]
                self.versions["fastauthlint"] = f"{ver} (libcst {libcst_ver}; {shown_path(where)})"
            else:
                self.skipped["fastauthlint"] = f"not importable by {py}: pip install -e . in that environment"
        for name in ("bandit", "semgrep"):
            if name not in wanted:
                continue
            exe = find_tool(name, args.tools_venv)
            if exe is None:
                self.skipped[name] = f"not installed; {INSTALL_HINT}"
                continue
            self.tools[name] = [exe]
            # semgrep's --version otherwise waits for a network version check where there is none.
            extra = ["--disable-version-check"] if name == "semgrep" else []
            self.versions[name] = version_of([exe, "--version", *extra], self.env)
        if "semgrep-public" in wanted:
            self.public_rules = sorted(PUBLIC_RULES.rglob("*.yaml"))
            exe = find_tool("semgrep", args.tools_venv)
            if exe is None:
                self.skipped["semgrep-public"] = f"not installed; {INSTALL_HINT}"
            elif not self.public_rules:
                self.skipped["semgrep-public"] = ("no public rule files: run benchmarks/fetch_corpus.py "
                                                  "(its [semgrep-rules] entry)")
            else:
                self.tools["semgrep-public"] = [exe]
                commit = (PUBLIC_RULES / ".commit").read_text().strip()[:12] if (PUBLIC_RULES / ".commit").is_file() else "?"
                self.versions["semgrep-public"] = (f"{len(self.public_rules)} rule files of semgrep/semgrep-rules@{commit}")
        for name, why in self.skipped.items():
            print(f"skipping {name}: {why}", file=sys.stderr)

    # Commands. `targets` are paths relative to the corpus (the cwd of every run).
    def fal(self, *extra: str, targets: Sequence[str] = (".",)) -> List[str]:
        return [*self.tools["fastauthlint"], "--format", "json", "--exit-zero", *extra, *targets]

    def bandit(self, targets: Sequence[str], out: Optional[Path] = None) -> List[str]:
        cmd = [*self.tools["bandit"], "-q", "-f", "json", "-o", str(out or self.tmp / "bandit.json")]
        return cmd + (["-r", *targets] if targets == (".",) else list(targets))

    def semgrep(self, jobs: int, targets: Sequence[str], out: Optional[Path] = None,
                public: bool = False) -> List[str]:
        configs = ([a for r in self.public_rules for a in ("--config", str(r))] if public
                   else ["--config", str(SEMGREP_RULES)])
        return [*self.tools["semgrep-public" if public else "semgrep"], "scan", *configs, "--metrics=off",
                "--disable-version-check", "--project-root", ".", "--semgrepignore-v2", "--json",
                "-o", str(out or self.tmp / "semgrep.json"), "--quiet", "-j", str(jobs),
                "--timeout", "0", *targets]

    # -- sanity: the same file set for every tool --------------------------------------------
    def check_file_sets(self) -> Dict[str, int]:
        counts = {"corpus": len(self.files)}
        if "fastauthlint" in self.tools:
            out = self.tmp / "fal.json"
            timed(self.fal("--no-cache", "-o", str(out)), self.corpus, self.env)
            counts["fastauthlint"] = json.loads(out.read_text())["summary"].get("files_checked", -1)
        if "bandit" in self.tools:
            out = self.tmp / "bandit-check.json"
            timed(self.bandit((".",), out), self.corpus, self.env)
            d = json.loads(out.read_text())
            counts["bandit"] = len([k for k in d.get("metrics", {}) if k != "_totals"])
            counts["bandit_errors"] = len(d.get("errors", []))
        if "semgrep" in self.tools:
            out = self.tmp / "semgrep-check.json"
            timed(self.semgrep(self.jobs, (".",), out), self.corpus, self.env)
            d = json.loads(out.read_text())
            counts["semgrep"] = len(d.get("paths", {}).get("scanned", []))
            counts["semgrep_errors"] = len(d.get("errors", []))
            counts["semgrep_findings"] = len(d.get("results", []))
        if "semgrep-public" in self.tools:
            out = self.tmp / "semgrep-public-check.json"
            timed(self.semgrep(self.jobs, (".",), out, public=True), self.corpus, self.env)
            d = json.loads(out.read_text())
            counts["semgrep_public"] = len(d.get("paths", {}).get("scanned", []))
            counts["semgrep_public_errors"] = len(d.get("errors", []))
            counts["semgrep_public_findings"] = len(d.get("results", []))
        return counts

    # -- measuring -----------------------------------------------------------------------------
    def measure(self, label: str, cmd: List[str], files: int, prepare=None) -> dict:
        times, cpus, loads = [], [], []
        for i in range(self.args.repeat):
            if prepare:
                prepare()
            loads.append(round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None)
            t = timed(cmd, self.corpus, self.env)
            times.append(t.wall)
            cpus.append(t.cpu)
            print(f"  {label:40} run {i + 1}/{self.args.repeat}: {t.wall:7.2f} s wall, {t.cpu:7.2f} s cpu",
                  file=sys.stderr)
        med = statistics.median(times)
        return {"command": " ".join(Path(c).name if j == 0 else self.shown_arg(c) for j, c in enumerate(cmd[:12]))
                           + (" ..." if len(cmd) > 12 else ""),
                "times": [round(t, 3) for t in times], "median": round(med, 3),
                "min": round(min(times), 3), "max": round(max(times), 3),
                "cpu_median": round(statistics.median(cpus), 3), "cpu": [round(c, 3) for c in cpus],
                "load_before": loads,
                "files": files, "files_per_s": round(files / med, 1) if med > 0 else None}

    def shown_arg(self, arg: str) -> str:
        """A command argument as results record it: no directory of this machine."""
        if arg.startswith(str(self.tmp)):
            return "<tmp>" + arg[len(str(self.tmp)):]
        return shown_path(arg) if os.path.isabs(arg) else arg

    @contextlib.contextmanager
    def edited(self, files: Sequence[str]):
        """Yields a function that edits `files` as a commit would (a comment appended, different on
        each call, so a cache never holds the new version); the files are restored on the way out."""
        originals = {f: (self.corpus / f).read_bytes() for f in files}
        runs = [0]

        def edit() -> None:
            runs[0] += 1
            for f, data in originals.items():
                (self.corpus / f).write_bytes(data + f"\n# edited for the pre-commit benchmark ({runs[0]})\n".encode())

        try:
            yield edit
        finally:
            for f, data in originals.items():
                (self.corpus / f).write_bytes(data)

    def clear_cache(self) -> None:
        shutil.rmtree(self.tmp / "cache", ignore_errors=True)

    def run(self) -> dict:
        n = len(self.files)
        print(f"corpus: {n} files in {self.corpus}; {self.nproc} CPUs; {self.args.repeat} runs per scenario",
              file=sys.stderr)
        counts = self.check_file_sets() if not self.args.skip_file_check else {"corpus": n}
        print(f"file sets: {counts}", file=sys.stderr)
        scen: Dict[str, Dict[str, dict]] = {}
        T = self.tools

        def add(s: str, tool: str, res: dict) -> None:
            scen.setdefault(s, {})[tool] = res

        k = len(self.subset)
        want = set(self.args.scenarios.split(","))
        whole = want & {"cold-1", "cold-N", "warm"}
        part = want & {"precommit", "precommit-cold"}
        if "fastauthlint" in T:
            if "cold-1" in want:
                add("cold-1", "fastauthlint", self.measure("fastauthlint cold -j1",
                                                           self.fal("--no-cache", "-j", "1"), n))
            if "cold-N" in want:
                add("cold-N", "fastauthlint", self.measure(f"fastauthlint cold -j{self.jobs}",
                                                           self.fal("--no-cache", "-j", str(self.args.jobs)), n))
            if want & {"warm", "precommit"}:
                self.clear_cache()
                timed(self.fal(), self.corpus, self.env)  # fill the cache (untimed)
            if "warm" in want:
                add("warm", "fastauthlint", self.measure("fastauthlint warm", self.fal(), n))
            if "precommit" in want:
                with self.edited(self.subset) as edit:
                    add("precommit", "fastauthlint", self.measure(
                        f"fastauthlint precommit ({k} files, warm)", self.fal("--force-exclude", targets=self.subset),
                        k, prepare=edit))
            if "precommit-cold" in want:
                add("precommit-cold", "fastauthlint", self.measure(
                    f"fastauthlint precommit ({k} files, no cache)",
                    self.fal("--no-cache", "--force-exclude", targets=self.subset), k))
        if "bandit" in T:
            if whole:
                res = self.measure("bandit -r", self.bandit((".",)), n)
                for s in whole:
                    add(s, "bandit", res)
            if part:
                res = self.measure(f"bandit ({k} files)", self.bandit(tuple(self.subset)), k)
                for s in part:
                    add(s, "bandit", res)
        if "semgrep" in T:
            if "cold-1" in want:
                add("cold-1", "semgrep", self.measure("semgrep -j1", self.semgrep(1, (".",)), n))
            if want & {"cold-N", "warm"}:
                res = self.measure(f"semgrep -j{self.jobs}", self.semgrep(self.jobs, (".",)), n)
                for s in want & {"cold-N", "warm"}:
                    add(s, "semgrep", res)
            if part:
                res = self.measure(f"semgrep ({k} files)", self.semgrep(self.jobs, tuple(self.subset)), k)
                for s in part:
                    add(s, "semgrep", res)
        if "semgrep-public" in T:
            if "cold-1" in want:
                add("cold-1", "semgrep-public", self.measure(
                    "semgrep public rules -j1", self.semgrep(1, (".",), public=True), n))
            if want & {"cold-N", "warm"}:
                res = self.measure(f"semgrep public rules -j{self.jobs}", self.semgrep(self.jobs, (".",), public=True), n)
                for s in want & {"cold-N", "warm"}:
                    add(s, "semgrep-public", res)
            if part:
                res = self.measure(f"semgrep public rules ({k} files)",
                                   self.semgrep(self.jobs, tuple(self.subset), public=True), k)
                for s in part:
                    add(s, "semgrep-public", res)
        # Table rows in a fixed order whatever was asked.
        scen = {s: scen[s] for s in SCENARIO_TEXT if s in scen}

        ratios: Dict[str, Dict[str, Optional[float]]] = {}
        for s, by in scen.items():
            fal = by.get("fastauthlint")
            if not fal:
                continue
            ratios[s] = {b: round(fal["median"] / by[b]["median"], 2) if b in by and by[b]["median"] else None
                         for b in BASELINES}
            ratios[s].update({f"{b}_cpu": round(fal["cpu_median"] / by[b]["cpu_median"], 2)
                              if b in by and by[b].get("cpu_median") else None for b in BASELINES})
        return {
            "date": _dt.datetime.now().isoformat(timespec="seconds"),
            "label": self.args.label,
            "machine": self.machine(),
            "tools": self.versions,
            "skipped_tools": self.skipped,
            "corpus": self.corpus_info(),
            "file_sets": counts,
            "subset": self.subset,
            "jobs": self.jobs,
            "repeat": self.args.repeat,
            "scenarios": scen,
            "ratios": ratios,
        }

    def machine(self) -> dict:
        rev = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        branch = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--abbrev-ref", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        return {"nproc": self.nproc, "cpu": cpu_model(), "memory": mem_total(),
                "platform": platform.platform(), "python": platform.python_version(),
                "python_under_test": version_of([self.args.fastauthlint_python or sys.executable, "--version"]),
                "fastauthlint_commit": f"{branch}@{rev}"}

    def corpus_info(self) -> dict:
        try:
            return json.loads((self.corpus / "MANIFEST.json").read_text())
        except (OSError, ValueError):
            return {"total": {"files": len(self.files)}}


# -- reporting -----------------------------------------------------------------------------------

SCENARIO_TEXT = {
    "cold-1": "cold, 1 process (no cache)",
    "cold-N": "cold, {N} processes (no cache)",
    "warm": "warm cache, nothing changed",
    "precommit": "pre-commit: {k} changed files, warm cache",
    "precommit-cold": "pre-commit: {k} changed files, no cache",
}
BASELINE_TEXT = {
    "cold-1": ("bandit -r", "semgrep -j1", "-j1"),
    "cold-N": ("bandit -r (1 process)", "semgrep -j{N}", "-j{N}"),
    "warm": ("bandit -r (no cache)", "semgrep -j{N} (no cache)", "-j{N} (no cache)"),
    "precommit": ("bandit F1..F{k}", "semgrep F1..F{k}", "F1..F{k}"),
    "precommit-cold": ("bandit F1..F{k}", "semgrep F1..F{k}", "F1..F{k}"),
}


def fmt_s(res: Optional[dict]) -> str:
    if not res:
        return "—"
    cpu = res.get("cpu_median")
    return f"{res['median']:.2f} s" + (f" ({cpu:.1f} cpu)" if cpu is not None else "")


def per_s(res: Optional[dict]) -> str:
    """Files per wall second, and per CPU second in brackets (less affected by machine load)."""
    if not res:
        return "—"
    cpu = res.get("cpu_median")
    return f"{res['files_per_s']}" + (f" ({res['files'] / cpu:.0f})" if cpu else "")


def ratio(a: Optional[dict], b: Optional[dict], key: str) -> str:
    if not a or not b or not b.get(key) or a.get(key) is None:
        return "—"
    return f"{a[key] / b[key]:.2f}×"


def markdown(r: dict) -> str:
    N, k = r["jobs"], len(r["subset"])
    m, c = r["machine"], r["corpus"].get("total", {})
    loads = [x for by in r["scenarios"].values() for res in by.values() for x in res.get("load_before", []) if x is not None]
    lines = [
        f"### Results {r['date'][:10]}{' — ' + r['label'] if r.get('label') else ''} "
        f"(fastauthlint {m['fastauthlint_commit']})",
        "",
        f"Corpus: {c.get('files', '?')} Python files, {c.get('lines', 0):,} lines "
        f"({len(r['corpus'].get('repos', {}))} repositories, benchmarks/corpus.toml). "
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}. "
        f"{'Median of ' + str(r['repeat']) + ' runs' if r['repeat'] > 1 else 'One run'} per scenario: wall seconds, with the CPU seconds (user+sys of the tool and "
        f"its children) in brackets."
        + (f" Load average before the runs: {min(loads):.1f}–{max(loads):.1f}"
           f"{' (the machine was shared: wall times are inflated, CPU-time ratios are the reliable ones)' if max(loads) > m['nproc'] + 1 else ''}."
           if loads else ""),
        "",
        "Ratio = fastauthlint / baseline on the same files (below 1: fastauthlint is faster); "
        "by wall time and by CPU time.",
        "",
        "semgrep runs once with our approximation (semgrep-auth-rules.yml) and once with semgrep's "
        "public rules that overlap ours (corpus.toml [semgrep-rules]).",
        "",
        "| scenario | fastauthlint | files/s (per cpu-s) | bandit | vs bandit (wall / cpu) | semgrep, our rules | vs it (wall / cpu) "
        "| semgrep, public rules | vs it (wall / cpu) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s, by in r["scenarios"].items():
        fal, bd, sg, sp = (by.get(t) for t in ("fastauthlint", *BASELINES))
        bt, st, pt = (t.format(N=N, k=k) for t in BASELINE_TEXT[s])
        lines.append(
            f"| {SCENARIO_TEXT[s].format(N=N, k=k)} | {fmt_s(fal)} | "
            f"{per_s(fal)} | "
            f"{fmt_s(bd)} `{bt}` | **{ratio(fal, bd, 'median')}** / {ratio(fal, bd, 'cpu_median')} | "
            f"{fmt_s(sg)} `{st}` | **{ratio(fal, sg, 'median')}** / {ratio(fal, sg, 'cpu_median')} | "
            f"{fmt_s(sp)} `{pt}` | **{ratio(fal, sp, 'median')}** / {ratio(fal, sp, 'cpu_median')} |")
    lines += ["", "Tools: " + "; ".join(f"{k}: {v}" for k, v in r["tools"].items()) + "."]
    fs = r["file_sets"]
    if set(fs) == {"corpus"}:
        lines += [f"Corpus files: {fs['corpus']} (the per-tool file-count check was skipped in this run)."]
    else:
        lines += ["Files each tool reported scanning: " + ", ".join(f"{k} {v}" for k, v in fs.items()) + "."]
    if r["skipped_tools"]:
        lines += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in r["skipped_tools"].items()) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="materialised corpus (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per scenario; the median is reported")
    ap.add_argument("--jobs", type=int, default=0, help="N for the parallel scenarios (default: CPUs)")
    ap.add_argument("--tools", default="fastauthlint,bandit,semgrep,semgrep-public", help="comma-separated subset")
    ap.add_argument("--tools-venv", type=Path, default=DEFAULT_TOOLS_VENV,
                    help="venv holding bandit and semgrep (default: %(default)s)")
    ap.add_argument("--fastauthlint-python", help="Python that has the fastauthlint under test (default: this one)")
    ap.add_argument("--scenarios", default="cold-1,cold-N,warm,precommit,precommit-cold",
                    help="comma-separated subset of the scenarios (default: all)")
    ap.add_argument("--skip-file-check", action="store_true",
                    help="do not first run each tool once to check that all see the same files")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where results are written")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--label", help="suffix of the result files (<date>-<label>.json), e.g. a prototype's name")
    ap.add_argument("--report", type=Path, nargs="+",
                    help="only re-render the Markdown of earlier results JSON (several: one merged table)")
    ap.add_argument("--out-md", type=Path, help="with --report: where to write the Markdown")
    args = ap.parse_args(argv)

    if args.report:
        # Several results of the same corpus (e.g. scenarios measured in separate runs) make one table.
        docs = [json.loads(p.read_text()) for p in args.report]
        merged = docs[0]
        for d in docs[1:]:
            for scen, by in d["scenarios"].items():
                merged["scenarios"].setdefault(scen, {}).update(by)
            merged["machine"] = d["machine"] if not merged.get("machine") else merged["machine"]
        merged["scenarios"] = {s: merged["scenarios"][s] for s in SCENARIO_TEXT if s in merged["scenarios"]}
        if len(docs) > 1:
            merged["label"] = " + ".join(d.get("label") or d["date"] for d in docs)
        md = markdown(merged)
        print(md)
        if not args.no_write:
            out = args.out_md or args.report[0].with_suffix(".md")
            out.write_text(md)
        return 0

    # A stopped benchmark stops the tool it is timing (subprocess.run kills it on the exception).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(args)
    try:
        result = bench.run()
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    md = markdown(result)
    print(md)
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = args.out / (result["date"][:10] + (f"-{args.label}" if args.label else ""))
        stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
        stem.with_suffix(".md").write_text(md)
        print(f"wrote {stem}.json and {stem}.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
