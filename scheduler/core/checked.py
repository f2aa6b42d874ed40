"""The rules' view of a finished plan: each rule's `check` reads the sessions through `Checked`.

`check_plan` (`scheduler.core.rules`) asks every rule; `hubplan check`, the repair of a
decomposed solve and the workspace ask it.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from scheduler.core.plan import Session
from scheduler.core.problem import KIND_LABEL, Activity, Problem, WorkGroupSpec


@dataclass
class Checked:
    """A plan's sessions with the lookups the rules' `check` methods need."""

    problem: Problem
    sessions: list[Session]
    # What the violations wanted are about (`Violation.about`: ('session', id), ('person',
    # id), …); None: everything. The workspace checks again only what a move touched, and
    # the rules skip the rest: the placement of sessions that stayed put, other people.
    about: frozenset[tuple[str, str]] | None = None
    _by_wg: dict[str, list[Session]] = field(default_factory=dict)
    _with_activity: list[tuple[Session, Activity]] | None = None

    _asked: dict[str, set[str]] = field(default_factory=dict)
    _ordered: list[Session] = field(default_factory=list)

    def __post_init__(self) -> None:
        for kind, name in self.about or ():
            self._asked.setdefault(kind, set()).add(name)
        self._ordered = sorted(self.sessions)
        by_wg: dict[str, list[Session]] = defaultdict(list)
        for s in self._ordered:
            by_wg[s.work_group].append(s)
        self._by_wg = dict(by_wg)

    def of_wg(self, wg: str) -> list[Session]:
        return self._by_wg.get(wg, [])

    def wg(self, s: Session) -> WorkGroupSpec:
        return self.problem.work_groups[s.work_group]

    def planned(self, s: Session) -> Activity | None:
        """The activity the session belongs to, as its programme sets it (venue, leader, …)."""
        wg = self.problem.work_groups.get(s.work_group)
        if wg is None:
            return None
        return wg.activity(s.kind, s.school if s.kind == "visit" else None, s.date)

    def activity(self, s: Session) -> Activity | None:
        """The planned session as an activity: its own venue and attendees, as planned."""
        base = self.planned(s)
        if base is None:
            return None
        return dataclasses.replace(base, venue=s.venue, leader=s.specialist, teachers=s.teachers)

    def asks(self, kind: str, name: str | None) -> bool:
        """Whether violations about this are wanted (see `about`)."""
        return self.about is None or (kind, name) in self.about

    def asked(self, kind: str, names: Iterable[str]) -> Iterable[str]:
        """Those of `names` whose violations of this kind are wanted, in order."""
        if self.about is None:
            return names
        wanted = self._asked.get(kind, ())
        return [n for n in names if n in wanted]

    def work_groups(self) -> list[WorkGroupSpec]:
        """The Work Groups whose violations are wanted (see `about`), in the instance's order."""
        return [wg for wg in self.problem.work_groups.values() if self.asks("wg", wg.id)]

    def judges(self, s: Session) -> bool:
        """Whether the session's own placement is judged (see `about`)."""
        return self.asks("session", s.id)

    def sessions_with_activity(self) -> list[tuple[Session, Activity]]:
        """Each readable session with its activity, in date order (computed once)."""
        if self._with_activity is None:
            pairs = ((s, self.activity(s)) for s in self._ordered)
            self._with_activity = [(s, a) for s, a in pairs if a is not None]
        return self._with_activity

    def judged(self) -> list[tuple[Session, Activity]]:
        """Those of `sessions_with_activity` whose own placement is judged (see `about`)."""
        if self.about is None:
            return self.sessions_with_activity()
        wanted = self._asked.get("session", ())
        pairs = ((s, self.activity(s)) for s in self._ordered if s.id in wanted)
        return [(s, a) for s, a in pairs if a is not None]

    def describe(self, s: Session) -> str:
        what = KIND_LABEL.get(s.kind, s.kind)
        if s.school and s.school in self.problem.schools:
            what += f" to {self.problem.schools[s.school].name}"
        return f"{s.work_group} {what} on {s.date} {s.slot}"
