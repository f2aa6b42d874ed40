"""Instances written as YAML the way a person writes them: the one dumper behind both
`hubplan import` (`instance_yaml`) and `hubplan generate`.

Block style for structure, lists indented under their key, a record of plain values on one
line as the bundled instances write it (`{id: oakfield, name: Oakfield School}`,
`[mon, tue]`), dates as YYYY-MM-DD, and no anchors: every school's terms are its own. It
comes in two measures. An imported instance, a hub's worth of records, puts every record
of plain values on one line (lines wrap at 100). A generated hub has thousands of records,
so a record goes on one line only while it stays short, and may then hold small records
such as `{lat, lon}` (lines wrap at 160).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .instance import Instance
from .text import clean_text


@dataclass(frozen=True)
class Measure:
    width: int  # where a long line wraps
    one_line: int | None  # a record goes on one line only when about this short; None: always
    nested: bool  # a record on one line may hold small records (of at most 4 fields)


IMPORTED = Measure(width=100, one_line=None, nested=False)
GENERATED = Measure(width=160, one_line=110, nested=True)


class _Dumper(yaml.SafeDumper):
    measure: Measure = IMPORTED

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _plain(value: Any, nested: bool) -> bool:
    """A scalar, a list of plain values, or (nested) a small record of them."""
    if isinstance(value, dict):
        return nested and len(value) <= 4 and all(_plain(v, nested) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v, nested) for v in value)
    return True


def _flat_length(value: Any) -> int:
    """About how many characters `value` takes in YAML flow style."""
    if isinstance(value, dict):
        return 2 + sum(len(str(k)) + 4 + _flat_length(v) for k, v in value.items())
    if isinstance(value, list):
        return 2 + sum(2 + _flat_length(v) for v in value)
    return len(str(value))


def _represent_dict(dumper: _Dumper, data: dict[str, Any]) -> yaml.Node:
    m = dumper.measure
    flow = all(_plain(v, m.nested) for v in data.values()) and (
        m.one_line is None or _flat_length(data) <= m.one_line
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_list(dumper: _Dumper, data: list[Any]) -> yaml.Node:
    flow = not any(isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: Any, measure: Measure) -> str:
    """`data` (plain dicts, lists, scalars and dates) in hubplan's YAML style."""
    dumper = type("Dumper", (_Dumper,), {"measure": measure})
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=measure.width)


def _as_written(value: Any) -> Any:
    """Dumped model data as a person writes it: lists for tuples, 10 for 10.0."""
    if isinstance(value, dict):
        return {k: _as_written(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_written(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def instance_yaml(instance: Instance, source: str = "") -> str:
    """The instance file `hubplan import` writes: the fields `instance` was given, in the
    model's order, a blank line between top-level keys; the same instance, the same text."""
    data = _as_written(instance.model_dump(by_alias=True, exclude_unset=True))
    text = re.sub(r"\n(?=[a-z_]+:)", "\n\n", dump_yaml(data, IMPORTED))
    origin = f" from {clean_text(source)}" if source else ""
    return f"# Written by `hubplan import`{origin}.\n{text}"
