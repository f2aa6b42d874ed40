"""Every reference between parts of an instance that does not hold, item by item.

A Work Group naming an unknown school, a teacher of another school, a pinned visit
without its school, a Work Group's numbers against its programme: each is a `(path,
message)` pair naming the field and quoting the id. The checks also run on the parts of a
broken instance that did parse (`partial`), so one bad school does not hide a misspelt
teacher elsewhere.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from .instance import Hub, Instance, Pin, School, Specialist, Teacher, Venue, WorkGroup
from .problems import Problem, did_you_mean, unknown
from .programmes import PROGRAMMES, ProgrammeDef, central_problems, definition_problems, programme_problems


class _Partial(BaseModel):
    """The parts of a broken instance that did parse, so cross-references can still be read."""

    hub: Hub | None = None
    schools: list[tuple[int, School]] = []
    specialists: list[tuple[int, Specialist]] = []
    teachers: list[tuple[int, Teacher]] = []
    venues: list[tuple[int, Venue]] = []
    work_groups: list[tuple[int, WorkGroup]] = []
    pinned: list[tuple[int, Pin]] = []
    programmes: dict[str, ProgrammeDef] = {}
    raw_ids: set[str] = set()


def partial(raw: dict[str, Any]) -> _Partial:
    """What parsed of a broken instance, item by item, for `cross_reference_problems`."""
    part = _Partial()
    try:
        part.hub = Hub.model_validate(raw.get("hub"))
    except ValidationError:
        pass
    for key, model in (
        ("schools", School),
        ("specialists", Specialist),
        ("teachers", Teacher),
        ("venues", Venue),
        ("work_groups", WorkGroup),
        ("pinned", Pin),
    ):
        items = raw.get(key)
        if not isinstance(items, list):
            continue
        good = []
        for i, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                part.raw_ids.add(item["id"])
            try:
                good.append((i, TypeAdapter(model).validate_python(item)))
            except ValidationError:
                continue
        setattr(part, key, good)
    programmes = raw.get("programmes")
    for name, body in programmes.items() if isinstance(programmes, dict) else ():
        part.raw_ids.add(str(name))  # a programme that failed to parse is not also "unknown"
        try:
            part.programmes[str(name)] = ProgrammeDef.model_validate(body)
        except ValidationError:
            continue
    return part


def cross_reference_problems(inst: Instance | _Partial) -> list[Problem]:
    """Every reference between parts of the instance that does not hold."""
    if isinstance(inst, Instance):
        part = _Partial(
            hub=inst.hub,
            schools=list(enumerate(inst.schools)),
            specialists=list(enumerate(inst.specialists)),
            teachers=list(enumerate(inst.teachers)),
            venues=list(enumerate(inst.venues)),
            work_groups=list(enumerate(inst.work_groups)),
            pinned=list(enumerate(inst.pinned)),
            programmes=dict(inst.programmes),
        )
        complete = True
    else:
        part = inst
        complete = False
    problems: list[Problem] = []

    def missing(ident: str) -> bool:
        # In a broken file an id that exists but failed to parse is not reported twice.
        return complete or ident not in part.raw_ids

    schools = {s.id: s for _, s in part.schools}
    places = {*schools, *(v.id for _, v in part.venues)}  # where a session may be held
    specialists = {s.id: s for _, s in part.specialists}
    teachers = {t.id: t for _, t in part.teachers}
    wgs = {w.id: w for _, w in part.work_groups}

    owners: Counter[str] = Counter()
    for key in ID_LISTS:
        for _, item in getattr(part, key):
            owners[item.id] += 1
    first_seen: set[str] = set()
    for key in ID_LISTS:
        for i, item in getattr(part, key):
            if owners[item.id] > 1:
                if item.id in first_seen:
                    problems.append(
                        (
                            f"{key}[{i}].id",
                            f"'{item.id}' is used more than once; ids must be unique across the instance",
                        )
                    )
                first_seen.add(item.id)

    if part.hub and part.hub.tfm_lead and part.hub.tfm_lead not in specialists and missing(part.hub.tfm_lead):
        problems.append(
            (
                "hub.tfm_lead",
                f"'{part.hub.tfm_lead}' is not a specialist id; add them to specialists"
                + did_you_mean(part.hub.tfm_lead, specialists),
            )
        )

    for key, people in (("specialists", part.specialists), ("teachers", part.teachers)):
        for i, person in people:
            if person.school not in schools and missing(person.school):
                problems.append((f"{key}[{i}].school", unknown("school", person.school, schools)))

    problems += _programme_definition_problems(part.programmes)
    programmes = _usable_programmes(part.programmes)
    roles = {t.id: t.role for t in teachers.values()}
    for i, wg in part.work_groups:
        at = f"work_groups[{i}]"
        if wg.id == "hub":
            problems.append(
                (f"{at}.id", "'hub' is reserved for the hub's totals in costs.csv; choose another id")
            )
        programme = programmes.get(wg.programme)
        if programme is None and wg.programme not in part.programmes and missing(wg.programme):
            custom = ", ".join(p for p in part.programmes if p not in PROGRAMMES) or "none"
            problems.append(
                (
                    f"{at}.programme",
                    unknown(
                        "programme",
                        wg.programme,
                        [*PROGRAMMES, *part.programmes],
                        f"built-in: {', '.join(PROGRAMMES)}; defined under programmes: {custom}",
                    ),
                )
            )
        if wg.specialist not in specialists and missing(wg.specialist):
            problems.append((f"{at}.specialist", unknown("specialist", wg.specialist, specialists)))
        if wg.venue and wg.venue not in places and missing(wg.venue):
            problems.append((f"{at}.venue", unknown("school or venue", wg.venue, places)))
        for j, event in enumerate(wg.central_events):
            if event.venue and event.venue not in places and missing(event.venue):
                problems.append(
                    (
                        f"{at}.central_events[{j}].venue",
                        unknown("school or venue", event.venue, places, "add it to venues"),
                    )
                )
        seen_schools: set[str] = set()
        seen_teachers: set[str] = set()
        for j, ws in enumerate(wg.schools):
            sat = f"{at}.schools[{j}]"
            if ws.school in seen_schools:
                problems.append((f"{sat}.school", f"'{ws.school}' is listed twice in this Work Group"))
            seen_schools.add(ws.school)
            if ws.school not in schools and missing(ws.school):
                problems.append((f"{sat}.school", unknown("school", ws.school, schools)))
            named = [(f"{sat}.teachers[{k}]", t) for k, t in enumerate(ws.teachers)]
            if ws.headteacher:
                named.append((f"{sat}.headteacher", ws.headteacher))
            for path, tid in named:
                teacher = teachers.get(tid)
                if teacher is None:
                    if missing(tid):
                        problems.append((path, unknown("teacher", tid, teachers)))
                elif teacher.school != ws.school:
                    problems.append((path, f"teacher '{tid}' works at {teacher.school}, not {ws.school}"))
            for k, tid in enumerate(ws.teachers):
                if tid in seen_teachers:
                    problems.append((f"{sat}.teachers[{k}]", f"'{tid}' is listed twice in this Work Group"))
                seen_teachers.add(tid)
        if programme is not None:
            problems += [(f"{at}.{p}", m) for p, m in work_group_problems(wg.programme, programme, wg, roles)]
            if part.hub is not None and not part.hub.tfm_lead and _led_by_tfm_lead(programme, wg):
                problems.append(
                    (
                        "hub.tfm_lead",
                        f"{wg.id} has sessions the hub's TfM Lead leads (e.g. R13 headteachers' "
                        "meetings); set hub.tfm_lead",
                    )
                )

    for i, pin in part.pinned:
        at = f"pinned[{i}]"
        wg = wgs.get(pin.work_group)
        if wg is None:
            if missing(pin.work_group):
                problems.append((f"{at}.work_group", unknown("work group", pin.work_group, wgs)))
            continue
        programme = programmes.get(wg.programme)
        if pin.kind == "visit":
            wg_schools = [s.school for s in wg.schools]
            if pin.school is None:
                problems.append(
                    (f"{at}.school", f"a pinned visit names the visited school, one of {wg_schools}")
                )
            elif pin.school not in wg_schools:
                problems.append((f"{at}.school", f"'{pin.school}' is not a school of {wg.id} ({wg_schools})"))
        elif pin.school is not None:
            problems.append(
                (
                    f"{at}.school",
                    f"'{pin.school}': only a pinned visit names a school; remove it from this {pin.kind}",
                )
            )
        if pin.kind == "central":
            problems.append(
                (
                    f"{at}.kind",
                    "'central' cannot be pinned: central events are fixed already; list them under "
                    "the Work Group's central_events",
                )
            )
        elif programme is not None and pin.kind not in programme.streams:
            problems.append((f"{at}.kind", f"{wg.programme} has no '{pin.kind}' sessions"))
    return problems


ID_LISTS = ("schools", "specialists", "teachers", "venues", "work_groups")  # ids unique across these


def _programme_definition_problems(defined: dict[str, ProgrammeDef]) -> list[Problem]:
    """Instance-defined programmes that mean nothing, or take a built-in's name."""
    out: list[Problem] = []
    for name, pdef in defined.items():
        if name in PROGRAMMES:
            message = (
                f"'{name}' is a built-in programme; choose another name (a Work Group changes "
                "a built-in's numbers with params)"
            )
            out.append((f"programmes.{name}", message))
            continue
        out += [(f"programmes.{name}" + (f".{p}" if p else ""), m) for p, m in definition_problems(pdef)]
    return out


def _usable_programmes(defined: dict[str, ProgrammeDef]) -> dict[str, ProgrammeDef]:
    """Built-ins and the instance's sound definitions (a broken one is reported once, above)."""
    sound = {name: p for name, p in defined.items() if name not in PROGRAMMES and not definition_problems(p)}
    return {**PROGRAMMES, **sound}


def work_group_problems(name: str, pdef: ProgrammeDef, wg: WorkGroup, roles: dict[str, str]) -> list[Problem]:
    """A Work Group against its programme: numbers, the trainee, central events.

    `roles` maps teacher ids to their role. Paths are below the Work Group."""
    out = programme_problems(name, pdef, wg.params, len(wg.schools))
    if pdef.uses_role("trainee"):
        trainees = [t for ws in wg.schools for t in ws.teachers if roles.get(t) == "trainee"]
        if len(trainees) != 1:
            found = f"{len(trainees)} ({', '.join(trainees)})" if trainees else "none"
            out.append(
                (
                    "schools",
                    f"{name} is for one trainee: list exactly one teacher with role: trainee "
                    f"among the Work Group's teachers (found {found})",
                )
            )
    if not any(path.startswith("params") for path, _ in out):
        out += central_problems(name, pdef, wg.params, [(e.date, e.slot) for e in wg.central_events])
    return out


def _led_by_tfm_lead(programme: ProgrammeDef, wg: WorkGroup) -> bool:
    """Whether the WG has a stream the TfM Lead leads (an optional one only with its attendees)."""
    heads = any(ws.headteacher for ws in wg.schools)
    teachers = any(ws.teachers for ws in wg.schools)
    named = {"headteachers": heads, "teachers": teachers, "school-teachers": teachers, "trainee": teachers}
    return any(
        s.leader == "tfm-lead" and (not s.optional or any(named[r] for r in s.attendees))
        for s in programme.streams.values()
    )
