"""What an explanation is made of: facts, each with the changes that might lift it, and their words.

A fact says, in the user's words, why no plan exists for some Work Groups: the rule, the
sessions that cannot be had, and the minimal set of reasons that stands in their way. The
changes it could take (`relaxations`) are candidates only; `checked` holds those that were
solved again and worked (`scheduler.services.proof`), and only those are printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.core.calendar import Period
from scheduler.core.problem import Problem
from scheduler.core.relax import Relaxation

CHECK_LIMIT = 10.0  # deterministic seconds for each solve an explanation runs to check something


@dataclass(eq=False)  # a fact is itself: facts of one clash name each other (`together`)
class Fact:
    rule: str  # 'R7', 'R7, R8, R13' for one cause of several, '' for a clash of several rules
    wgs: tuple[str, ...]  # the Work Groups it is about
    text: str
    relaxations: list[Relaxation] = field(default_factory=list)  # candidates, most likely first
    resolved: Callable[[Problem], bool] | None = None  # the fact no longer holds (a check without a solver)
    checked: list[tuple[Relaxation, ...]] = field(default_factory=list)  # each a change, or pair, that solved
    together: tuple[Fact, ...] = ()  # checked with the first change of each of these facts applied too
    note: str = ""  # said when no change was checked to work


def rule_ids(rules: list[str]) -> str:
    """'R7, R8, R13': each once, in number order."""
    return ", ".join(sorted(dict.fromkeys(rules), key=lambda r: int(r[1:])))


def period_text(t: Period) -> str:
    """'the spring term (2027-01-05..2027-03-26)', 'the first half of the spring term (…)'."""
    term, _, half = t.name.partition("-")
    which = {"1": "the first half of ", "2": "the second half of "}.get(half, "")
    return f"{which}the {term} term ({t.start}..{t.end})"


def names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def wg_list(wgs: list[str] | tuple[str, ...]) -> str:
    """The Work Groups by id; more than three also counted."""
    return names(list(wgs)) + (f" ({len(wgs)} Work Groups)" if len(wgs) > 3 else "")
