"""Load an instance and report every problem in it at once.

Problems are `(path, message)` pairs where the path reads like the YAML a user wrote,
`work_groups[0].schools[1].teachers[0]`, and the message quotes the value that is wrong
and says what would be right. Structure is checked by pydantic, whose messages are
rewritten here in those terms (`_message`), then every cross-reference
(models.references). A workbook or folder of CSVs is read as raw data by models.workbook,
checked the same way, and each problem is then named by its sheet, row and column.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .instance import DATE_TAGS, EMAIL_PATTERN, ID_PATTERN, Instance, Strict
from .limits import LimitError, check_file, key_text, limit_error, load_yaml, raw_problems
from .problems import InstanceError, Problem, did_you_mean, file_error, quoted
from .programmes import ProgrammeDef, StreamDef
from .programmes.definition import PARAM_NAME
from .references import cross_reference_problems, partial

WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")  # spreadsheets: read (or refused) as workbooks


def read_raw(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into plain data, or raise InstanceError. YAML is read as a
    stream and JSON walked, so a file beyond the bounds of models.limits stops early."""
    path = Path(path)
    check_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise file_error(path, "is a directory, not an instance file") from None
    except UnicodeDecodeError:
        raise file_error(path, "not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise file_error(path, f"cannot be read ({exc.strerror})") from None
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(text)
        else:
            raw = load_yaml(text)
    except LimitError as exc:
        raise limit_error(path, exc) from None
    except json.JSONDecodeError as exc:
        raise file_error(path, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise file_error(path, f"not valid JSON ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "cannot be parsed"
        raise file_error(path, f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise file_error(path, "nested too deeply") from None
    if not isinstance(raw, dict):
        raise file_error(path, "expected a mapping with name, hub, calendar, …")
    return raw


def load_instance(path: str | Path) -> Instance:
    """Read and fully validate an instance: a YAML or JSON file, or a workbook (.xlsx, .xlsm)
    or folder of CSVs, whose problems then name sheet, row and column."""
    if Path(path).is_dir() or Path(path).suffix.lower() in WORKBOOKS:
        return _load_workbook(path)
    return parse_instance(read_raw(path))


def _load_workbook(path: str | Path) -> Instance:
    from .workbook import read_workbook  # openpyxl (0.12 s to import) only for a workbook

    book = read_workbook(path)
    instance, problems = None, []
    try:
        instance = parse_instance(book.raw)
    except InstanceError as exc:
        problems = exc.problems
    located = book.in_cells(problems)
    if located or instance is None:
        raise InstanceError(located)
    return instance


def parse_instance(raw: dict[str, Any]) -> Instance:
    """Validate plain data as an Instance, collecting every problem before raising. The
    bounds of models.limits come first: beyond them nothing else is looked at."""
    if not isinstance(raw, dict):
        raise InstanceError([("", f"{quoted(raw)} is not an instance: expected a mapping with name, hub, …")])
    try:
        early = raw_problems(raw)
    except LimitError as exc:
        raise InstanceError(exc.problems) from None
    try:
        instance = Instance.model_validate(raw)
    except ValidationError as exc:
        problems = _pydantic_problems(exc)
        problems += cross_reference_problems(partial(raw))
        raise InstanceError(_dedupe(_with_early(problems, early))) from None
    problems = _with_early(cross_reference_problems(instance), early)
    problems += window_problems(instance)
    if problems:
        raise InstanceError(problems)
    return instance


def window_problems(inst: Instance) -> list[Problem]:
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


def _with_early(problems: list[Problem], early: list[Problem]) -> list[Problem]:
    """`early` (models.limits: clearer about what they catch) and then `problems` about
    other fields: one message per field."""
    named = {path for path, _ in early}
    return early + [p for p in problems if p[0] not in named]


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------- pydantic's messages

# What a field of fixed choices holds, by its name (a dict key by its dict's): the noun of
# "'tues' is not a weekday; use mon, tue, wed, thu or fri".
CHOICE_NOUNS = {
    "release_days": "weekday",
    "works": "weekday",
    "prefer_days": "weekday",
    "slot": "slot",
    "slots": "slot",
    "phase": "phase",
    "role": "role",
    "kind": "session kind",
    "streams": "session kind",
    "after": "session kind",
    "name": "term",
    "timezone": "supported time zone",
    "bank_holidays": "bank holiday calendar",
    "leader": "leader",
    "attendees": "attendee role",
    "venue": "venue of a stream",
}
# Text a pattern checks: (what it is, what it may hold).
PATTERNS = {
    ID_PATTERN: ("an id", "lowercase letters, digits and '-'"),
    EMAIL_PATTERN: ("an e-mail address", "like name@example.org"),
    PARAM_NAME: ("a parameter name", "lowercase letters, digits and '_'"),
}
KEY = "[key]"  # pydantic's last step of a location when a dict key, not its value, is wrong


def _models(model: type[BaseModel]) -> set[type[BaseModel]]:
    return {model}.union(*(_models(m) for m in model.__subclasses__()))


# Every field name of the format, for "did you mean" under an unknown field.
FIELD_NAMES = sorted(
    {
        f.alias or name
        for model in (*_models(Strict), ProgrammeDef, StreamDef)
        for name, f in model.model_fields.items()
    }
)


def _loc(loc: tuple) -> str:
    """A pydantic error location as the user wrote the field: `schools[1].closures[0]`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in DATE_TAGS and part != KEY:
            out += ("." if out else "") + ("from" if part == "from_" else key_text(part))
    return out


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    seen: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        *parent, last = err["loc"] or (None,)
        if err["type"] == "invalid_key":  # the location ends with the key itself, not an index
            path = ".".join(x for x in (_loc(tuple(parent)), key_text(last)) if x)
        elif err["type"] == "missing" and isinstance(last, int):  # a pair given one value
            path = _loc(tuple(parent))
        else:
            path = _loc(err["loc"])
        seen.setdefault(path, _message(err))  # one message per field
    return list(seen.items())


def _message(err: Any) -> str:
    """pydantic's error as a user's message: the value quoted, and what would be right."""
    kind, value = err["type"], err.get("input")
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (err.get("ctx") or {}).items()}
    said = quoted(value)
    names = [p for p in err["loc"] if isinstance(p, str) and p not in DATE_TAGS]
    if kind == "literal_error":
        field = names[-3] if names[-1] == KEY else names[-1]  # a key: its dict's name
        noun = CHOICE_NOUNS.get(field, "allowed value")
        choices = ctx["expected"].replace("'", "")  # pydantic's "'am', 'pm' or 'day'"
        return f"{said} is not {_a(noun)}; use {choices}"
    if kind.startswith("date"):
        form = isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value.strip())
        return f"{said} is not a date" + ("" if form else "; write dates as YYYY-MM-DD")
    if kind == "string_pattern_mismatch":
        what, holds = PATTERNS.get(ctx["pattern"], ("allowed here", "see CONTRACT.md"))
        long = ", at most 64 characters" if what == "an id" and len(str(value)) > 64 else ""
        return f"{said} is not {what} ({holds}{long})"
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        hint = did_you_mean(key, FIELD_NAMES) or "; check its spelling against CONTRACT.md"
        return f"unknown field {quoted(key)}{hint}"
    if kind == "invalid_key":
        return (
            f"{quoted(err['loc'][-1])} is not a field name; a key is a name, not a number, true/false or null"
        )
    if kind == "missing":
        if isinstance(err["loc"][-1], int):
            return f"{said} is too short; write [first, last]"
        return "missing; this field is required"
    if value is None and kind.endswith("_type"):
        return "null is not allowed here; write a value"
    if kind == "value_error":  # the models' own validators, which quote the value themselves
        return err["msg"].removeprefix("Value error, ")
    return f"{said} {_RULES[kind].format(**ctx)}" if kind in _RULES else f"{said}: {err['msg']}"


_RULES = {
    "int_from_float": "is not a whole number",
    "int_parsing": "is not a whole number",
    "int_type": "is not a whole number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "finite_number": "is not a finite number",
    "greater_than_equal": "is too small; use {ge} or more",
    "greater_than": "is too small; use more than {gt}",
    "less_than_equal": "is too large; use {le} or less",
    "less_than": "is too large; use less than {lt}",
    "bool_parsing": "is not true or false",
    "bool_type": "is not true or false",
    "string_type": "is not text; put it in quotes",
    "string_too_long": "is longer than {max_length} characters; shorten it",
    "list_type": "is not a list; write [first, second, …]",
    "tuple_type": "is not a pair; write [first, last]",
    "too_short": "has {actual_length} items; at least {min_length} needed",
    "too_long": "has {actual_length} items; list at most {max_length}",
    "dict_type": "is not a mapping; write {{name: value, …}}",
    "model_type": "is not a mapping; write {{field: value, …}}",
    "model_attributes_type": "is not a mapping; write {{field: value, …}}",
}


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun
