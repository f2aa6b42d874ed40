"""Load an instance file and report every problem in it at once.

Problems are `(path, message)` pairs where the path reads like the YAML a user wrote:
`work_groups[0].schools[1].teachers[0]`. Structure is checked by pydantic, then every
cross-reference by `cross_reference_problems`, item by item, so one bad school does not
hide a misspelt teacher elsewhere.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from .instance import (
    DATE_TAGS,
    Hub,
    Instance,
    Pin,
    School,
    Specialist,
    Teacher,
    Venue,
    WorkGroup,
)
from .limits import (
    MAX_FILE_BYTES,  # noqa: F401 - models.workbook reads the bound from here
    LimitError,
    check_file_size,
    key_text,
    load_yaml,
    one_line,
    raw_problems,
)
from .programmes import PROGRAMMES, ProgrammeDef, definition_problems, work_group_problems


class InstanceError(Exception):
    """An instance that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = [(one_line(path), one_line(message)) for path, message in problems]  # a line each
        super().__init__("\n".join(f"{p}: {m}" if p else m for p, m in problems))


def _limit_problem(path: Path, exc: LimitError) -> InstanceError:
    """A bound of models.limits crossed, as problems naming the field (or the file)."""
    return InstanceError([(where, m) if where else ("", f"{path}: {m}") for where, m in exc.problems])


def read_raw(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into plain data, or raise InstanceError. YAML is read as a
    stream and JSON walked, so a file beyond the bounds of models.limits stops early."""
    path = Path(path)
    try:
        check_file_size(path.stat().st_size)
        text = path.read_text(encoding="utf-8")
    except LimitError as exc:
        raise _limit_problem(path, exc) from None
    except FileNotFoundError:
        raise InstanceError([("", f"{path}: no such file")]) from None
    except IsADirectoryError:
        raise InstanceError([("", f"{path}: is a directory, not an instance file")]) from None
    except UnicodeDecodeError:
        raise InstanceError([("", f"{path}: not UTF-8 text; save it as UTF-8")]) from None
    except OSError as exc:
        raise InstanceError([("", f"{path}: cannot be read ({exc.strerror})")]) from None
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(text)
        else:
            raw = load_yaml(text)
    except LimitError as exc:
        raise _limit_problem(path, exc) from None
    except json.JSONDecodeError as exc:
        raise InstanceError([("", f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})")]) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InstanceError([("", f"{path}: not valid JSON ({exc})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "cannot be parsed"
        raise InstanceError([("", f"{path}: not valid YAML{where}: {problem}")]) from None
    except RecursionError:
        raise InstanceError([("", f"{path}: nested too deeply")]) from None
    if not isinstance(raw, dict):
        raise InstanceError([("", f"{path}: expected a mapping with name, hub, calendar, …")])
    return raw


def load_instance(path: str | Path) -> Instance:
    """Read and fully validate an instance: a YAML or JSON file, or a workbook (.xlsx, .xlsm)
    or folder of CSVs (models.workbook: problems then name sheet, row and column)."""
    if Path(path).is_dir() or Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods", ".numbers"):
        from .workbook import read_workbook  # openpyxl is loaded only for a workbook

        return read_workbook(path)
    return parse_instance(read_raw(path))


def _loc(loc: tuple) -> str:
    """A pydantic error location as the user wrote the field: `schools[1].closures[0]`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in DATE_TAGS:
            out += ("." if out else "") + ("from" if part == "from_" else key_text(part))
    return out


def _pydantic_problems(exc: ValidationError) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        path = _loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "invalid_key":  # the location ends with the key itself, not an index
            *parent, key = err["loc"]
            path = ".".join(x for x in (_loc(tuple(parent)), key_text(key)) if x)
            msg = "a key must be a field name, not a number, true/false or null"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field; check its spelling against CONTRACT.md"
        elif err["type"] == "string_pattern_mismatch":
            msg = "ids use lowercase letters, digits and '-' only (at most 64 characters)"
        elif err["type"].startswith("date"):
            msg = f"{msg}; write dates as YYYY-MM-DD"
        seen.setdefault(path, msg)  # one message per field
    return list(seen.items())


def parse_instance(raw: dict[str, Any]) -> Instance:
    """Validate plain data as an Instance, collecting every problem before raising. The
    bounds of models.limits come first: beyond them nothing else is looked at."""
    try:
        early = raw_problems(raw)
    except LimitError as exc:
        raise InstanceError(exc.problems) from None
    try:
        instance = Instance.model_validate(raw)
    except ValidationError as exc:
        problems = _pydantic_problems(exc)
        problems += cross_reference_problems(_partial(raw))
        raise InstanceError(_dedupe(_with_early(problems, early))) from None
    problems = _with_early(cross_reference_problems(instance), early)
    problems += window_problems(instance)
    if problems:
        raise InstanceError(problems)
    return instance


def window_problems(inst: Instance) -> list[tuple[str, str]]:
    """Work Group windows that miss the hub's year altogether."""
    start = min(t.start for t in inst.calendar.terms)
    end = max(t.end for t in inst.calendar.terms)
    out = []
    for i, wg in enumerate(inst.work_groups):
        lo, hi = wg.from_ or start, wg.to or end
        if hi < start or lo > end:
            out.append(
                (
                    f"work_groups[{i}].{'from' if lo > end else 'to'}",
                    f"the window {lo}..{hi} lies outside the hub's terms {start}..{end}",
                )
            )
    return out


def _with_early(problems: list[tuple[str, str]], early: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`early` (models.limits: clearer about what they catch) and then `problems` about
    other fields: one message per field."""
    named = {path for path, _ in early}
    return early + [p for p in problems if p[0] not in named]


def _dedupe(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(problems))


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


def _partial(raw: dict[str, Any]) -> _Partial:
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


def cross_reference_problems(inst: Instance | _Partial) -> list[tuple[str, str]]:
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
    problems: list[tuple[str, str]] = []

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
            ("hub.tfm_lead", f"'{part.hub.tfm_lead}' is not a specialist id; add them to specialists")
        )

    for key, people in (("specialists", part.specialists), ("teachers", part.teachers)):
        for i, person in people:
            if person.school not in schools and missing(person.school):
                problems.append((f"{key}[{i}].school", f"unknown school '{person.school}'"))

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
                    f"unknown programme '{wg.programme}'; built-in: {', '.join(PROGRAMMES)}; "
                    f"defined under programmes: {custom}",
                )
            )
        if wg.specialist not in specialists and missing(wg.specialist):
            problems.append((f"{at}.specialist", f"unknown specialist '{wg.specialist}'"))
        if wg.venue and wg.venue not in places and missing(wg.venue):
            problems.append((f"{at}.venue", f"unknown school or venue '{wg.venue}'"))
        for j, event in enumerate(wg.central_events):
            if event.venue and event.venue not in places and missing(event.venue):
                problems.append(
                    (
                        f"{at}.central_events[{j}].venue",
                        f"unknown school or venue '{event.venue}'; add it to venues",
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
                problems.append((f"{sat}.school", f"unknown school '{ws.school}'"))
            named = [(f"{sat}.teachers[{k}]", t) for k, t in enumerate(ws.teachers)]
            if ws.headteacher:
                named.append((f"{sat}.headteacher", ws.headteacher))
            for path, tid in named:
                teacher = teachers.get(tid)
                if teacher is None:
                    if missing(tid):
                        problems.append((path, f"unknown teacher '{tid}'"))
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
                problems.append((f"{at}.work_group", f"unknown work group '{pin.work_group}'"))
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
                (f"{at}.school", f"only a pinned visit names a school; remove it from this {pin.kind}")
            )
        if pin.kind == "central":
            problems.append(
                (
                    f"{at}.kind",
                    "central events are fixed already: list them under the Work Group's central_events",
                )
            )
        elif programme is not None and pin.kind not in programme.streams:
            problems.append((f"{at}.kind", f"{wg.programme} has no '{pin.kind}' sessions"))
    return problems


ID_LISTS = ("schools", "specialists", "teachers", "venues", "work_groups")  # ids unique across these


def _programme_definition_problems(defined: dict[str, ProgrammeDef]) -> list[tuple[str, str]]:
    """Instance-defined programmes that mean nothing, or clash with a built-in's name."""
    return [
        (f"programmes.{name}" + (f".{path}" if path else ""), message)
        for name, pdef in defined.items()
        for path, message in definition_problems(name, pdef)
    ]


def _usable_programmes(defined: dict[str, ProgrammeDef]) -> dict[str, ProgrammeDef]:
    """Built-ins and the instance's sound definitions (a broken one is reported once, above)."""
    sound = {
        name: p for name, p in defined.items() if name not in PROGRAMMES and not definition_problems(name, p)
    }
    return {**PROGRAMMES, **sound}


def _led_by_tfm_lead(programme: ProgrammeDef, wg: WorkGroup) -> bool:
    """Whether the WG has a stream the TfM Lead leads (an optional one only with its attendees)."""
    heads = any(ws.headteacher for ws in wg.schools)
    teachers = any(ws.teachers for ws in wg.schools)
    named = {"headteachers": heads, "teachers": teachers, "school-teachers": teachers, "trainee": teachers}
    return any(
        s.leader == "tfm-lead" and (not s.optional or any(named[r] for r in s.attendees))
        for s in programme.streams.values()
    )
