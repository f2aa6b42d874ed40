"""report.html's schools term by term: each school's sessions in a table per term.

A school sees what it hosts, what visits it and what its teachers attend elsewhere, by its
own term dates where it has them (else the hub's).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from models.instance import Instance, School, Term
from scheduler.core.plan import Session
from scheduler.outputs.report_markup import SLOT_LABEL, Html, Names, day_text, el, kind_text, table, tr

NOT_IN_TERM = "outside term"
SCHOOL_HEAD = ("date", "slot", "kind", "Work Group", "leader", "where")


def _involving(sessions: list[Session], names: Names) -> dict[str, list[Session]]:
    """school -> the sessions it hosts, is visited in or sends teachers to, in date order."""
    out: dict[str, list[Session]] = defaultdict(list)
    again = names.central.repeats(sessions)  # a central event: once at its venue
    for s in sessions:
        places = {
            s.venue if s not in again else None,
            s.school,
            *(names.school_of.get(t) for t in s.teachers),
        }
        for sid in sorted(p for p in places if p):
            out[sid].append(s)
    return out


def _term_of(day: dt.date, terms: list[Term]) -> str:
    return next((t.name for t in terms if t.start <= day <= t.end), NOT_IN_TERM)


def _school_block(school: School, terms: list[Term], sessions: list[Session], names: Names) -> Html:
    """One school's sessions, a table per term (its own terms, else the hub's) named by its caption."""
    by_term: dict[str, list[Session]] = {t.name: [] for t in terms}
    for s in sessions:
        by_term.setdefault(_term_of(s.date, terms), []).append(s)
    spans = {
        t.name: f"{t.name.capitalize()} term · {day_text(t.start, False)} – {day_text(t.end)}" for t in terms
    }
    tables = []
    for term, ss in by_term.items():
        rows = [
            tr(
                [
                    day_text(s.date, False),
                    SLOT_LABEL.get(s.slot, s.slot),
                    *_what_where(s, school, names),
                ]
            )
            for s in ss
        ]
        span = spans.get(term, term)
        tables.append(table(SCHOOL_HEAD, rows, caption=span, empty=f"{span}: no sessions"))
    return el("div", el("h3", school.name), *tables, class_="school")


def _what_where(s: Session, school: School, names: Names) -> list[str]:
    """The kind, Work Group, leader and place of a session; a central event in its own words,
    run by the programme, at its venue (or online)."""
    event = names.central.event(s)
    if event is not None:
        return [event.what, names.wg(s.work_group), "the programme", names.central.where(event)]
    where = "here" if s.venue == school.id else names.school(s.venue)
    return [kind_text(s.kind)[1], names.wg(s.work_group), names.person(s.specialist), where]


def school_terms(inst: Instance, sessions: list[Session], names: Names) -> Html:
    involving = _involving(sessions, names)
    blocks = (
        _school_block(school, list(school.terms or inst.calendar.terms), involving.get(school.id, []), names)
        for school in inst.schools
    )
    return el("div", *blocks, class_="schools")
