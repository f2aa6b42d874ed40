"""The hard rules R1–R13 of DOMAIN.md, each defined once, and `check_plan`.

Every rule is one class (`base.Rule`) with:
- `add(b)`: post the rule to the CP-SAT model being built (`scheduler.core.model.Builder`),
  each constraint labelled with what it is about;
- `check(c)`: list where a finished plan breaks it (`scheduler.core.checked.Checked`);
- `describe(label, p)` and `relaxations(label, p)`: one of its labels in the user's words,
  and the changes to the instance that might lift it (`scheduler.services.explain`).

`where` holds R1–R3 (where a session may be at all), `amounts` R4–R8 (how many, in what
order), `people` R9–R13 (load, budget, pins, travel, headteachers). `RULES` is the table
of contents, in the order the model is built: R1–R3 narrow the candidates first.
"""

from __future__ import annotations

from scheduler.core.checked import Checked
from scheduler.core.plan import Session
from scheduler.core.problem import Problem
from scheduler.core.rules.amounts import (
    R4SupportDays,
    R5GroupMeetings,
    R6LaunchFirst,
    R7TermlyContact,
    R8Spacing,
    stream_periods,
)
from scheduler.core.rules.base import Rule, Violation, iso_week
from scheduler.core.rules.people import (
    R9SpecialistLoad,
    R10ReleaseBudget,
    R11Pinned,
    R12Travel,
    R13Headteachers,
)
from scheduler.core.rules.where import WHERE, candidate_slots, slot_reasons

RULES: tuple[Rule, ...] = (
    *WHERE,  # R1 calendar, R2 release, R3 no double booking
    R4SupportDays(),
    R5GroupMeetings(),
    R6LaunchFirst(),
    R7TermlyContact(),
    R8Spacing(),
    R9SpecialistLoad(),
    R10ReleaseBudget(),
    R11Pinned(),
    R12Travel(),
    R13Headteachers(),
)
RULE = {r.id: r for r in RULES}


def check_plan(problem: Problem, sessions: list[Session]) -> list[Violation]:
    """Every violation of every hard rule, in rule order."""
    checked = Checked(problem, sessions)
    out: list[Violation] = []
    for rule in RULES:
        out.extend(dict.fromkeys(rule.check(checked)))
    return out


__all__ = [
    "RULE",
    "RULES",
    "Rule",
    "Violation",
    "candidate_slots",
    "check_plan",
    "iso_week",
    "slot_reasons",
    "stream_periods",
]
