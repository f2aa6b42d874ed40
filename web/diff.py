"""What changed between two versions of a hub, in the coordinator's terms.

Schools, people (specialists and teachers), Work Groups and venues are matched by id: each
is added, removed, or changed field by field; the calendar (terms, closures, slot times) and
the other hub-wide settings are compared as a whole. A list of plain values (closures,
release days, a Work Group's teachers) says what was added and what removed; anything else
shows its old and new value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.instance import Instance

SECTIONS = (  # instance field, what one item is called, the area it is listed under
    ("schools", "school", "Schools"),
    ("specialists", "specialist", "People"),
    ("teachers", "teacher", "People"),
    ("work_groups", "Work Group", "Work Groups"),
    ("venues", "venue", "Schools"),
)
WHOLE = (
    ("calendar", "Dates"),
    ("hub", "Hub"),
    ("rates", "Hub"),
    ("max_same_day_km", "Hub"),
    ("pinned", "Dates"),
)
MAX_SHOWN = 6  # values listed in one line before "and N more"


@dataclass(frozen=True)
class Change:
    area: str  # Schools | People | Work Groups | Dates | Hub
    subject: str  # 'school oakfield (Oakfield School)'
    what: str  # 'added' | 'removed' | 'closures: added 2027-02-01'

    def as_dict(self) -> dict[str, str]:
        return {"area": self.area, "subject": self.subject, "what": self.what}


def _dump(value: Any) -> Any:
    return (
        value.model_dump(mode="json", by_alias=True, exclude_unset=True)
        if hasattr(value, "model_dump")
        else value
    )


def _text(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"from", "to"}:
            return f"{value['from']}..{value['to']}"
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return "none" if value is None else str(value)


def _listing(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_SHOWN])
    return shown + (f" and {len(values) - MAX_SHOWN} more" if len(values) > MAX_SHOWN else "")


def _keyed(items: object) -> str | None:
    """The key that names each item of a list of records (a Work Group's `school`), if any."""
    if not isinstance(items, list) or not items or not all(isinstance(x, dict) for x in items):
        return None
    return next((k for k in ("id", "school") if all(k in x for x in items)), None)


def field_changes(old: dict, new: dict) -> list[str]:
    """'field: old → new' or 'field: added …; removed …' for each field that differs; a
    list of records with ids (a Work Group's schools) is compared record by record."""
    out = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        name = _keyed(a) if _keyed(a) == _keyed(b) else None
        if name:
            before, after = {x[name]: x for x in a}, {x[name]: x for x in b}
            for k in [*before, *(k for k in after if k not in before)]:
                if k not in after:
                    out.append(f"{key}: removed {k}")
                elif k not in before:
                    out.append(f"{key}: added {k}")
                else:
                    out.extend(f"{key}[{k}].{line}" for line in field_changes(before[k], after[k]))
            continue
        if (
            isinstance(a, list)
            and isinstance(b, list)
            or (a is None and isinstance(b, list))
            or (b is None and isinstance(a, list))
        ):
            before, after = [_text(x) for x in a or []], [_text(x) for x in b or []]
            added = [x for x in after if x not in before]
            removed = [x for x in before if x not in after]
            parts = ([f"added {_listing(added)}"] if added else []) + (
                [f"removed {_listing(removed)}"] if removed else []
            )
            out.append(f"{key}: " + ("; ".join(parts) or "reordered"))
        else:
            out.append(f"{key}: {_text(a)} → {_text(b)}")
    return out


def version_changes(old: Instance | None, new: Instance) -> list[Change]:
    """Every difference from `old` to `new` (nothing for a first version)."""
    if old is None:
        return []
    out: list[Change] = []
    for field, noun, area in SECTIONS:
        before = {x.id: _dump(x) for x in getattr(old, field)}
        after = {x.id: _dump(x) for x in getattr(new, field)}
        for key in [*before, *(k for k in after if k not in before)]:
            item = after.get(key) or before[key]
            subject = f"{noun} {key}" + (f" ({item['name']})" if item.get("name") else "")
            if key not in after:
                out.append(Change(area, subject, "removed"))
            elif key not in before:
                out.append(Change(area, subject, "added"))
            else:
                out.extend(Change(area, subject, line) for line in field_changes(before[key], after[key]))
    for field, area in WHOLE:
        a, b = _dump(getattr(old, field)), _dump(getattr(new, field))
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(Change(area, field, line) for line in field_changes(a, b))
        else:
            out.extend(Change(area, "hub", line) for line in field_changes({field: a}, {field: b}))
    return out
