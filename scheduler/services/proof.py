"""Checking changes by solving again, as cheaply as a proof allows.

An explanation prints a change only once the instance with it was solved and had a plan.
A plan is all the proof needed, so:

- each model holds the rules alone (no objective) and stops at its first plan;
- a problem is solved by its pieces: the components that share no person and no venue once
  the TfM Lead is left out (`decompose.components`), one after another, each with the TfM
  Lead's dates in the pieces before it taken (all that links pieces is the TfM Lead: R3, R9,
  R12), so their plans together are a plan of the whole. A piece with no plan on its own
  proves the whole has none (the pieces apart are a relaxation of the whole); one with no
  plan only once the dates before it are taken proves nothing, and the whole is solved as
  `solve` does;
- each piece's plan is kept, keyed by the very objects its model is made of, so a change
  that touches one Work Group solves that piece again and no other (a TfM Lead away all
  summer touches every primary group; a school's blackout, one).

Which changes are tried (`check_relaxations`): for a fact alone in its part of the hub, its
own candidates one by one, and if none works, pairs: each of its first few changes with
the changes the clash that is left calls for (found again by the model, `clash.model_core`).
Facts that share a part of the hub need a change each: the first change of each, together,
then other changes of one fact with the others' first ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from scheduler.core.decompose import components, restrict
from scheduler.core.formulation import post_rules
from scheduler.core.model import Builder
from scheduler.core.plan import SOLVED, Plan
from scheduler.core.problem import PersonCal, Problem
from scheduler.core.progress import Steps
from scheduler.core.relax import Relaxation
from scheduler.core.rules import check_plan
from scheduler.core.solve import SolveOptions, days_of, extract_sessions, new_solver, pin_problems, run, solve
from scheduler.services.clash import core_relaxations, model_core
from scheduler.services.facts import CHECK_LIMIT, Fact

QUICK_LIMIT = 0.25  # deterministic seconds for the quick search of a first plan (`first_plan`)
MAX_SHOWN = 3  # changes shown per fact
MAX_TRIED = 14  # changes tried per fact
PAIRS_FROM = 3  # a fact's first changes that pairs start from
MAX_PAIRS = 8  # pairs tried per fact
PAIRS_UP_TO = 4  # Work Groups in a part of the hub for which pairs are looked for (each needs a model's core)


def first_plan(q: Problem, time_limit: float, likely: bool = True) -> Plan:
    """The first plan the rules alone allow `q`, as one model; or why there is none.

    Two searches, by what each is good at. A quick one, without presolve, probing or LP
    relaxation: on a piece of a hub these cost more than the search they save (the 23 primary
    pieces of a generated 43-Work-Group hub: 0.7 s of CPU, against 1.4 s with them), and it
    finds a plan at once or shows one impossible by propagation. A count that cannot add up
    (a weekly cap below the days two programmes need) it cannot decide in any time, where
    CP-SAT with presolve and the LP decides at once (0.05 s, against 0.3 s spent undecided).
    So a problem `likely` to have a plan gets the quick search first, and the other only if
    that ends undecided; one that likely has none (a change not screened without a solver)
    gets the thorough one alone."""
    b = post_rules(Builder(q))
    solver = new_solver(min(QUICK_LIMIT, time_limit) if likely else time_limit)
    prm = solver.parameters
    prm.stop_after_first_solution = True
    prm.cp_model_probing_level = 0
    status, spent = "unknown", 0.0
    if likely:
        prm.cp_model_presolve = False
        prm.linearization_level = 0
        status = run(solver, b.model)
        spent = solver.deterministic_time
    if status == "unknown" and (time_limit > QUICK_LIMIT or not likely):
        prm.cp_model_presolve = True
        prm.linearization_level = 1
        prm.max_deterministic_time = time_limit
        status = run(solver, b.model)
        spent += solver.deterministic_time
    plan = Plan(q.name, "feasible" if status in SOLVED else status, objective=0.0, best_bound=0.0)
    plan.solve_seconds = spent
    if status in SOLVED:
        plan.sessions = extract_sessions(q, b, solver)
    return plan


class Prover:
    """Says whether problems have a plan, solving each piece once per version of its data."""

    def __init__(self, time_limit: float = CHECK_LIMIT, steps: Steps | None = None):
        self.time_limit = time_limit
        self.steps = steps  # told of each question, with what it checks
        self._plans: dict[tuple[int, ...], tuple[tuple, Plan]] = {}
        self._leads: dict[tuple, tuple[PersonCal, PersonCal]] = {}
        self.solved = 0  # models solved so far, for tests and benchmarks

    def status(self, q: Problem, likely: bool = True, what: str = "checking for a plan") -> str:
        """'feasible', 'infeasible', or 'unknown' (no plan found nor shown impossible in
        time); `likely`: whether a plan is to be expected (see `first_plan`); `what`: the
        question, in words, for the progress line."""
        if self.steps is not None:
            self.steps(what)
        if pin_problems(q):
            return "infeasible"
        lead = q.tfm_lead
        taken: frozenset[tuple[dt.date, str]] = frozenset()  # the TfM Lead's half-days, pieces so far
        plans = []
        for piece in components(q, ignore=(lead,) if lead else ()):
            sub = restrict(q, piece)
            if taken:
                sub.people = {**sub.people, lead: self._busier(q.people[lead], taken)}
            plan = self._piece(sub, likely)
            if plan.status != "feasible" and taken:
                # Only with the dates the pieces before it took: no proof of anything.
                alone = self._piece(restrict(q, piece), likely).status
                return alone if alone != "feasible" else self._whole(q)
            if plan.status != "feasible":
                return plan.status
            taken |= days_of(plan, lead)
            plans.append(plan)
        if lead is not None and q.people[lead].max_days_per_week is not None:
            return (
                "feasible"
                if not check_plan(q, [s for plan in plans for s in plan.sessions])
                else self._whole(q)
            )
        return "feasible"

    def _busier(self, person: PersonCal, taken: frozenset) -> PersonCal:
        """The TfM Lead with `taken` as commitments too: one object per set of dates, so a
        piece after them is solved again only when those dates change."""
        key = (id(person), taken)
        if key not in self._leads:
            self._leads[key] = (person, dataclasses.replace(person, busy=person.busy | taken))
        return self._leads[key][1]

    def _whole(self, q: Problem) -> str:
        """As `solve` plans it (pieces, then `solve.join`), stopping at a first plan."""
        self.solved += 1
        plan = solve(q, SolveOptions(time_limit=self.time_limit, first_solution=True))
        return "feasible" if plan.status in SOLVED else plan.status

    def feasible(self, q: Problem, likely: bool = True, what: str = "trying a change") -> bool:
        return self.status(q, likely, what) == "feasible"

    def _piece(self, q: Problem, likely: bool) -> Plan:
        made_of = _made_of(q)
        key = tuple(map(id, made_of))
        kept = self._plans.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], made_of)):
            return kept[1]
        self.solved += 1
        plan = first_plan(q, self.time_limit, likely)
        self._plans[key] = (made_of, plan)  # the objects kept alive, so no id is reused
        return plan


def _made_of(q: Problem) -> tuple:
    """Everything a piece's model is made of: its Work Groups, the people at their sessions,
    the schools and venues involved, its pins and the travel limit. A change makes new
    objects of what it changes and keeps the rest, so the same objects mean the same model."""
    wgs = tuple(q.work_groups.values())
    acts = [act for wg in wgs for act in wg.activities]
    people = sorted({x for act in acts for x in act.attendees})
    schools = sorted({q.people[x].school for x in people} | {act.venue for act in acts})
    return (
        *wgs,
        *(q.people[x] for x in people),
        *(q.schools[s] for s in schools),
        *q.pins,
        q.max_same_day_km,
    )


# -- which changes to try ------------------------------------------------------------------


def check_relaxations(p: Problem, facts: list[Fact], prover: Prover) -> list[Fact]:
    """Fill each fact's `checked` with changes that were solved and worked; the facts come
    back with those of one part of the hub side by side (a part's facts are `together`)."""
    out = []
    for part, part_facts in _parts(p, facts):
        sub = restrict(p, part)
        if len(part_facts) == 1:
            _alone(sub, part_facts[0], prover, len(part) <= PAIRS_UP_TO)
        else:
            _together(sub, part_facts, prover)
        out += part_facts
    return out


def _parts(p: Problem, facts: list[Fact]) -> list[tuple[tuple[str, ...], list[Fact]]]:
    """The components of the hub that have facts, those sharing a fact joined, with their facts."""
    part_of = {w: i for i, part in enumerate(components(p)) for w in part}
    joined: dict[int, int] = {}

    def root(i: int) -> int:
        while joined.get(i, i) != i:
            i = joined[i]
        return i

    for f in facts:
        ids = sorted({root(part_of[w]) for w in f.wgs if w in part_of})
        for i in ids[1:]:
            joined[i] = ids[0]
    groups: dict[int, list[Fact]] = {}
    for f in facts:
        ids = [part_of[w] for w in f.wgs if w in part_of]
        groups.setdefault(root(ids[0]) if ids else -1, []).append(f)
    members: dict[int, list[str]] = {}
    for w, i in part_of.items():
        members.setdefault(root(i), []).append(w)
    return [(tuple(members.get(i, ())), fs) for i, fs in groups.items()]


def _candidates(sub: Problem, f: Fact) -> list[Relaxation]:
    """The fact's changes, once each, that lift it where that can be seen without solving."""
    unique = list({r.text: r for r in f.relaxations}.values())
    out = [r for r in unique if f.resolved is None or f.resolved(r.apply(sub))]
    return out[:MAX_TRIED]


def _apply(sub: Problem, changes: Iterable[Relaxation]) -> Problem:
    for r in changes:
        sub = r.apply(sub)
    return sub


def _alone(sub: Problem, f: Fact, prover: Prover, pairs: bool) -> None:
    candidates = _candidates(sub, f)
    for r in candidates:
        same = sum(1 for c in f.checked if c[0].field == r.field)
        if (
            len(f.checked) < MAX_SHOWN
            and same < 2
            and prover.feasible(r.apply(sub), f.resolved is not None, f"trying: {r.text}")
        ):
            f.checked.append((r,))
    if not f.checked and pairs:
        _pair(sub, f, candidates, prover)
    if not f.checked and candidates:
        tried = f"{len(candidates)} single change{'s' if len(candidates) != 1 else ''}"
        f.note = (
            f"No change tried here was enough ({tried}{' and pairs' if pairs else ''}, each solved again)."
        )


def _pair(sub: Problem, f: Fact, candidates: list[Relaxation], prover: Prover) -> None:
    """The first pair that solves: one of the fact's first changes, and a change the clash
    that is left after it calls for, smallest first."""
    budget = MAX_PAIRS
    for first in candidates[:PAIRS_FROM]:
        q = first.apply(sub)
        core = model_core(q, steps=prover.steps)
        for second in core_relaxations(q, core) if core else []:
            if second.text == first.text:
                continue
            if budget == 0:
                return
            budget -= 1
            if prover.feasible(second.apply(q), likely=False, what="trying two changes together"):
                f.checked.append((first, second))
                return


def _together(sub: Problem, facts: list[Fact], prover: Prover) -> None:
    """Facts in one part of the hub need a change each: the first change of each, and if
    that does not solve, another change of one fact at a time; then each fact's other
    changes with the others' chosen ones."""
    for f in facts:
        f.together = tuple(facts)
    options = [_candidates(sub, f) for f in facts]
    likely = all(f.resolved is not None for f in facts)  # each change screened without a solver
    if all(options):
        choices = _choices([o[0] for o in options], options)
        choice = next(
            (c for c in choices if prover.feasible(_apply(sub, c), likely, "trying the changes together")),
            None,
        )
    else:
        choice = None
    if choice is None:
        return
    for i, f in enumerate(facts):
        f.checked.append((choice[i],))
        for r in options[i]:
            same = sum(1 for c in f.checked if c[0].field == r.field)
            if len(f.checked) >= MAX_SHOWN or r is choice[i] or same >= 2:
                continue
            if prover.feasible(_apply(sub, [*choice[:i], r, *choice[i + 1 :]]), likely, f"trying: {r.text}"):
                f.checked.append((r,))


def _choices(first: list[Relaxation], options: list[list[Relaxation]]):
    """The first change of each fact, then each fact's next two in turn with the others' first."""
    yield first
    for i, option in enumerate(options):
        for r in option[1:3]:
            yield [*first[:i], r, *first[i + 1 :]]
