"""Instance edits (`models.edits`): each makes the change it names and nothing else, refuses
what is wrong with one message naming it, and a relaxation's edit of the instance is the
very change its `apply` makes to the Problem (the workspace's relaxation buttons rely on it)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from conftest import HUB

from models.edits import Edit, apply_edit
from models.load import load_instance
from models.problems import InstanceError
from scheduler.core import relax
from scheduler.core.problem import Problem


@pytest.fixture(scope="module")
def hub():
    inst = load_instance(HUB)
    return inst, Problem.from_instance(inst)


def _same(a: Problem, b: Problem) -> bool:
    """Equal problems: pins compared without their positions (dropping one renumbers the rest),
    Work Groups by the programme they run (a parameter may sit in the base or its overrides)."""

    def plain(p: Problem) -> Problem:
        wgs = {k: dataclasses.replace(w, base=w.programme) for k, w in p.work_groups.items()}
        return dataclasses.replace(p, pins=[dataclasses.replace(x, index=0) for x in p.pins], work_groups=wgs)

    return plain(a) == plain(b)


def test_an_edit_that_changes_nothing_gives_the_same_instance(hub):
    inst, _ = hub
    assert apply_edit(inst, Edit("set_max_km", {"value": inst.max_same_day_km})) == inst


def _relaxations(inst, p: Problem) -> list:
    school = next(s for s in inst.schools if s.blackouts)
    days = sorted(d for d, _ in p.schools[school.id].blackouts.items())[:3]
    reason = p.schools[school.id].blackouts[days[0]]
    spec = next(x for x in inst.specialists if x.release_days and len(x.release_days) < 5)
    missing = next(d for d in ("mon", "tue", "wed", "thu", "fri") if d not in spec.release_days)
    wg = (
        next(w for w in inst.work_groups if w.from_ or w.to)
        if any(w.from_ or w.to for w in inst.work_groups)
        else None
    )
    teacher = (
        next(t for t in inst.teachers if t.unavailable) if any(t.unavailable for t in inst.teachers) else None
    )
    out = [
        relax.lift_blackout(p, school.id, reason, days),
        *relax.shorter_blackouts(p, school.id, reason, sorted(p.schools[school.id].blackouts)),
        relax.add_release_day(p, spec.id, missing),
        relax.raise_weekly(p, spec.id),
        relax.raise_km(p),
        relax.lower_gap(p, inst.work_groups[0].id),
    ]
    if wg is not None:
        out.append(relax.widen_window(p, wg.id))
    if teacher is not None:
        away = sorted(p.people[teacher.id].unavailable)[:2]
        out.append(relax.free_dates(p, teacher.id, away))
    budget = next((t for t in inst.teachers if t.max_release_days), None)
    if budget is not None:
        out.append(relax.raise_budget(p, budget.id))
    return out


def test_each_relaxation_edits_the_instance_as_it_changes_the_problem(hub):
    inst, p = hub
    found = _relaxations(inst, p)
    assert len(found) >= 8
    for r in found:
        assert r.edit is not None, r.text
        edited = apply_edit(inst, Edit.from_json(r.edit.as_json()))  # as a button carries it
        assert _same(Problem.from_instance(edited), r.apply(p)), r.text
        assert not _same(Problem.from_instance(edited), p), r.text  # and it does change something


def test_pins_dropped_and_moved_alike(hub):
    inst, _ = hub
    pinned = inst.model_copy(
        update={
            "pinned": [
                type(inst)
                .model_fields["pinned"]
                .annotation.__args__[0](work_group=w.id, kind="group", date=dt.date(2027, 1, 12), slot="am")
                for w in inst.work_groups[:2]
            ]
        }
    )
    p = Problem.from_instance(pinned)
    for r in (relax.drop_pin(p, 0), relax.move_pin(1, dt.date(2027, 1, 13), "pm")):
        assert _same(Problem.from_instance(apply_edit(pinned, r.edit)), r.apply(p)), r.text


@pytest.mark.parametrize(
    "edit, where, words",
    [
        (Edit("add_blackout", {"school": "nowhere", "start": "2027-02-01"}), "", "no school 'nowhere'"),
        (Edit("add_closure", {"school": "kepier-vale", "start": "2027-02-30"}), "", "2027-02-30"),
        (
            Edit("set_release_days", {"person": "lisa-charlton", "days": ["funday"]}),
            "",
            "'funday' is not a weekday",
        ),
        (Edit("remove_blackout", {"school": "kepier-vale", "index": 7}), "", "remove_blackout"),
    ],
)
def test_a_wrong_edit_says_what_is_wrong(hub, edit, where, words):
    inst, _ = hub
    with pytest.raises(InstanceError) as caught:
        apply_edit(inst, edit)
    (at, message), *_ = caught.value.problems
    assert words in message and "Traceback" not in message


def test_a_window_backwards_is_refused_by_the_instance_rules(hub):
    inst, _ = hub
    with pytest.raises(InstanceError) as caught:
        apply_edit(
            inst,
            Edit(
                "set_window",
                {"work_group": inst.work_groups[0].id, "start": "2027-05-03", "end": "2027-02-01"},
            ),
        )
    assert caught.value.problems[0][0] == "work_groups[0]" and "before 'from'" in caught.value.problems[0][1]


def test_lifting_part_of_a_blackout_keeps_the_rest_and_its_reason(hub):
    inst, _ = hub
    edited = apply_edit(inst, Edit("lift_blackout", {"school": "kepier-vale", "dates": ["2027-01-14"]}))
    spans = [(b.from_, b.to, b.reason) for s in edited.schools if s.id == "kepier-vale" for b in s.blackouts]
    assert spans == [
        (dt.date(2027, 1, 11), dt.date(2027, 1, 13), "Year 11 mocks"),
        (dt.date(2027, 1, 15), dt.date(2027, 1, 22), "Year 11 mocks"),
    ]
