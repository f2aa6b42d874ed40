"""A plan edited by hand: every rule checked again at once after a move, and, for a session,
every date and slot of its Work Group's window with whether the rules allow it there.

Both answers come from the rules themselves (`scheduler.core.rules`), never a copy of them.
To be quick on a hub of a thousand sessions, only what a move can touch is checked again:
each violation says what it is about (`Violation.about`: a session, a Work Group, a person,
a venue or a visited school), a moved session touches its own placement, its Work Group,
its attendees, its venue and the school it visits, and the rules are run on just the
sessions that bear on those (`Draft.check`). Every other violation stays as it was, since
nothing it is about has changed. `tests/test_moves.py` holds this to `check_plan` on random
moves.

A date and slot is *allowed* for a session when putting it there breaks no rule that the
plan did not already break: no new violation that concerns the session. Its cost is the
change in the soft goals S1–S4 (`scheduler.core.goal_values`).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from scheduler.core.checked import Checked
from scheduler.core.goal_values import GoalValues
from scheduler.core.model import window_slots
from scheduler.core.plan import Session
from scheduler.core.problem import Activity, Problem
from scheduler.core.rules import RULES, Rule, Violation, candidate_slots, check_plan, iso_week
from scheduler.core.rules.where import WHERE

Key = tuple[str, str]  # what a violation is about: (kind, id), see rules.base.ABOUT
GOAL_MODELS = 32  # goals' models kept per plan being edited
RULE_ORDER = {r.id: i for i, r in enumerate(RULES)}


@dataclass(frozen=True)
class Move:
    """Put session `session` (an id) on this date and slot."""

    session: str
    date: dt.date
    slot: str


@dataclass
class Choice:
    """One date and slot of a session's window, as the panel shows it."""

    date: dt.date
    slot: str
    allowed: bool
    current: bool = False
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (rule id, why), when not allowed
    cost: dict[str, int] | None = None  # change in S1–S4, when allowed
    weighted: int | None = None  # the same, weighted as in the objective


def touches(s: Session) -> set[Key]:
    """Everything whose violations a move of `s` can change (whatever the dates)."""
    out = {("session", s.id), ("wg", s.work_group), ("venue", s.venue)}
    out |= {("person", x) for x in s.attendees}
    if s.kind == "visit" and s.school:
        out.add(("school", s.school))
    return out


def _check(
    problem: Problem, sessions: list[Session], keys: frozenset[Key], rules: Iterable[Rule] = RULES
) -> list[Violation]:
    """The violations about `keys` among `sessions`, rule by rule: the rules look only at the
    Work Groups, people, venues, schools and sessions `keys` name (`Checked.about`)."""
    c = Checked(problem, sessions, about=keys)
    return [v for rule in rules for v in dict.fromkeys(rule.check(c)) if v.about in keys]


NEAR = [r for r in RULES if r.reach in ("group", "week")]  # judged on a week's sessions
FAR = [r for r in RULES if r.reach not in ("group", "week")]  # on the year's


class Draft:
    """A plan's sessions, indexed by what each touches, with every violation of the rules.

    Made once per plan (a full `check_plan`); `moved` gives the draft after some moves,
    checking only what they touch."""

    def __init__(
        self,
        problem: Problem,
        sessions: Iterable[Session],
        violations: list[Violation] | None = None,
        _index: dict[Key, set[str]] | None = None,
        _goals: dict | None = None,
    ):
        self.problem = problem
        given = sorted(sessions)
        self.sessions = {s.id: s for s in given}
        if len(self.sessions) != len(given):
            raise ValueError("a draft's sessions need ids of their own")
        if _index is None:
            _index = defaultdict(set)
            for s in self.sessions.values():
                for key in touches(s):
                    if key[0] != "session":
                        _index[key].add(s.id)
        self.index = _index
        self.goal_models = _Models() if _goals is None else _goals  # shared by the drafts made from this
        ordered = list(self.sessions.values())
        self.violations = check_plan(problem, ordered) if violations is None else violations

    # -- checking -----------------------------------------------------------------------
    def scope(self, keys: set[Key]) -> list[Session]:
        """Every session that bears on a violation about one of `keys`, in plan order."""
        found: set[str] = set()
        for kind, name in keys:
            if kind == "session":
                found.add(name)
            else:
                found |= self.index.get((kind, name), set())
        return sorted(self.sessions[i] for i in found if i in self.sessions)

    def check(self, keys: set[Key], sessions: list[Session] | None = None) -> list[Violation]:
        """The violations about `keys`, exactly as `check_plan` of the whole plan finds them:
        the rules run on the sessions that bear on them, asked only about `keys`
        (`Checked.about`: the moved sessions' own placement, their Work Groups, people…)."""
        return _check(self.problem, self.scope(keys) if sessions is None else sessions, frozenset(keys))

    def moved(self, moves: list[Move]) -> Draft:
        """This draft with `moves` made (later moves of one session win)."""
        placed: dict[str, Session] = {}
        for m in moves:
            s = placed.get(m.session) or self.sessions.get(m.session)
            if s is None:
                raise KeyError(m.session)
            placed[m.session] = dataclasses.replace(s, date=m.date, slot=m.slot)
        return self.changed(placed, placed.values())

    def changed(self, removed: Iterable[str], added: Iterable[Session]) -> Draft:
        """This draft without the sessions `removed` (ids) and with those `added`: a move is
        both, a repair of some Work Groups many."""
        sessions = dict(self.sessions)
        gone = [sessions.pop(i) for i in removed]
        added = list(added)
        index = dict(self.index)
        keys: set[Key] = set()
        for s, change in [*((s, set.difference) for s in gone), *((s, set.union) for s in added)]:
            for key in touches(s):
                keys.add(key)
                if key[0] != "session":
                    index[key] = change(index.get(key, set()), {s.id})
        sessions.update((s.id, s) for s in added)
        out = Draft(self.problem, sessions.values(), [], index, self.goal_models)
        kept = [v for v in self.violations if v.about not in keys]
        out.violations = sorted([*kept, *out.check(keys)], key=lambda v: RULE_ORDER.get(v.rule, 99))
        return out

    def by_session(self) -> dict[str, list[Violation]]:
        """Each session's violations: what to show on it."""
        out: dict[str, list[Violation]] = defaultdict(list)
        for v in self.violations:
            for sid in v.sessions:
                out[sid].append(v)
        return dict(out)

    # -- where else ---------------------------------------------------------------------
    def activity(self, s: Session) -> Activity:
        act = Checked(self.problem, [s]).activity(s)
        if act is None:
            raise KeyError(f"{s.id}: the hub has no such stream")
        return act

    def where_else(self, session_id: str) -> list[Choice]:
        """Every date and slot of the session's window: allowed or not, why not (each reason
        with its rule), and what moving there would change in S1–S4."""
        s = self.sessions[session_id]
        act = self.activity(s)
        keys = touches(s)
        others = [t for t in self.scope(keys) if t.id != s.id]
        before = {(v.rule, v.message) for v in self.check(keys)}
        asked = frozenset(keys)
        # Each date is judged on its Work Group's sessions and, for the rules whose reach is
        # a week, the other sessions of its people, venue and school in that ISO week alone.
        group = [t for t in others if t.work_group == s.work_group]
        weekly: dict[tuple[int, int], list[Session]] = defaultdict(list)
        for t in others:
            if t.work_group != s.work_group:
                weekly[iso_week(t.date)].append(t)
        legal = set(candidate_slots(self.problem, act))
        goals = self._goal_model(s, act)
        choices = []
        for day, slot in window_slots(self.problem, act):
            here = Choice(day, slot, True, current=(day, slot) == (s.date, s.slot))
            if (day, slot) not in legal:  # R1–R3 forbid it whatever else is where
                here.allowed = False
                here.reasons = [
                    (rule.id, why) for rule in WHERE for why in rule.reasons(self.problem, act, day, slot)
                ]
            elif not here.current:
                at = dataclasses.replace(s, date=day, slot=slot)
                near = sorted([*group, *weekly.get(iso_week(day), ()), at])
                placed = list(others)
                bisect.insort(placed, at)
                found = _check(self.problem, near, asked, NEAR) + (
                    _check(self.problem, placed, asked, FAR) if FAR else []
                )
                prefix = Checked(self.problem, []).describe(at) + ": "
                here.reasons = [
                    (v.rule, v.message.removeprefix(prefix))
                    for v in found
                    if s.id in v.sessions and (v.rule, v.message) not in before
                ]
                here.allowed = not here.reasons
            if here.allowed and not here.current:
                here.cost = goals(day, slot)
                here.weighted = None if here.cost is None else goals.weighted(here.cost)
            choices.append(here)
        return choices

    def _goal_model(self, s: Session, act: Activity) -> _Costs:
        """What moving `s` to each (date, slot) changes in S1–S4. The goals that a move of `s` can
        change are its own activity's, its Work Group's cover (S4) and its leader's trips to
        its venue (S3), so the model holds its Work Group and whatever else its leader leads
        there (cached per draft lineage)."""
        p = self.problem
        keep = {}
        for wid, spec in p.work_groups.items():
            shared = tuple(a for a in spec.activities if (a.leader, a.venue) == (act.leader, act.venue))
            if wid == s.work_group:
                keep[wid] = spec
            elif shared:  # S3: one trip for the leader's sessions at one venue on one day
                keep[wid] = dataclasses.replace(spec, activities=shared)
        trimmed = dataclasses.replace(p, work_groups=keep, pins=[])
        keys = {a.key for spec in keep.values() for a in spec.activities}
        placed = [(p.session_key(t), t.date, t.slot) for t in self.sessions.values()]
        placed = [x for x in placed if x[0] in keys]
        cache_key = (s.work_group, act.leader, act.venue)
        gv = self.goal_models.get(cache_key)
        if gv is None or any(x not in gv.index for x in placed):
            extra: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
            legal = {
                a.key: set(candidate_slots(trimmed, a)) for spec in keep.values() for a in spec.activities
            }
            for key, day, slot in placed:
                if (day, slot) not in legal[key]:
                    extra[key].append((day, slot))
            gv = self.goal_models.put(cache_key, GoalValues(trimmed, dict(extra)))
        return _Costs(gv, gv.values(placed), (p.session_key(s), s.date, s.slot))


class _Models:
    """The goals' models of the sessions asked about, the latest few kept (one is a few MB);
    the web server's threads may ask at once."""

    def __init__(self, most: int = GOAL_MODELS):
        self.most, self.found, self.lock = most, OrderedDict(), threading.Lock()

    def get(self, key) -> GoalValues | None:
        with self.lock:
            if key in self.found:
                self.found.move_to_end(key)
            return self.found.get(key)

    def put(self, key, model: GoalValues) -> GoalValues:
        with self.lock:
            self.found[key] = model
            while len(self.found) > self.most:
                self.found.popitem(last=False)
        return model


@dataclass
class _Costs:
    """The change in S1–S4 of moving one session (placed at `own`) elsewhere."""

    model: GoalValues
    vals: list[int]
    own: tuple[str, dt.date, str]

    def __call__(self, day: dt.date, slot: str) -> dict[str, int] | None:
        target = (self.own[0], day, slot)
        if target not in self.model.index or self.vals[self.model.index[target]]:
            return None  # not a candidate of the model, or taken by a session of its own stream
        return self.model.delta(self.vals, self.own, target)

    def weighted(self, cost: dict[str, int]) -> int:
        return self.model.weighted(cost)
