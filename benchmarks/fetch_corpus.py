#!/usr/bin/env python3
"""Materialise the benchmark corpus (benchmarks/corpus.toml) into benchmarks/corpus/.

Each repository's pinned commit is exported with `git archive` (only `*.py` files) from a git
directory, found in this order:

  1. benchmarks/.clones/<name>: a clone made by this script with --clone (needs network access to
     github.com): `git clone --filter=blob:none https://github.com/<owner>/<name>` and a fetch of
     the pinned commit;
  2. --mirror-dir DIR (or $FASTAUTHLINT_MIRROR_DIR), if given: DIR/<owner>+<name>/repo or
     DIR/<owner>+<name>, an existing bare mirror or clone (saves the download).

By hand, without this script, the same tree is:

    git clone https://github.com/<owner>/<name> /tmp/<name>
    git -C /tmp/<name> checkout <commit>
    # then copy the *.py files into benchmarks/corpus/<name>/, keeping their relative paths

The `[semgrep-rules]` entry names semgrep's public rule files that overlap fastauthlint's rules;
they are copied, at the pinned commit, into benchmarks/semgrep-public-rules/ (git-ignored).

The corpus root also gets a `pyproject.toml` with an empty `[tool.fastauthlint]` table (so the
corpus is one project root for fastauthlint, not this repository), a `.semgrepignore` (so semgrep
does not apply its default ignore list, which skips tests/, and scans what the others scan) and a
`MANIFEST.json` (files, bytes and lines per repository; run.py records it with the results).

Never commit the corpus: it is other people's code (benchmarks/corpus/ is git-ignored).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore

HERE = Path(__file__).resolve().parent
DEFAULT_MANIFEST = HERE / "corpus.toml"
DEFAULT_OUT = HERE / "corpus"
PUBLIC_RULES = HERE / "semgrep-public-rules"
CLONES = HERE / ".clones"
_MIRROR_ENV = os.environ.get("FASTAUTHLINT_MIRROR_DIR")
DEFAULT_MIRROR = Path(_MIRROR_ENV) if _MIRROR_ENV else None

# Directory names that fastauthlint, bandit and semgrep skip (or that are never source of the
# project itself). A file under one of them is left out of the corpus so all tools see one set.
SKIP_DIRS = {
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "node_modules", "__pycache__", "build",
    "dist", ".tox", ".nox", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs",
}


def load_corpus(path: Path = DEFAULT_MANIFEST) -> list:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    repos = data.get("repo", [])
    for r in repos:
        for key in ("name", "repo", "commit"):
            if not r.get(key):
                raise SystemExit(f"{path}: an entry lacks '{key}': {r}")
    return repos


def load_public_rules(path: Path = DEFAULT_MANIFEST) -> "dict | None":
    """The [semgrep-rules] entry: semgrep's public rule files that overlap fastauthlint's rules."""
    entry = tomllib.loads(path.read_text(encoding="utf-8")).get("semgrep-rules")
    if entry is None:
        return None
    for key in ("repo", "commit", "files"):
        if not entry.get(key):
            raise SystemExit(f"{path}: [semgrep-rules] lacks '{key}'")
    return {"name": "semgrep-rules", **entry}


def fetch_public_rules(entry: dict, mirror_dir: "Path | None", may_clone: bool, force: bool) -> bool:
    """Copy the pinned rule files into benchmarks/semgrep-public-rules/; False when no clone has them."""
    marker = PUBLIC_RULES / ".commit"
    if not force and marker.is_file() and marker.read_text().strip() == entry["commit"] and all(
            (PUBLIC_RULES / f).is_file() for f in entry["files"]):
        print(f"{'semgrep-rules':32} {entry['commit'][:12]} already in place")
        return True
    gd = find_git_dir(entry, mirror_dir)
    if gd is None and may_clone:
        gd = clone(entry)
    if gd is None:
        print(f"{'semgrep-rules':32} {entry['commit'][:12]} MISSING: no local git directory has it",
              file=sys.stderr)
        return False
    shutil.rmtree(PUBLIC_RULES, ignore_errors=True)
    for rel in entry["files"]:
        proc = git(gd, "show", f"{entry['commit']}:{rel}", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise SystemExit(f"{entry['repo']}@{entry['commit'][:12]} has no {rel}")
        out = PUBLIC_RULES / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(proc.stdout)
    marker.write_text(entry["commit"] + "\n")
    print(f"{'semgrep-rules':32} {entry['commit'][:12]} {len(entry['files']):6} rule files")
    return True


def git(git_dir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], **kw)


def has_commit(git_dir: Path, commit: str) -> bool:
    return git(git_dir, "cat-file", "-e", f"{commit}^{{commit}}",
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def find_git_dir(entry: dict, mirror_dir: "Path | None") -> "Path | None":
    candidates = [CLONES / entry["name"] / ".git"]
    if mirror_dir is not None:
        owner_name = entry["repo"].replace("/", "+")
        candidates += [mirror_dir / owner_name / "repo", mirror_dir / owner_name / "repo" / ".git",
                       mirror_dir / owner_name, mirror_dir / owner_name / ".git"]
    for c in candidates:
        if c.is_dir() and has_commit(c, entry["commit"]):
            return c
    return None


def clone(entry: dict) -> Path:
    dest = CLONES / entry["name"]
    url = f"https://github.com/{entry['repo']}"
    if not (dest / ".git").is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "--no-checkout", "--filter=blob:none", url, str(dest)], check=True)
    gd = dest / ".git"
    if not has_commit(gd, entry["commit"]):
        subprocess.run(["git", "-C", str(dest), "fetch", "origin", entry["commit"]], check=True)
    return gd


def skipped(rel: str) -> bool:
    parts = rel.split("/")
    return any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1])


def extract(git_dir: Path, commit: str, dest: Path) -> dict:
    """Write the commit's *.py files under dest; return {files, bytes, lines}."""
    proc = git(git_dir, "archive", "--format=tar", commit, "--", "*.py", stdout=subprocess.PIPE,
               stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise SystemExit(f"git archive {commit} in {git_dir} failed: {proc.stderr.decode(errors='replace')}")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    stats = {"files": 0, "bytes": 0, "lines": 0}
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        for member in tar:
            # Regular files only (no symlinks, devices or absolute/.. paths): this is foreign code.
            if not member.isfile() or not member.name.endswith(".py"):
                continue
            rel = member.name
            if rel.startswith("/") or ".." in rel.split("/") or skipped(rel):
                continue
            data = tar.extractfile(member).read()
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            stats["files"] += 1
            stats["bytes"] += len(data)
            stats["lines"] += data.count(b"\n")
    (dest / ".commit").write_text(commit + "\n")
    return stats


def write_root_files(out: Path, manifest: dict) -> None:
    (out / "pyproject.toml").write_text(
        "# Written by benchmarks/fetch_corpus.py: makes the corpus one project root for fastauthlint.\n"
        "[tool.fastauthlint]\n")
    # A .semgrepignore that exists replaces semgrep's default ignore list (which skips tests/).
    (out / ".semgrepignore").write_text(
        "# Written by benchmarks/fetch_corpus.py: scan every file the other tools scan.\n"
        "MANIFEST.json\n")
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_MANIFEST, help="corpus list (TOML)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to materialise it")
    ap.add_argument("--mirror-dir", type=Path, default=DEFAULT_MIRROR,
                    help="a directory of existing mirrors <owner>+<name>[/repo] (optional)")
    ap.add_argument("--clone", action="store_true",
                    help="clone from GitHub into benchmarks/.clones/ what no mirror has")
    ap.add_argument("--force", action="store_true", help="re-extract trees already in place")
    ap.add_argument("--only", action="append", help="only this corpus entry (repeatable)")
    args = ap.parse_args(argv)

    repos = load_corpus(args.corpus)
    if args.only:
        repos = [r for r in repos if r["name"] in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "MANIFEST.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    manifest.setdefault("repos", {})
    missing = []
    for entry in repos:
        dest = args.out / entry["name"]
        marker = dest / ".commit"
        if (not args.force and marker.is_file() and marker.read_text().strip() == entry["commit"]
                and entry["name"] in manifest["repos"]):
            print(f"{entry['name']:32} {entry['commit'][:12]} already in place")
            continue
        gd = find_git_dir(entry, args.mirror_dir)
        if gd is None and args.clone:
            gd = clone(entry)
        if gd is None:
            missing.append(entry)
            print(f"{entry['name']:32} {entry['commit'][:12]} MISSING: no local git directory has it",
                  file=sys.stderr)
            continue
        stats = extract(gd, entry["commit"], dest)
        manifest["repos"][entry["name"]] = {"repo": entry["repo"], "commit": entry["commit"], **stats}
        print(f"{entry['name']:32} {entry['commit'][:12]} {stats['files']:6} files "
              f"{stats['lines']:8} lines")
    rules = load_public_rules(args.corpus)
    if rules is not None and not fetch_public_rules(rules, args.mirror_dir, args.clone, args.force):
        missing.append(rules)
    # Forget entries no longer listed.
    listed = {r["name"] for r in load_corpus(args.corpus)}
    manifest["repos"] = {k: v for k, v in sorted(manifest["repos"].items()) if k in listed}
    manifest["total"] = {k: sum(v[k] for v in manifest["repos"].values()) for k in ("files", "bytes", "lines")}
    write_root_files(args.out, manifest)
    t = manifest["total"]
    print(f"{'total':32} {'':12} {t['files']:6} files {t['lines']:8} lines ({t['bytes'] / 1e6:.1f} MB)")
    if missing:
        print("\nMissing repositories: run again with --clone (needs github.com), point --mirror-dir at "
              "existing clones, or clone and check out the pinned commit by hand (see this script's "
              "docstring).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
