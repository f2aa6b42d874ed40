"""Find a fix: repairs of a hand-edited plan around the sessions a person moved or pinned.

A repair is the minimal-change re-plan of `hubplan solve --previous` (S5 first, then
S1–S4; `scheduler.services.replan`) of the piece of the hub the session belongs to: the Work
Groups linked to it by people and venues, the TfM Lead's links aside, as `solve` splits a
hub. Every session the person moved or pinned is held where they put it (a pin, R11), every
session before `today` stays, and the rest of the hub stays as it is: the TfM Lead's dates
in other pieces are taken (as `explain` checks its pieces, `proof.Prover`), so the model is a few Work Groups and
answers in well under a second on a typical hub.

Up to three repairs, each found after forbidding the ones before (a no-good cut on the
changes it made), ranked by how many other sessions they move, then by S1–S4. A repair is
kept only if the whole plan with it breaks no rule about its sessions (`Draft.changed`).

A session placed where R1–R3 forbid it whatever else moves (inside a school's blackout, on
a day its people are not released) cannot be held there: it moves too, to the nearest date
the rules allow, never back where it was, and the repair lists that move among the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from scheduler.core.checked import Checked
from scheduler.core.decompose import components, restrict
from scheduler.core.formulation import build
from scheduler.core.plan import SOLVED, Plan, Session
from scheduler.core.problem import PinSpec, Problem
from scheduler.core.rules import candidate_slots
from scheduler.core.solve import days_of, extract_sessions, new_solver, run
from scheduler.services.moves import Draft
from scheduler.services.replan import Change, Replan

MOST = 3  # repairs offered
SOLVE_LIMIT = 2.0  # deterministic seconds for each solve (a piece is a few Work Groups)
YEAR = 400  # more days than any date is from another in a school year


@dataclass
class Repair:
    changes: list[Change]  # every session that differs from the draft: moved, added, cancelled
    others: int  # of those, the ones the person did not move or pin
    goals: dict[str, float]  # S1–S4 of the piece's plan, unweighted
    objective: float  # S1–S4 weighted, as the solver minimised them
    fewest: int  # what the first phase minimised: changes (S5), then days from where placed
    draft: Draft  # the whole plan with the repair, every rule checked


@dataclass
class Fixes:
    repairs: list[Repair] = field(default_factory=list)
    unmovable: dict[str, str] = field(default_factory=dict)  # id -> why it cannot stay where placed
    piece: tuple[str, ...] = ()  # the Work Groups re-planned


def find_fixes(
    draft: Draft,
    target: str,
    held: set[str],
    origin: dict[str, tuple[dt.date, str]] | None = None,
    today: dt.date | None = None,
    most: int = MOST,
) -> Fixes:
    """Up to `most` repairs of `draft` around session `target`, holding the sessions `held`
    (ids: those the person moved or pinned) where they are. `origin` says where moved
    sessions were before, so that one that must move is never put back there."""
    p, origin = draft.problem, origin or {}
    s = draft.sessions[target]
    piece = next(x for x in components(p, ignore=(p.tfm_lead,) if p.tfm_lead else ()) if s.work_group in x)
    inside = [t for t in draft.sessions.values() if t.work_group in piece]
    sub = _piece_problem(p, piece, [t for t in draft.sessions.values() if t.work_group not in piece])
    out = Fixes(piece=piece)
    pins = []
    for t in inside:
        if t.id not in held:
            continue
        act = Checked(sub, [t]).activity(t)
        if act is not None and (t.date, t.slot) in candidate_slots(sub, act):
            pins.append(PinSpec(len(p.pins) + len(pins), t.work_group, t.kind, t.school, t.date, t.slot))
        else:
            reasons = [str(v) for v in draft.violations if t.id in v.sessions]
            out.unmovable[t.id] = "; ".join(reasons) or "the rules do not allow it there"
    sub.pins = [*sub.pins, *pins]
    replan = Replan(
        today=today,
        stamp=dt.datetime.combine(today or dt.date(2000, 1, 1), dt.time(), dt.timezone.utc),
        previous=inside,
        keys={t.id: p.session_key(t) or t.stream for t in inside},
    )
    model = _RepairModel(sub, replan, {i: origin.get(i) for i in out.unmovable}, draft)
    for _ in range(most):
        plan = model.solve()
        if plan is None:
            break
        changes = [c for c in replan.label(sub, plan) if c.change != "kept"]
        if not changes:
            break  # the piece breaks nothing the person's placements need: nothing to repair
        checked = draft.changed([t.id for t in inside], plan.sessions)
        mine = {t.id for t in plan.sessions}
        if not any(mine & set(v.sessions) for v in checked.violations):
            others = sum(1 for c in changes if c.session.id not in held)
            out.repairs.append(
                Repair(changes, others, plan.objective_terms, plan.objective or 0, model.fewest, checked)
            )
    out.repairs.sort(key=lambda r: (r.others, r.fewest, r.objective))
    return out


def _piece_problem(p: Problem, piece: tuple[str, ...], outside: list[Session]) -> Problem:
    """The piece's Work Groups, with the TfM Lead's dates in the rest of the hub taken."""
    sub = restrict(p, piece)
    lead = p.tfm_lead
    if lead and lead in p.people and any(lead in a.attendees for a in sub.activities):
        taken = days_of(Plan(p.name, "feasible", outside), lead)
        sub.people = {
            **sub.people,
            lead: dataclasses.replace(p.people[lead], busy=p.people[lead].busy | taken),
        }
    return sub


class _RepairModel:
    """One model of the piece, solved again for each repair: phase one the fewest changes
    (S5, and for a session that must move, the nearest date), phase two S1–S4 among those,
    then a no-good cut on the changes found."""

    def __init__(self, sub: Problem, replan: Replan, must_move: dict, draft: Draft):
        self.sub, self.replan = sub, replan
        b = self.b = build(sub, extra=replan.extra_candidates())
        replan.apply(b)
        m = b.model
        before = {k: {(t.date, t.slot) for t in ts} for k, ts in replan.by_activity().items()}
        near = []
        wanted: dict[str, list[dt.date]] = {}
        for sid, was in must_move.items():
            t = draft.sessions[sid]
            key = replan.keys[sid]
            wanted.setdefault(key, []).append(t.date)
            x = b.var(key, *was) if was else None
            if x is not None and was not in before.get(key, set()):
                m.add(x == 0)  # never back where the person moved it from
        for key, days in wanted.items():
            for day, slot, x in b.cands.get(key, ()):
                if (day, slot) not in before.get(key, set()):
                    near.append(min(abs((day - d).days) for d in days) * x)
        # A change outweighs any distance (a year has fewer than YEAR days): fewest changes
        # first, then the nearest dates for the sessions that must move.
        self.first = (YEAR if near else 1) * sum(b.soft["S5"]) + sum(near)
        self.solver = new_solver(SOLVE_LIMIT)
        prm = self.solver.parameters
        # Each repair's first solve finds its optimum at once; its time is presolve's. Without
        # symmetry detection, probing and repeated presolve passes, four repairs on the
        # typical hub took 5.1 s, against 8.0 s with them (a loaded 2-core machine).
        prm.linearization_level = 2
        prm.symmetry_level = 0
        prm.cp_model_probing_level = 0
        prm.max_presolve_iterations = 1
        self.before = before

    def solve(self) -> Plan | None:
        b, m, solver = self.b, self.b.model, self.solver
        m.clear_assumptions()
        m.clear_hints()
        m.minimize(self.first)
        if run(solver, m) not in SOLVED:
            return None
        best = self.fewest = round(solver.objective_value)
        hold = m.new_bool_var("repair:fewest")
        m.add(self.first <= best).only_enforce_if(hold)
        chosen = [(key, day, slot, x) for key, xs in b.cands.items() for day, slot, x in xs]
        for _, _, _, x in chosen:
            m.add_hint(x, solver.boolean_value(x))
        m.add_assumptions([hold])
        m.minimize(b.objective())
        status = run(solver, m)
        if status not in SOLVED:
            return None
        plan = Plan(
            self.sub.name, status, extract_sessions(self.sub, b, solver), objective=solver.objective_value
        )
        plan.objective_terms = {
            k: solver.value(sum(b.soft[k])) if b.soft[k] else 0 for k in ("S1", "S2", "S3", "S4")
        }
        on_day: dict[tuple[str, dt.date], list] = {}
        for key, day, _, x in chosen:
            on_day.setdefault((key, day), []).append(x)
        arrived = {
            (key, day)
            for key, day, slot, x in chosen
            if solver.boolean_value(x) and (day, slot) not in self.before.get(key, set())
        }
        left = [
            x
            for key, day, slot, x in chosen
            if not solver.boolean_value(x) and (day, slot) in self.before.get(key, set())
        ]
        m.clear_assumptions()
        if arrived or left:  # the next repair differs in at least one change (a date, not a slot)
            m.add(sum(x for k in arrived for x in on_day[k]) - sum(left) <= len(arrived) - 1)
        return plan
