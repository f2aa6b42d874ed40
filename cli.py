"""hubplan: plan Maths Hubs Work Groups. `hubplan --help` lists the commands.

Each command imports what it uses when it runs: `hubplan --help` starts in 0.15 s, where
importing every command's modules (pydantic, OR-Tools, openpyxl, Dask) takes 1.8 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scheduler.core.options import DEFAULT_GAP
from scheduler.operations.pipeline import EXIT_INVALID, EXIT_NO_PLAN, EXIT_OK, EXIT_TIME_LIMIT  # noqa: E402


def _fail_invalid(problems: list[tuple[str, str]]) -> None:
    for path, message in problems:
        click.echo(f"{path}: {message}" if path else message, err=True)
    click.echo(
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found; nothing was written.", err=True
    )
    sys.exit(EXIT_INVALID)


def _load(path: str):
    from models.load import InstanceError, load_instance

    try:
        return load_instance(path)
    except InstanceError as exc:
        _fail_invalid(exc.problems)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubplan", prog_name="hubplan")  # pyproject.toml's version
def main() -> None:
    """Plan a Maths Hub's Work Groups: every session dated, clash-free, costed."""


@main.command()
@click.argument("instance", type=click.Path())
def validate(instance: str) -> None:
    """Check INSTANCE and every cross-reference in it; list all problems."""
    inst = _load(instance)
    click.echo(
        f"{instance}: valid ({len(inst.work_groups)} work groups, {len(inst.schools)} schools, "
        f"{len(inst.specialists)} specialists, {len(inst.teachers)} teachers)"
    )


def _solve_options(f):
    """--time-limit, --gap/--optimal, --seed and --workers, shared by solve and batch."""
    f = click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=None,
        help="Models solved at once, each in its own process; the plan is the same for any number. "
        "[default: solve: every core; batch: 1 per instance]",
    )(f)
    f = click.option(
        "--seed",
        type=click.IntRange(0, 2**31 - 1),
        default=0,
        show_default=True,
        help="Random seed of the search.",
    )(f)
    f = click.option(
        "--optimal",
        is_flag=True,
        help="Prove the plan is the best possible (the same as --gap 0); takes longer.",
    )(f)
    f = click.option(
        "--gap",
        type=click.FloatRange(0.0, 1.0),
        default=None,
        help=f"Stop once the plan is proven within this relative gap of the best possible (0.01 = 1%; "
        f"0 proves it the best). [default: {DEFAULT_GAP:g}]",
    )(f)
    f = click.option(
        "--time-limit",
        type=click.FloatRange(0.01, 86_400),
        default=60.0,
        show_default=True,
        help="Search budget in CP-SAT deterministic seconds (about seconds of one core), so runs reproduce.",
    )(f)
    return f


def _quiet(f):
    return click.option("--quiet", "-q", is_flag=True, help="No progress line on the terminal.")(f)


def _gap(gap: float | None, optimal: bool) -> float:
    """--gap and --optimal as one gap: --optimal is --gap 0."""
    if optimal and gap not in (None, 0):
        _fail_invalid([("--optimal", f"asks for --gap 0, but --gap is {gap:g}; give one of them")])
    return 0.0 if optimal else DEFAULT_GAP if gap is None else gap


@main.command()
@click.argument("instance", type=click.Path())
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the outputs."
)
@_solve_options
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    help="Re-plan: an earlier plan.json or a hand-made CSV (work_group,kind,school,date,slot) to change as little as possible.",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="With --previous: sessions dated before this day stay as they were (default: keep none fixed).",
)
@click.option("--log", is_flag=True, help="Print CP-SAT's search log.")
@_quiet
def solve(
    instance: str,
    out_dir: str,
    time_limit: float,
    seed: int,
    workers: int | None,
    gap: float | None,
    optimal: bool,
    previous: str | None,
    today,
    log: bool,
    quiet: bool,
) -> None:
    """Plan every session of INSTANCE and write plan, calendars, costs and report to --out."""
    from scheduler.core.options import SolveOptions, every_core
    from scheduler.operations.pipeline import solve_file
    from scheduler.operations.terminal import live_line

    if today is not None and previous is None:
        _fail_invalid([("--today", "only means something with --previous PLAN; add the plan to re-plan")])
    gap = _gap(gap, optimal)
    with live_line(sys.stderr, enabled=not (quiet or log)) as on_progress:
        options = SolveOptions(
            time_limit=time_limit,
            seed=seed,
            workers=workers or every_core(),
            gap=gap,
            log=log,
            on_progress=on_progress,
        )
        outcome = solve_file(
            instance, out_dir, options, previous=previous, today=today.date() if today else None
        )
    if outcome.problems:
        _fail_invalid(outcome.problems)
    if outcome.exit_code == EXIT_TIME_LIMIT:
        click.echo(
            f"No plan found within the time limit ({time_limit:g} s); nothing was written. "
            "Raise --time-limit.",
            err=True,
        )
        sys.exit(EXIT_TIME_LIMIT)
    if outcome.explanation is not None:
        click.echo(outcome.explanation, err=True, nl=False)
        click.echo(f"No plan satisfies every rule; see {Path(out_dir) / 'explanation.txt'}.", err=True)
        sys.exit(EXIT_NO_PLAN)
    for line in outcome.summary():
        click.echo(line)
    click.echo(f"wrote {out_dir}")


@main.command()
@click.argument("instance", type=click.Path())
@click.option(
    "--time-limit",
    type=click.FloatRange(0.1, 86_400),
    default=60.0,
    show_default=True,
    help="Budget for each solve the explanation runs, in deterministic seconds.",
)
@_quiet
def explain(instance: str, time_limit: float, quiet: bool) -> None:
    """Say why INSTANCE cannot be planned, in its own words, with relaxations that were checked."""
    from scheduler.core.problem import Problem
    from scheduler.operations.terminal import live_line
    from scheduler.services.explain import explain_instance

    problem = Problem.from_instance(_load(instance))
    with live_line(sys.stderr, enabled=not quiet) as on_progress:
        feasible, text = explain_instance(problem, time_limit=time_limit, on_progress=on_progress)
    click.echo(text, nl=False)
    sys.exit(EXIT_OK if feasible else EXIT_NO_PLAN)


@main.command()
@click.argument("instance", type=click.Path())
@click.argument("plan", type=click.Path(dir_okay=False))
def check(instance: str, plan: str) -> None:
    """Check PLAN (plan.json or CSV work_group,kind,school,date,slot) against every hard rule."""
    from models.load import InstanceError
    from scheduler.core.problem import Problem
    from scheduler.core.rules import check_plan
    from scheduler.services.plans import read_plan

    problem = Problem.from_instance(_load(instance))
    try:
        sessions = read_plan(plan, problem)
    except InstanceError as exc:
        _fail_invalid(exc.problems)
    violations = check_plan(problem, sessions)
    for v in violations:
        click.echo(str(v))
    if violations:
        click.echo(
            f"{len(violations)} violation{'s' if len(violations) != 1 else ''} in {len(sessions)} sessions"
        )
        sys.exit(EXIT_NO_PLAN)
    click.echo(f"no violations in {len(sessions)} sessions")


# --- generate (issue 4) ------------------------------------------------------


@main.command()
@click.option("--work-groups", "-n", type=click.IntRange(1, 1000), required=True, help="Work Groups per hub.")
@click.option(
    "--hubs",
    type=click.IntRange(1, 500),
    default=1,
    show_default=True,
    help="How many hubs; above 1, -o names a folder that gets hub-01.yaml, hub-02.yaml, …",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**31 - 1),
    default=0,
    show_default=True,
    help="The same seed writes the same bytes.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="The instance file (.yaml, .yml or .json), or with --hubs the folder.",
)
def generate(work_groups: int, hubs: int, seed: int, output: str) -> None:
    """Write a realistic synthetic hub (or several) with WORK_GROUPS Work Groups each."""
    from scheduler.operations.generate import (
        describe,
        generate_instance,
        generated_header,
        write_hubs,
        write_instance,
    )

    if hubs > 1:
        if Path(output).suffix.lower() in (".yaml", ".yml", ".json"):
            _fail_invalid([("-o", f"with --hubs {hubs}, -o names a folder, not the file {output}")])
        paths = write_hubs(work_groups, hubs, seed, output)
        click.echo(f"wrote {len(paths)} hubs of {work_groups} Work Groups to {output}")
        return
    if Path(output).suffix.lower() not in (".yaml", ".yml", ".json"):
        _fail_invalid([("-o", f"{output}: name a .yaml, .yml or .json file")])
    data = generate_instance(work_groups, seed)
    write_instance(data, output, generated_header(data, work_groups, seed, 1))
    click.echo(f"wrote {output}: {describe(data)}")


# --- batch (issue 4) ---------------------------------------------------------


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for one output folder per instance and summary.csv.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Instances planned at once by the local pool [default: min(2, CPUs)].",
)
@_solve_options
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="A local process pool, or a Dask distributed cluster (needs --scheduler).",
)
@click.option(
    "--scheduler",
    "scheduler_address",
    default=None,
    help="With --executor dask: the scheduler's address, e.g. tcp://10.0.0.5:8786.",
)
@_quiet
def batch(
    inputs: tuple[str, ...],
    out_dir: str,
    jobs: int | None,
    time_limit: float,
    seed: int,
    workers: int | None,
    gap: float | None,
    optimal: bool,
    executor: str,
    scheduler_address: str | None,
    quiet: bool,
) -> None:
    """Plan every instance in INPUTS (files, or folders of .yaml/.yml/.json) into --out."""
    from scheduler.core.options import SolveOptions
    from scheduler.operations.batch import BatchError, run_batch
    from scheduler.operations.terminal import is_terminal

    if scheduler_address and executor != "dask":
        _fail_invalid([("--scheduler", "only means something with --executor dask")])
    options = SolveOptions(time_limit=time_limit, seed=seed, workers=workers or 1, gap=_gap(gap, optimal))
    try:
        result = run_batch(
            inputs, out_dir, options, jobs, executor, scheduler_address, not quiet and is_terminal(sys.stderr)
        )
    except BatchError as exc:
        _fail_invalid([("", str(exc))])
    for warning in result.warnings:
        click.echo(f"note: {warning}", err=True)
    for row in result.failed:
        click.echo(
            f"{row['instance']}: {row['status']}" + (f": {row['message']}" if row["message"] else ""),
            err=True,
        )
    solved = len(result.rows) - len(result.failed)
    click.echo(f"{solved} of {len(result.rows)} instances planned; wrote {result.summary}")
    sys.exit(EXIT_OK if not result.failed else EXIT_NO_PLAN)


# --- template / import (issue 5) ---------------------------------------------


@main.command()
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="The workbook to write (.xlsx)."
)
@click.option(
    "--from",
    "source",
    type=click.Path(),
    help="Fill the workbook from this instance (YAML, JSON, workbook or folder of CSVs).",
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def template(output: str, source: str | None, force: bool) -> None:
    """Write a workbook to fill in: a sheet per part of the hub, each column explained in its header's note."""
    from models.load import InstanceError
    from models.workbook import WORKBOOK_SUFFIXES, instance_to_workbook, template_workbook
    from scheduler.outputs.files import write_file

    if Path(output).suffix.lower() not in WORKBOOK_SUFFIXES:
        _fail_invalid([("-o", f"{output}: name an .xlsx file, so that spreadsheets open it")])
    if Path(output).exists() and not force:
        _fail_invalid([("-o", f"{output} exists; add --force to overwrite it")])
    try:
        data = template_workbook() if source is None else instance_to_workbook(_load(source))
    except InstanceError as exc:  # what a workbook cannot hold
        _fail_invalid(exc.problems)
    write_file(output, data)
    click.echo(f"wrote {output}")


@main.command("import")
@click.argument("workbook", type=click.Path())
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The instance file to write (.yaml).",
)
def import_(workbook: str, output: str) -> None:
    """Turn a filled WORKBOOK (.xlsx, or a folder of CSVs: Hub.csv, Schools.csv, …) into an instance file."""
    from models.yamlstyle import instance_yaml
    from scheduler.outputs.files import write_file

    inst = _load(workbook)
    write_file(output, instance_yaml(inst, Path(workbook).name).encode())
    click.echo(
        f"{workbook}: {len(inst.work_groups)} work groups, {len(inst.schools)} schools, "
        f"{len(inst.specialists)} specialists, {len(inst.teachers)} teachers; wrote {output}"
    )


# --- publish (issue 6) -------------------------------------------------------


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path())
@click.option("--url", required=True, help="The CalDAV server (or your calendar home on it), http(s)://…")
@click.option("--user", help="User name on the server.")
@click.option(
    "--password-env",
    metavar="VAR",
    help="Name of the environment variable that holds the password (the password never goes on the command line).",
)
def publish(out_dir: str, url: str, user: str | None, password_env: str | None) -> None:
    """Publish the calendars of a `solve` output DIR to a CalDAV server: one calendar per feed.

    Re-publishing after a re-plan updates moved events in place, uploads cancelled ones as
    cancelled and deletes what the feeds no longer hold. Exit 0 all published, 1 the server
    rejected some events (listed), 2 invalid input, server unreachable or login refused.
    """
    import logging
    import time
    from typing import NoReturn

    from scheduler.operations.publish import PublishError, plain_http_warning
    from scheduler.operations.publish import publish as publish_folder

    def fail(message: str) -> NoReturn:
        click.echo(f"hubplan publish: {message}", err=True)
        sys.exit(EXIT_INVALID)

    shown = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        """A line every 5 seconds on long runs."""
        if done < total and time.monotonic() - shown[0] >= 5:
            shown[0] = time.monotonic()
            click.echo(f"  {done}/{total} calendars published…", err=True)

    if user and not password_env:
        fail("--user needs --password-env VAR, the environment variable that holds the password")
    if password_env and not user:
        fail("--password-env needs --user NAME")
    password = os.environ.get(password_env) if password_env else None
    if password_env and password is None:
        fail(f"--password-env {password_env}: that environment variable is not set")
    logging.getLogger("caldav").setLevel(logging.CRITICAL)  # failures are reported below, once
    warning = plain_http_warning(url, user)
    if warning:
        click.echo(f"hubplan publish: {warning}", err=True)
    try:
        summary = publish_folder(out_dir, url, user, password, progress=progress)
    except PublishError as exc:
        fail(str(exc))
    for line in summary.rejected:
        click.echo(f"rejected: {line}", err=True)
    click.echo(summary.line())
    sys.exit(summary.exit_code)


# --- the workspace (issue 16) ----------------------------------------------------

from web.commands import backup, restore, serve, users  # noqa: E402 - click commands; the web stack loads when they run

main.add_command(serve)
main.add_command(users)
main.add_command(backup)
main.add_command(restore)


def run() -> None:
    """The console entry point (see `run_command`: one line for every failure, 130 or 143
    when stopped)."""
    from scheduler.operations.terminal import run_command

    run_command(main)


if __name__ == "__main__":
    run()
