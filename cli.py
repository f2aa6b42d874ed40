"""hubplan: plan Maths Hubs Work Groups. `hubplan --help` lists the commands."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from scheduler.pipeline import EXIT_INVALID, EXIT_NO_PLAN, EXIT_OK, EXIT_TIME_LIMIT  # noqa: E402


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
@click.version_option("0.1.0", prog_name="hubplan")
def main() -> None:
    """Plan a Maths Hub's Work Groups: every session dated, clash-free, costed."""


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False))
def validate(instance: str) -> None:
    """Check INSTANCE and every cross-reference in it; list all problems."""
    inst = _load(instance)
    click.echo(
        f"{instance}: valid ({len(inst.work_groups)} work groups, {len(inst.schools)} schools, "
        f"{len(inst.specialists)} specialists, {len(inst.teachers)} teachers)"
    )


def _solve_options(f):
    """--time-limit, --seed and --workers, shared by solve and batch."""
    f = click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=1,
        show_default=True,
        help="Search threads; results stay reproducible for any number.",
    )(f)
    f = click.option(
        "--seed",
        type=click.IntRange(0, 2**31 - 1),
        default=0,
        show_default=True,
        help="Random seed of the search.",
    )(f)
    f = click.option(
        "--time-limit",
        type=click.FloatRange(0.01, 86_400),
        default=60.0,
        show_default=True,
        help="Search budget in CP-SAT deterministic seconds (about seconds of one core), so runs reproduce.",
    )(f)
    return f


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False))
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
def solve(
    instance: str,
    out_dir: str,
    time_limit: float,
    seed: int,
    workers: int,
    previous: str | None,
    today,
    log: bool,
) -> None:
    """Plan every session of INSTANCE and write plan, calendars, costs and report to --out."""
    from scheduler.pipeline import solve_file
    from scheduler.solve import SolveOptions

    if today is not None and previous is None:
        _fail_invalid([("--today", "only means something with --previous PLAN; add the plan to re-plan")])
    options = SolveOptions(
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        log=log,
        progress=lambda line: click.echo(line, err=True),
    )
    outcome = solve_file(instance, out_dir, options, previous=previous, today=today.date() if today else None)
    if outcome.problems:
        _fail_invalid(outcome.problems)
    plan = outcome.plan
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
    gap = f", gap {plan.gap:.2%}" if plan.gap else ""
    click.echo(
        f"{plan.status}: {len(plan.sessions)} sessions, objective {plan.objective:g}{gap}, "
        f"{outcome.wall_seconds:.1f} s"
    )
    for term, value in plan.objective_terms.items():
        click.echo(f"  {term:<16} {value:g}")
    for note in outcome.notes:
        click.echo(f"  note: {note}")
    if outcome.changes is not None:
        from scheduler.replan import summary_lines

        for line in summary_lines(outcome.changes):
            click.echo(line)
    click.echo(f"wrote {out_dir}")


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option("--time-limit", type=click.FloatRange(0.1, 86_400), default=60.0, show_default=True,
              help="Budget for each solve the explanation runs, in deterministic seconds.")
def explain(instance: str, time_limit: float) -> None:
    """Say why INSTANCE cannot be planned, in its own words, with relaxations that were checked."""
    from scheduler.explain import explain_instance
    from scheduler.problem import Problem

    problem = Problem.from_instance(_load(instance))
    feasible, text = explain_instance(problem, time_limit=time_limit)
    click.echo(text, nl=False)
    sys.exit(EXIT_OK if feasible else EXIT_NO_PLAN)


@main.command()
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("plan", type=click.Path(dir_okay=False))
def check(instance: str, plan: str) -> None:
    """Check PLAN (plan.json or CSV work_group,kind,school,date,slot) against every hard rule."""
    from models.load import InstanceError
    from scheduler.check import check_plan, read_plan
    from scheduler.problem import Problem

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


# --- batch (issue 4) ---------------------------------------------------------


# --- template / import (issue 5) ---------------------------------------------


# --- publish (issue 6) -------------------------------------------------------


def run() -> None:
    """The console entry point: every failure is one line on stderr, never a traceback.

    Ctrl-C exits 130 (outputs are written atomically, so earlier ones stay whole); a file
    that cannot be read or written exits 2; anything else is a bug in hubplan, reported
    in one line (set HUBPLAN_DEBUG=1 for the traceback) with exit 70.
    """
    try:
        code = main.main(standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("hubplan: interrupted; earlier outputs are untouched", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"hubplan: {where}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_INVALID)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("HUBPLAN_DEBUG"):
            raise
        click.echo(f"hubplan: internal error ({type(exc).__name__}: {exc}); please report it", err=True)
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
