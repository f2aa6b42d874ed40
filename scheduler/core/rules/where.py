"""R1–R3: where and when a session may be at all.

Each of these rules narrows an activity's (date, slot)s (`allowed`): its `add` narrows
them in the model before any variable exists, so the model has no variable where they
forbid one, and `candidate_slots` asks the same three of one activity. `slot_reasons`
says why they rule out one (date, slot): for `check`, explanations, pins and re-planning;
`date_obstacles` says it fact by fact over many (a school's closures, a blackout, someone's
release days, unavailable dates, commitments), each in words and with the changes that take
it away, for explanations that name only the reasons needed. R3 also posts its constraints
between sessions (no one in two places, venue capacity, a central event's venue taken once).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.units import halves
from scheduler.core.calendar import WEEKDAY_NAMES, weekday_name
from scheduler.core.model import Slots, window_slots
from scheduler.core.problem import Activity, Problem, WorkGroupSpec
from scheduler.core.relax import (
    Relaxation,
    add_release_day,
    blackout_runs,
    day_span,
    free_dates,
    lift_blackout,
    move_commitments,
    release_more,
    shorter_blackouts,
    widen_window,
)
from scheduler.core.rules.base import Label, Rule, Violation, ids, when, who

if TYPE_CHECKING:  # pragma: no cover
    from scheduler.core.checked import Checked
    from scheduler.core.model import Builder


class WhereRule(Rule):
    """A rule on where a session may be: it narrows the candidates (`allowed`) and says
    why it rules out a (date, slot) (`reasons`), which is also what it finds in a plan."""

    def allowed(self, p: Problem, act: Activity, slots: Slots) -> Slots:
        """The (date, slot)s of `slots` the rule allows `act`."""
        return slots

    def reasons(self, p: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
        """Why the rule rules out `act` on this date and slot (empty if it does not)."""
        return []

    def obstacles(self, p: Problem, act: Activity, slots: Slots) -> Iterator[Obstacle]:
        """The facts of the instance by which the rule rules out some of `slots` for `act`,
        each with what it rules out: what `allowed` takes away, told fact by fact."""
        return iter(())

    def obstacle_words(self, p: Problem, key: tuple[str, ...], days: list[dt.date]) -> str:
        """One of its obstacles in the user's words, as it stands on these dates."""
        return self.title

    def obstacle_relaxations(self, p: Problem, key: tuple[str, ...], days: list[dt.date]) -> list[Relaxation]:
        """Changes to the instance that take one of its obstacles off these dates, smallest first."""
        return []

    def add(self, b: Builder) -> None:
        b.narrow(self.allowed)

    def check(self, c: Checked) -> Iterator[Violation]:
        for s, act in c.judged():
            for why in self.reasons(c.problem, act, s.date, s.slot):
                yield Violation(self.id, f"{c.describe(s)}: {why}", s.work_group, ("session", s.id), (s.id,))


@dataclass(frozen=True)
class Obstacle:
    """A fact of the instance that rules out (date, slot)s of an activity under R1–R3: one
    school's closures, one blackout, one person's weekly release days, unavailable dates or
    commitments, or the hub calendar itself (weekends aside: half-terms, holidays; that one
    no one changes). Its `key` is the same for every activity it stands in the way of, so
    facts with one cause are told as one; `blocks` is what it rules out of the slots asked
    about (`date_obstacles`)."""

    rule: str
    key: tuple[str, ...]  # ('closures', school) | ('blackout', school, reason) | ('release', person) | …
    blocks: frozenset[tuple[dt.date, str]]

    @property
    def removable(self) -> bool:
        return self.key != CALENDAR

    def days(self) -> list[dt.date]:
        return sorted({day for day, _ in self.blocks})


CALENDAR = ("calendar",)


def _places(p: Problem, act: Activity) -> list[str]:
    """The venue and the school of everyone attending, once each."""
    return list(dict.fromkeys([act.venue, *(p.school_of(x) for x in act.attendees)]))


def _whole_terms(p: Problem, days: Iterable[dt.date]) -> str:
    """', the whole summer term' when the dates hold every school day of a hub term."""
    held = set(days)
    whole = [t.name for t in p.hub_terms if all(d in held for d in p.hub_days if d in t)]
    return f", the whole {' and '.join(whole)} term{'s' if len(whole) > 1 else ''}" if whole else ""


def _dates(days: list[dt.date], most: int = 4) -> str:
    more = f" and {len(days) - most} more" if len(days) > most else ""
    return ", ".join(map(str, days[:most])) + more


class R1Calendar(WhereRule):
    id, title = "R1", "calendar"
    reach = "group"

    def parts(self, p: Problem, act: Activity, wg: WorkGroupSpec) -> list[tuple[str, frozenset[dt.date]]]:
        """(why, school days) for the venue and the school of everyone attending."""
        out = [(f"not a school day at {p.schools[act.venue].name} (the venue)", p.schools[act.venue].days)]
        for person in act.attendees:
            school = p.school_of(person)
            out.append(
                (
                    f"not a school day at {p.schools[school].name}, {p.people[person].name}'s school",
                    p.schools[school].days,
                )
            )
        return out

    def allowed(self, p: Problem, act: Activity, slots: Slots) -> Slots:
        """The (date, slot)s on a school day of the venue and of everyone attending."""
        days: set[dt.date] | None = None
        for _, allowed in self.parts(p, act, p.work_groups[act.wg]):
            days = set(allowed) if days is None else days & allowed
        days = days or set()
        return [(day, slot) for day, slot in slots if day in days]

    def reasons(self, p: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
        wg = p.work_groups[act.wg]
        out = [] if wg.start <= day <= wg.end else [f"outside {wg.id}'s window {wg.start}..{wg.end}"]
        return out + list(dict.fromkeys(why for why, allowed in self.parts(p, act, wg) if day not in allowed))

    def obstacles(self, p: Problem, act: Activity, slots: Slots) -> Iterator[Obstacle]:
        """Each school's own closures (a hub school day it is shut), and the hub calendar."""
        calendar: set[tuple[dt.date, str]] = set()
        for sid in _places(p, act):
            shut = {(day, slot) for day, slot in slots if day not in p.schools[sid].days}
            own = frozenset(x for x in shut if x[0] in p.hub_days)
            calendar |= shut - own
            if own:
                yield Obstacle(self.id, ("closures", sid), own)
        yield Obstacle(self.id, CALENDAR, frozenset(calendar))

    def obstacle_words(self, p: Problem, key: tuple[str, ...], days: list[dt.date]) -> str:
        return f"{p.schools[key[1]].name}'s closures on {_dates(days)}"


class R2Release(WhereRule):
    id, title = "R2", "release"
    reach = "group"

    def parts(self, p: Problem, act: Activity) -> list[tuple[str, Iterable[dt.date], bool]]:
        """(why, dates, allowed?) — weekdays released, dates unavailable, blackouts.

        A central event is released on its own date whatever the weekly release days, which
        govern development days only (DOMAIN.md): the trainee's school agreed to its dates
        when it signed up. Unavailability and blackouts hold for it as for any session."""
        out: list[tuple[str, Iterable[dt.date], bool]] = []
        for person in act.attendees:
            pc = p.people[person]
            if not act.fixed:
                out.append(
                    (
                        f"{pc.name} is not released on that weekday (releases: {', '.join(sorted(pc.release_days, key=WEEKDAY_NAMES.index)) or 'none'})",
                        pc.release_days,
                        True,
                    )
                )
            out.append((f"{pc.name} is unavailable", pc.unavailable, False))
        for school in dict.fromkeys([act.venue, *(p.school_of(x) for x in act.attendees)]):
            out.append((f"inside a blackout at {p.schools[school].name}", p.schools[school].blackouts, False))
        return out

    @staticmethod
    def _failing(parts: list[tuple[str, Iterable, bool]], day: dt.date) -> Iterator[tuple[str, Iterable]]:
        wd = weekday_name(day)
        for why, items, allowed in parts:
            if ((wd if allowed else day) in items) != allowed:
                yield why, items

    def allowed(self, p: Problem, act: Activity, slots: Slots) -> Slots:
        """The (date, slot)s on which every attendee can be released."""
        parts = self.parts(p, act)
        ok: dict[dt.date, bool] = {}
        out = []
        for day, slot in slots:
            if day not in ok:
                ok[day] = next(self._failing(parts, day), None) is None
            if ok[day]:
                out.append((day, slot))
        return out

    def reasons(self, p: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
        return [
            f"{why} ({items[day]})" if isinstance(items, dict) else why
            for why, items in self._failing(self.parts(p, act), day)
        ]

    def obstacles(self, p: Problem, act: Activity, slots: Slots) -> Iterator[Obstacle]:
        """Each school's blackouts (one per reason), each attendee's weekly release days (not
        for a central event: see `parts`) and unavailable dates."""
        for sid in _places(p, act):
            for reason, days in blackout_runs(p, sid, None):
                gone = set(days)
                yield from self._obstacle(("blackout", sid, reason), slots, lambda d, gone=gone: d in gone)
        for person in act.attendees:
            pc = p.people[person]
            if not act.fixed:
                yield from self._obstacle(
                    ("release", person), slots, lambda d, pc=pc: weekday_name(d) not in pc.release_days
                )
            yield from self._obstacle(("unavailable", person), slots, lambda d, pc=pc: d in pc.unavailable)

    def _obstacle(self, key: tuple[str, ...], slots: Slots, rules_out) -> Iterator[Obstacle]:
        blocks = frozenset((day, slot) for day, slot in slots if rules_out(day))
        if blocks:
            yield Obstacle(self.id, key, blocks)

    def obstacle_words(self, p: Problem, key: tuple[str, ...], days: list[dt.date]) -> str:
        kind, subject = key[0], key[1]
        if kind == "blackout":
            return f"{p.schools[subject].name}'s blackout {day_span(days)} ({key[2]}{_whole_terms(p, days)})"
        person = p.people[subject]
        if kind == "release":
            released = sorted(person.release_days, key=WEEKDAY_NAMES.index)
            return f"{person.name}'s release days ({', '.join(released) or 'none'})"
        lead = "the TfM Lead " if subject == p.tfm_lead else ""
        whole = _whole_terms(p, days)
        return f"{lead}{person.name}'s unavailable dates {day_span(days)}" + (
            f" ({whole[2:]})" if whole else ""
        )

    def obstacle_relaxations(self, p: Problem, key: tuple[str, ...], days: list[dt.date]) -> list[Relaxation]:
        kind, subject = key[0], key[1]
        if kind == "blackout":
            return shorter_blackouts(p, subject, key[2], days)
        person = p.people[subject]
        if kind == "release":
            return [
                add_release_day(p, subject, wd)
                for wd in WEEKDAY_NAMES
                if wd in person.works - person.release_days
            ]
        return [free_dates(p, subject, days)]


class R3NoDoubleBooking(WhereRule):
    id, title = "R3", "no double booking"
    reach = "week"  # one half-day

    def busy(self, p: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
        """Attendees with a fixed commitment in that slot."""
        return [
            p.people[x].name for x in act.attendees if any((day, h) in p.people[x].busy for h in halves(slot))
        ]

    def allowed(self, p: Problem, act: Activity, slots: Slots) -> Slots:
        """The (date, slot)s in which no attendee has a fixed commitment: what `busy` asks
        of one slot, for all of them at once (the commitments gathered once)."""
        taken = set().union(*(p.people[x].busy for x in act.attendees))
        return [(day, slot) for day, slot in slots if not any((day, h) in taken for h in halves(slot))]

    def reasons(self, p: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
        return [f"{name} has a fixed commitment" for name in self.busy(p, act, day, slot)]

    def obstacles(self, p: Problem, act: Activity, slots: Slots) -> Iterator[Obstacle]:
        """Each attendee's fixed commitments."""
        for person in act.attendees:
            busy = p.people[person].busy
            blocks = frozenset(
                (day, slot) for day, slot in slots if any((day, h) in busy for h in halves(slot))
            )
            if blocks:
                yield Obstacle(self.id, ("commitments", person), blocks)

    def obstacle_words(self, p: Problem, key: tuple[str, ...], days: list[dt.date]) -> str:
        return f"{p.people[key[1]].name}'s commitments on {_dates(days)}"

    def obstacle_relaxations(self, p: Problem, key: tuple[str, ...], days: list[dt.date]) -> list[Relaxation]:
        return [move_commitments(p, key[1], days)]

    def add(self, b: Builder) -> None:
        super().add(b)  # no variable in an attendee's fixed commitments
        model = b.model
        for (person, _, _), xs in b.by_person_half.items():  # sessions someone attends then
            if len(xs) > 1:
                with b.about(self.id, xs, person=person):
                    model.add_at_most_one(xs)
        event_of = {
            x.index: act.event for act in b.problem.activities if act.fixed for _, _, x in b.cands[act.key]
        }
        schools = b.problem.schools
        for (venue, _, _), xs in b.by_venue_half.items():
            cap = schools[venue].capacity
            if len(xs) <= cap:  # hosting every candidate then would still fit
                continue
            hosted = hosted_sessions(xs, lambda x: event_of.get(x.index))
            if len(hosted) > cap:
                with b.about(self.id, xs, school=venue):
                    model.add(sum(self._held(b, group) for group in hosted) <= cap)

    @staticmethod
    def _held(b: Builder, group: list):
        """One session, or one central event however many trainees' sessions it is."""
        if len(group) == 1:
            return group[0]
        held = b.model.new_bool_var("")
        b.model.add_max_equality(held, group)
        return held

    def describe(self, label: Label, p: Problem) -> str:
        name = who(label, p)
        if name:
            return f"{name} cannot be in two places at once{when(label)}"
        if label.school in p.schools:
            cap = p.schools[label.school].capacity
            what = "one session" if cap == 1 else f"{cap} sessions"
            return f"{p.schools[label.school].name} hosts {what} at a time{when(label)}"
        return f"no double booking{when(label)}"

    def check(self, c: Checked) -> Iterator[Violation]:
        p = c.problem
        people: dict[tuple[str, dt.date, str], list] = defaultdict(list)
        venues: dict[tuple[str, dt.date, str], list] = defaultdict(list)
        for s in c.sessions:
            asked = c.asked("person", dict.fromkeys(s.attendees))  # a trainee leads and attends: once
            for h in halves(s.slot):
                for x in asked:
                    people[(x, s.date, h)].append(s)
                if c.asks("venue", s.venue):
                    venues[(s.venue, s.date, h)].append(s)
            act = c.activity(s) if c.judges(s) else None
            if act is not None:
                for why in self.reasons(p, act, s.date, s.slot):
                    yield Violation(
                        self.id, f"{c.describe(s)}: {why} then", s.work_group, ("session", s.id), (s.id,)
                    )
        twice = ((k, ss) for k, ss in people.items() if len(ss) > 1)
        for (x, day, h), ss in sorted(twice, key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
            if len(ss) > 1:
                name = p.people[x].name if x in p.people else x
                yield Violation(
                    self.id,
                    f"{name} is booked twice on {day} {h}: " + " and ".join(c.describe(s) for s in ss),
                    ss[0].work_group,
                    ("person", x),
                    ids(ss),
                )
        events = {}  # each central event's sessions: which event (only they need their activity)
        for s in c.sessions:
            base = c.planned(s)
            if base is not None and base.fixed:
                events[s] = c.activity(s).event
        for (v, day, h), ss in sorted(venues.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
            cap = p.schools[v].capacity if v in p.schools else 1
            hosted = hosted_sessions(ss, events.get)
            if len(hosted) > cap:
                yield Violation(
                    self.id,
                    f"{v} hosts {len(hosted)} sessions on {day} {h}, capacity {cap}",
                    hosted[0][0].work_group,
                    ("venue", v),
                    ids(s for group in hosted for s in group),
                )


def hosted_sessions(sessions: Iterable, event_of) -> list[list]:
    """What a venue hosts in one half-day (R3's capacity): each session on its own, but the
    sessions of one central event (`event_of`: a session's `Activity.event`, or None) as one,
    since one event serves the whole cohort; an online event is hosted nowhere."""
    out: list[list] = []
    by_event: dict[tuple, list] = {}
    for s in sessions:
        event = event_of(s)
        if event is None:
            out.append([s])
        elif event[2] is not None:  # online: no venue
            if event not in by_event:
                by_event[event] = []
                out.append(by_event[event])
            by_event[event].append(s)
    return out


WHERE = (R1Calendar(), R2Release(), R3NoDoubleBooking())
WHERE_RULE = {rule.id: rule for rule in WHERE}


def candidate_slots(p: Problem, act: Activity) -> Slots:
    """Every (date, slot) the activity may use under R1, R2 and R3's commitments: the
    narrowing their `add` does in the model, asked of one activity."""
    slots = window_slots(p, act)
    for rule in WHERE:
        slots = rule.allowed(p, act, slots)
    return slots


def slot_reasons(p: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
    """Why R1–R3 rule out `act` on this date and slot (empty if they do not)."""
    return [f"{rule.id} {why}" for rule in WHERE for why in rule.reasons(p, act, day, slot)]


# -- what would free more dates (the relaxations of R1 and R2) ---------------------------


def more_dates(p: Problem, people: list[str], wgs: Iterable[str]) -> list[Relaxation]:
    """More release days for these people (R2), then for each Work Group its schools'
    blackouts lifted (R2) and its window widened (R1)."""
    out = release_more(p, people)
    for w in wgs:
        wg = p.work_groups[w]
        for sid in dict.fromkeys([wg.venue, *wg.schools]):
            out += [lift_blackout(p, sid, reason, days) for reason, days in blackout_runs(p, sid, None)]
        window = widen_window(p, w)
        out += [window] if window else []
    return out


def date_obstacles(p: Problem, act: Activity, slots: Slots) -> list[Obstacle]:
    """Everything by which R1–R3 rule out some of `slots` for `act`, fact by fact: a slot
    none of them blocks is one `candidate_slots` keeps."""
    return [ob for rule in WHERE for ob in rule.obstacles(p, act, slots)]


def obstacle_words(p: Problem, ob: Obstacle, days: list[dt.date]) -> str:
    return WHERE_RULE[ob.rule].obstacle_words(p, ob.key, days)


def obstacle_relaxations(p: Problem, ob: Obstacle, days: list[dt.date]) -> list[Relaxation]:
    return WHERE_RULE[ob.rule].obstacle_relaxations(p, ob.key, days)
