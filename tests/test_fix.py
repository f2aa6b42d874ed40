"""Find a fix (`scheduler.services.fix`): repairs that hold what the person placed, move as
few other sessions as possible, differ from each other, keep the past, and leave a plan that
breaks no rule about the repaired sessions."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.core.rules import check_plan
from scheduler.services.fix import find_fixes
from scheduler.services.moves import Draft, Move


@pytest.fixture(scope="module")
def draft(example_problem, example_plan):
    return Draft(example_problem, example_plan.sessions)


def _clash(draft):
    """A visit and a date where R3 alone forbids it: another session of its specialist."""
    for s in sorted(draft.sessions.values()):
        if s.kind != "visit":
            continue
        for c in draft.where_else(s.id):
            if not c.allowed and {rule for rule, _ in c.reasons} == {"R3"}:
                return s, c
    raise AssertionError("no visit of the example can be moved onto a clash")


def _whole(repair):
    return list(repair.draft.sessions.values())


def test_a_clash_is_repaired_by_moving_the_other_session(draft, example_problem):
    s, c = _clash(draft)
    moved = draft.moved([Move(s.id, c.date, c.slot)])
    assert any(v.rule == "R3" and s.id in v.sessions for v in moved.violations)
    fixes = find_fixes(moved, s.id, {s.id}, {s.id: (s.date, s.slot)})
    assert 1 <= len(fixes.repairs) <= 3 and not fixes.unmovable
    for r in fixes.repairs:
        assert check_plan(example_problem, _whole(r)) == []  # the whole plan keeps every rule
        held = r.draft.sessions[s.id]
        assert (held.date, held.slot) == (c.date, c.slot)  # what the person placed stays
        assert r.others == len(r.changes) and r.others >= 1
        assert all(x.change == "moved" and x.session.id != s.id for x in r.changes)
    best = fixes.repairs[0]
    assert best.others == 1  # one other session moved is enough
    assert [(r.others, r.objective) for r in fixes.repairs] == sorted(
        (r.others, r.objective) for r in fixes.repairs
    )
    dates = [frozenset((x.session.id, x.after.date) for x in r.changes) for r in fixes.repairs]
    assert len(set(dates)) == len(dates)  # each repair moves to other dates than the others


def test_a_session_the_rules_forbid_where_it_was_put_moves_to_the_nearest_date(draft, example_problem):
    s = next(s for s in sorted(draft.sessions.values()) if s.kind == "visit")
    forbidden = next(
        c for c in draft.where_else(s.id) if not c.allowed and {r for r, _ in c.reasons} <= {"R1", "R2"}
    )
    moved = draft.moved([Move(s.id, forbidden.date, forbidden.slot)])
    fixes = find_fixes(moved, s.id, {s.id}, {s.id: (s.date, s.slot)})
    assert s.id in fixes.unmovable and fixes.repairs
    for r in fixes.repairs:
        assert check_plan(example_problem, _whole(r)) == []
        mine = [x for x in r.changes if x.session.id == s.id]
        assert len(mine) == 1 and (mine[0].after.date, mine[0].after.slot) != (s.date, s.slot)  # not back
    gaps = [
        abs((next(x for x in r.changes if x.session.id == s.id).after.date - forbidden.date).days)
        for r in fixes.repairs
    ]
    assert gaps[0] == min(gaps)


def test_the_past_stays(draft, example_problem):
    s, c = _clash(draft)
    moved = draft.moved([Move(s.id, c.date, c.slot)])
    today = c.date - dt.timedelta(days=1)
    fixes = find_fixes(moved, s.id, {s.id}, {s.id: (s.date, s.slot)}, today=today)
    for r in fixes.repairs:
        for x in r.changes:
            assert x.before.date >= today and x.after.date >= today


def test_no_repair_when_the_placements_themselves_clash(draft, example_problem):
    """Two visits to one school held in one week (R8): no plan keeps both, so no repair."""
    for b in sorted(draft.sessions.values()):
        if b.kind != "visit":
            continue
        weekly = [
            c
            for c in draft.where_else(b.id)
            if "R8" in {r for r, _ in c.reasons} and not {r for r, _ in c.reasons} & {"R1", "R2", "R3"}
        ]
        if weekly:
            break
    c = weekly[0]
    a = next(
        v
        for v in draft.sessions.values()
        if v.school == b.school and v.id != b.id and v.date.isocalendar()[:2] == c.date.isocalendar()[:2]
    )
    moved = draft.moved([Move(b.id, c.date, c.slot)])
    fixes = find_fixes(moved, b.id, {a.id, b.id}, {b.id: (b.date, b.slot)})
    assert fixes.repairs == [] and not fixes.unmovable
    alone = find_fixes(moved, b.id, {b.id}, {b.id: (b.date, b.slot)})  # a is free to move: repaired
    assert alone.repairs and all(x.session.id == a.id for x in alone.repairs[0].changes)
