"""Command line: `fastauthlint PATH...` lints; `rule`, `rules` and `routes` are sub-commands.

Exit codes: 0 no findings, 1 findings (at or above the `fail-on` severity, default warning),
2 usage, configuration or internal error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import click

from fastauthlint import __version__
from fastauthlint import adopt as adoption
from fastauthlint.config import Config, ConfigError, load_config
from fastauthlint.discovery import DiscoveryError
from fastauthlint.findings import Finding, Severity
from fastauthlint.report import FORMATS, STATISTICS_FORMATS, Report, render, render_statistics
from fastauthlint.rules import all_rules, expand_selector, get_rule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
PROGRESS_MIN_FILES = 200


class DefaultToLint(click.Group):
    """`fastauthlint src/` means `fastauthlint lint src/`: users type the short form in CI and
    pre-commit. A first argument naming a sub-command runs it (lint a directory called `rules`
    with `fastauthlint ./rules` or `fastauthlint lint rules`)."""

    def parse_args(self, ctx, args):
        if args and args[0] in ("--help", "-h", "--version"):
            return super().parse_args(ctx, args)
        if not args or args[0] not in self.commands:
            args = ["lint", *args]
        return super().parse_args(ctx, args)


def _selectors(value: Optional[str], option: str) -> Tuple[str, ...]:
    if not value:
        return ()
    out = tuple(v.strip() for v in value.split(",") if v.strip())
    for v in out:
        if not expand_selector(v):
            raise click.BadParameter(f"unknown rule or prefix '{v}' (see `fastauthlint rules`)",
                                     param_hint=option)
    return out


def _fail(message: str) -> "None":
    click.echo(f"fastauthlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _load(paths: Sequence[Path], config_file: Optional[Path], select: Tuple[str, ...],
          extend_select: Tuple[str, ...], ignore: Tuple[str, ...], preview: bool = False) -> Config:
    try:
        config = load_config(paths, config_file)
    except ConfigError as e:
        _fail(str(e))
    if select:
        config.select = select
        config.extend_select = ()
    config.extend_select = config.extend_select + extend_select
    config.ignore = config.ignore + ignore
    config.preview = config.preview or preview
    config.__post_init__()
    return config


def _use_color(output: Optional[str]) -> bool:
    if output or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


@click.group(cls=DefaultToLint, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastauthlint")
def cli() -> None:
    """Find authentication mistakes in FastAPI code: unprotected routes, queries that forget
    their owner, secrets in code, tokens in logs, weakened JWT verification.

    \b
      fastauthlint src/                 lint (the default command)
      fastauthlint rules                list the rules
      fastauthlint rule FAL501          explain a rule
      fastauthlint routes src/          the route inventory and how each route is protected
      fastauthlint server               the language server (editors)
    """


@cli.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--select", help="Comma-separated rule IDs or prefixes to enable (replaces the configured set).")
@click.option("--extend-select", help="Rule IDs or prefixes to enable in addition.")
@click.option("--ignore", help="Comma-separated rule IDs or prefixes to disable.")
@click.option("--preview", is_flag=True,
              help="Also run the preview rules (new rules, off by default; selecting one by its full ID "
                   "enables it too).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read configuration from this file instead of the nearest pyproject.toml.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit code 1 (default: warning, or `fail-on` in the "
                   "configuration; info findings come from test, seed and documentation code).")
@click.option("--show-info", is_flag=True,
              help="List info findings in text, concise and github output too (they are summarised in one "
                   "line otherwise; json and sarif always carry them).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes (default: one per CPU; 1 runs in-process).")
@click.option("--force-exclude", is_flag=True,
              help="Apply exclude patterns even to files named on the command line (pre-commit).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--stdin-filename", type=click.Path(path_type=Path),
              help="With PATH '-': the name of the file being read from standard input.")
@adoption.options
def lint(paths: Tuple[Path, ...], fmt: str, select: Optional[str], extend_select: Optional[str],
         ignore: Optional[str], preview: bool, config_file: Optional[Path], exit_zero: bool,
         fail_on: Optional[str], show_info: bool, no_cache: bool, jobs: int,
         force_exclude: bool, output: Optional[Path], stdin_filename: Optional[Path],
         adopt: adoption.AdoptOptions) -> None:
    """Lint PATHS (files or directories; '-' reads standard input)."""
    from fastauthlint.engine import RunOptions, run

    sel = _selectors(select, "--select")
    ext = _selectors(extend_select, "--extend-select")
    ign = _selectors(ignore, "--ignore")
    use_stdin = any(str(p) == "-" for p in paths)
    if stdin_filename is not None and not use_stdin:
        raise click.UsageError("--stdin-filename goes with the path '-'")
    if adopt.statistics and fmt not in STATISTICS_FORMATS:
        raise click.UsageError(f"--statistics prints {' or '.join(STATISTICS_FORMATS)}, not {fmt}")
    if not paths:
        paths = (Path("."),)
    stdin_path = (stdin_filename or Path("stdin.py")) if use_stdin else None
    anchor = [stdin_path] if stdin_path is not None else [p for p in paths if str(p) != "-"]
    config = _load(anchor, config_file, sel, ext, ign, preview)
    stdin_data = sys.stdin.buffer.read() if use_stdin else None

    progress_cb, progress_ctx = _progress()
    options = RunOptions(
        paths=[p for p in paths if str(p) != "-"], config=config, force_exclude=force_exclude,
        jobs=jobs, use_cache=not no_cache, stdin_path=stdin_path, stdin_data=stdin_data,
        progress=progress_cb,
    )
    try:
        with progress_ctx:
            result = run(options)
        # baseline, fixes, fix availability (fastauthlint.adopt)
        adopted = adoption.adopt(adopt, config, options, result, fmt)
    except DiscoveryError as e:
        _fail(str(e))
    except adoption.AdoptError as e:
        _fail(str(e))
    for note in adopted.notes:
        click.echo(note, err=True)
    if adopted.output is not None:
        _emit(adopted.output, output, color=False)
        sys.exit(adopted.exit_code or EXIT_CLEAN)

    def source_lines(shown: str) -> List[str]:
        if stdin_path is not None and shown == stdin_path.as_posix():
            return (stdin_data or b"").decode("utf-8", "replace").splitlines()
        try:
            return Path(shown).read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            return []

    threshold = Severity(fail_on or config.fail_on).rank
    shown, hidden_info = adopted.findings, {}
    if fmt in INFO_SUMMARISED and not adopt.statistics and not show_info and threshold > Severity.INFO.rank:
        # Info findings (code that is not the application, low-risk reads) would bury the errors
        # and warnings on a large codebase: one line counts them instead.
        shown, hidden_info = _split_info(adopted.findings)
    report = Report(findings=shown, files_checked=len(result.targets), source_lines=source_lines,
                    hidden_by_baseline=adopted.hidden, fixed=adopted.fixed, unsafe_fixes=adopt.unsafe_fixes,
                    hidden_info=hidden_info)
    color = fmt == "text" and _use_color(str(output) if output else None)
    text = render_statistics(fmt, report) if adopt.statistics else render(fmt, report, color=color)
    _emit(text, output, color)
    failing = any((f.severity or Severity.ERROR).rank >= threshold for f in adopted.findings)
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


# The formats people read line by line; json and sarif keep every finding (sarif at level note).
INFO_SUMMARISED = ("text", "concise", "github")


def _split_info(findings: List[Finding]) -> Tuple[List[Finding], Dict[str, int]]:
    shown, hidden = [], {}
    for f in findings:
        if f.severity is Severity.INFO:
            hidden[f.rule] = hidden.get(f.rule, 0) + 1
        else:
            shown.append(f)
    return shown, dict(sorted(hidden.items(), key=lambda kv: (-kv[1], kv[0])))


def _emit(text: str, output: Optional[Path], color: bool) -> None:
    if output:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            _fail(f"cannot write {output}: {e.strerror or e}")
    else:
        click.echo(text, nl=False, color=color)  # click would strip the colour it cannot see a TTY for


def _progress():
    """A transient progress bar on stderr for long runs in a terminal; nothing otherwise."""
    import contextlib

    if not sys.stderr.isatty():
        return None, contextlib.nullcontext()
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("analysing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    state = {"task": None}

    def update(done: int, total: int) -> None:
        if total < PROGRESS_MIN_FILES:
            return
        if state["task"] is None:
            state["task"] = progress.add_task("files", total=total)
        progress.update(state["task"], completed=done)

    return update, progress


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List every rule with its severity and status."""
    rules = all_rules()
    if fmt == "json":
        click.echo(json.dumps([
            {"id": r.id, "name": r.name, "summary": r.summary, "severity": r.severity.value,
             "security_severity": r.security_severity, "cwe": list(r.cwe), "owasp": r.owasp,
             "family": r.family_title, "status": r.status, "spec_section": r.spec_section}
            for r in rules.values()
        ], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for col in ("ID", "name", "severity", "status", "summary"):
        table.add_column(col, overflow="fold")
    for r in rules.values():
        table.add_row(r.id, r.name, r.severity.value, r.status, r.summary)
    console = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    console.print(table)
    if any(r.preview for r in rules.values()):
        console.print("\npreview rules run with --preview (preview = true), or when selected by their full ID.")


@cli.command("rule")
@click.argument("rule_id")
def rule_cmd(rule_id: str) -> None:
    """Print the specification document of RULE_ID (e.g. FAL501)."""
    from fastauthlint.checks import rule_module

    rule = get_rule(rule_id)
    if rule is None:
        _fail(f"unknown rule '{rule_id}' (see `fastauthlint rules`)")
    module = rule_module(rule.id, rule.name)
    doc = rule.doc.rstrip("\n")
    if module:
        doc += f"\n\n---\nImplemented in `{module}`.\n"
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(doc))
    else:
        click.echo(doc.rstrip("\n"))


@cli.command("routes")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A table for people, or a JSON list for tools.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read configuration from this file instead of the nearest pyproject.toml.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes (default: one per CPU; 1 runs in-process).")
def routes_cmd(paths: Tuple[Path, ...], fmt: str, config_file: Optional[Path], no_cache: bool, jobs: int) -> None:
    """The route inventory of PATHS: every route with its full path, its handler and how it is
    protected (or `public (reason)`, or UNPROTECTED)."""
    from fastauthlint.project.route_table import route_table
    from fastauthlint.engine import RunOptions, display_path, run

    if not paths:
        paths = (Path("."),)
    config = _load(list(paths), config_file, (), (), ())
    try:
        result = run(RunOptions(paths=list(paths), config=config, jobs=jobs, use_cache=not no_cache))
    except DiscoveryError as e:
        _fail(str(e))
    targets = set(result.targets)
    cwd = os.getcwd()
    rows = [r for r in route_table(result.project) if r.file in targets]
    rows.sort(key=lambda r: (display_path(r.file, cwd), r.line, r.path, r.method))
    if fmt == "json":
        click.echo(json.dumps([
            {"method": r.method, "path": r.path, "handler": r.handler, "file": display_path(r.file, cwd),
             "line": r.line, "auth": r.auth, "public": r.public, "purpose": r.purpose, "guard": r.guard,
             "severity": None if r.auth or r.guard or r.public is not None or r.missing_module
             else ("info" if r.risk else "error"),
             "risk": r.risk, "optional": r.optional_auth or None, "unknown": r.missing_module or None}
            for r in rows
        ], indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold")
    for col in ("method", "path", "handler", "file:line", "protection"):
        table.add_column(col, overflow="fold")
    for r in rows:
        if r.auth:
            protection = Text(r.auth)
        elif r.guard:
            protection = Text(r.guard)
        elif r.public is not None:
            protection = Text(f"public ({r.public})", style="cyan")
        elif r.optional_auth:
            # anonymous requests get through: what applies does not refuse a missing credential
            protection = Text(f"optional ({r.optional_auth})", style="bold red")
        elif r.missing_module:
            protection = Text(f"unknown (depends on `{r.missing_module}`, which is not in the analysed code)",
                              style="yellow")
        elif r.risk:
            protection = Text(f"UNPROTECTED (info: {r.risk})", style="yellow")
        else:
            protection = Text("UNPROTECTED", style="bold red")
        table.add_row(r.method, r.path, r.handler, f"{display_path(r.file, cwd)}:{r.line}", protection)
    console = Console(highlight=False, soft_wrap=False, no_color=not _use_color(None),
                      width=None if sys.stdout.isatty() else 200)
    console.print(table)
    def bare(r):
        return not r.auth and not r.guard and r.public is None
    public = sum(1 for r in rows if not r.auth and not r.guard and r.public is not None)
    guarded = sum(1 for r in rows if not r.auth and r.guard)
    inferred = sum(1 for r in rows if not r.auth and not r.guard and r.public is not None and r.purpose)
    optional = sum(1 for r in rows if bare(r) and r.optional_auth)
    unknown = sum(1 for r in rows if bare(r) and not r.optional_auth and r.missing_module)
    unprotected = sum(1 for r in rows if bare(r) and not r.optional_auth and not r.missing_module)
    console.print(f"{len(rows)} routes: {len(rows) - unprotected - public - optional - unknown} protected"
                  + (f" ({guarded} by a capability or signature)" if guarded else "")
                  + f", {public} public" + (f" ({inferred} by purpose)" if inferred else "")
                  + (f", {optional} optional" if optional else "") + (f", {unknown} unknown" if unknown else "")
                  + f", {unprotected} unprotected")


@cli.command("server")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes for a first, uncached analysis of a project (default: one per CPU).")
def server_cmd(jobs: int) -> None:
    """Speak the Language Server Protocol on standard input and output (editors start this).
    Needs the optional `lsp` extra: pip install 'fastauthlint[lsp]'."""
    try:
        from fastauthlint.lsp.server import serve
    except ImportError as e:
        _fail(f"the language server needs pygls ({e.name or e}); install it with: pip install 'fastauthlint[lsp]'")
    serve(jobs)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console-script entry point: an unexpected error is a one-line message and exit code 2,
    never a traceback (set FASTAUTHLINT_DEBUG=1 to see one)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="fastauthlint")
    except KeyboardInterrupt:
        click.echo("fastauthlint: interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence
        if os.environ.get("FASTAUTHLINT_DEBUG"):
            raise
        click.echo(f"fastauthlint: internal error: {type(e).__name__}: {e} "
                   "(set FASTAUTHLINT_DEBUG=1 for a traceback, and please report it)", err=True)
        sys.exit(EXIT_ERROR)
