"""Bounds on one instance, enforced while the file is read and before pydantic sees it.

England has about 40 Maths Hubs (DOMAIN.md) and a typical hub plans ~43 Work Groups with
~265 schools, ~530 teachers and ~26 specialists (`scheduler/operations/generate`), so every Work
Group in the country is ~1,700 of them, ~10,600 schools, ~21,000 teachers, ~1,000
specialists: ~8.5 MB of YAML. The bounds are three to six times that, in round numbers:

| what | bound | national scale |
|---|---|---|
| file | 50 MiB | ~8.5 MB |
| `work_groups` | 5,000 | ~1,700 |
| `schools` | 50,000 | ~10,600 (England has ~24,000 schools in all) |
| `teachers` | 100,000 | ~21,000 |
| `specialists` | 5,000 | ~1,000 |
| `pinned` | 100,000 | ~20 sessions per Work Group |
| any other list | 1,000 | a year has 366 dates |
| keys of one mapping | 200 | `params` has a handful |
| text | 1,000 characters | names are at most 200 |
| nesting | 10 levels | a valid instance nests 6 |
| values, YAML aliases expanded | 10,000,000 | ~1,500,000 (a school with its own terms is ~100) |
| dates | years 2000–2100 | one school year |

Why a stream: PyYAML composes a whole file into a node graph first, ~55 bytes of memory per
byte of file (470 MB for the national 8.5 MB) at ~2 s per MB, and libyaml's composer
recurses, so deep nesting crashes the process. libyaml's *parser* is iterative and cheap
(~0.3 s per MB), so `load_yaml` builds plain data from its events here and the first bound
crossed stops the read: a 10× national file fails in a moment, whatever it holds.
`raw_problems` walks data from anywhere (JSON, a workbook, a test) through the same bounds,
and refuses the values pydantic would crash on or let through: lone surrogates, NaN and
infinity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from .problems import InstanceError, file_error, quoted

MAX_FILE_BYTES = 50 * 2**20
MAX_DEPTH = 10
MAX_TEXT = 1_000
MAX_KEYS = 200
MAX_ITEMS = 1_000
MAX_VALUES = 10_000_000
FIRST_YEAR, LAST_YEAR = 2000, 2100

# Top-level lists: (bound, what they hold, about how many every hub in England has).
TOP_LEVEL_ITEMS: dict[str, tuple[int, str, int]] = {
    "work_groups": (5_000, "Work Groups", 1_700),
    "schools": (50_000, "schools", 10_600),
    "teachers": (100_000, "teachers", 21_000),
    "specialists": (5_000, "specialists", 1_000),
    "pinned": (100_000, "pinned sessions", 34_000),
}
DATE_FIELDS = frozenset({"start", "end", "from", "to", "date"})
DATE_LISTS = frozenset({"closures", "unavailable", "prefer_dates", "half_term"})
_YEAR = re.compile(r"\s*([+-]?\d+)-")
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE = "contains a lone surrogate (\\ud800–\\udfff), which is not a character; remove it"
NOT_FINITE = "is not a finite number; write a number (no limit is null in [min, null])"
FATAL = (SURROGATE, NOT_FINITE)  # problems that stop the checks: pydantic would crash

Path = tuple[Any, ...]
Problem = tuple[str, str]


class LimitError(Exception):
    """Data hubplan will not look further into: a bound crossed, or text no file can hold.
    `problems` are (path, message) pairs as everywhere else; a path is empty for the file."""

    def __init__(self, path: str, message: str, more: list[Problem] | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.problems: list[Problem] = [(path, message), *(more or [])]


def key_text(key: object) -> str:
    """A mapping key as one step of a field path: as written when it is a plain name, else
    quoted with escapes, so that no key can break a problem's line or fake a path."""
    text = str(key)
    plain = bool(text) and text.isprintable() and text.strip() == text and not any(c in text for c in ".[]'")
    return text if plain else repr(text)


def field_path(path: Path) -> str:
    """`("schools", 1, "closures", 0)` as the user wrote it: `schools[1].closures[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + key_text(part)
    return out


# --------------------------------------------------------------------------- the bounds


def limit_error(path: FilePath, exc: LimitError) -> InstanceError:
    """A bound of models.limits crossed, as problems naming the field (or the file)."""
    return InstanceError([(at, m) if at else ("", f"{path}: {m}") for at, m in exc.problems])


def check_file(path: FilePath) -> None:
    """InstanceError unless `path` is a file hubplan may read: there, readable, and within
    the size models.limits allows (checked before a byte is read)."""
    try:
        check_file_size(path.stat().st_size)
    except LimitError as exc:
        raise limit_error(path, exc) from None
    except FileNotFoundError:
        raise file_error(path, "no such file") from None
    except OSError as exc:
        raise file_error(path, f"cannot be read ({exc.strerror})") from None


def check_file_size(size: int) -> None:
    """Raise LimitError for a file too large to read."""
    if size > MAX_FILE_BYTES:
        raise LimitError(
            "",
            f"{size / 2**20:,.1f} MiB; an instance file may be at most {MAX_FILE_BYTES // 2**20} MiB "
            "(about 6× every Work Group in England); split it into several instances",
        )


def check_items(path: Path, count: int) -> None:
    """Raise LimitError when the list at `path` holds more than its bound."""
    bound = _items_bound(path)
    if count <= bound:
        return
    if bound == MAX_ITEMS:
        raise LimitError(
            field_path(path), f"more than {MAX_ITEMS:,} items; a list holds at most {MAX_ITEMS:,}"
        )
    _, what, national = TOP_LEVEL_ITEMS[path[0]]
    raise LimitError(
        field_path(path),
        f"more than {bound:,} {what}; one instance holds at most {bound:,} (all of England's hubs "
        f"have about {national:,}); split it into several instances",
    )


def check_keys(path: Path, count: int) -> None:
    """Raise LimitError when the mapping at `path` has more keys than any field needs."""
    if count > MAX_KEYS:
        raise LimitError(
            field_path(path), f"more than {MAX_KEYS:,} keys; a mapping holds at most {MAX_KEYS:,}"
        )


def check_text(path: Path, text: str) -> None:
    """Raise LimitError for text longer than any field takes."""
    if len(text) > MAX_TEXT:
        raise LimitError(
            field_path(path),
            f"{quoted(text)} is {len(text):,} characters long; text may be at most {MAX_TEXT:,} characters",
        )


def check_depth(path: Path, depth: int) -> None:
    """Raise LimitError for a list or mapping nested deeper than any field is."""
    if depth > MAX_DEPTH:
        raise LimitError(
            field_path(path),
            f"nested more than {MAX_DEPTH} levels deep; no field of an instance nests that deep",
        )


def check_values(count: int) -> None:
    """Raise LimitError when the data holds too many values (YAML aliases expanded)."""
    if count > MAX_VALUES:
        raise LimitError(
            "", f"more than {MAX_VALUES:,} values once YAML aliases are expanded; simplify the file"
        )


# --------------------------------------------------------------------------- plain data


def raw_problems(data: Any) -> list[Problem]:
    """Walk parsed data through the bounds (LimitError at the first crossed) and list what
    pydantic would not name: dates outside FIRST_YEAR–LAST_YEAR and numbers given as dates.
    Lone surrogates (no file can hold them as text, and pydantic's patterns crash on them) and
    NaN or infinity (which slip through numeric checks) raise LimitError with every problem."""
    problems: list[Problem] = []
    for count, (path, value) in enumerate(_walk(data), start=1):
        check_values(count)
        if isinstance(value, str):
            problems += _text_problems(path, value)
        elif isinstance(value, dict):
            check_keys(path, len(value))
            for key in value:
                if isinstance(key, str):
                    problems += _text_problems(path + (key,), key)
            problems += _date_problems(path, value)
        elif isinstance(value, list):
            check_items(path, len(value))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append((field_path(path), f"{value!r} {NOT_FINITE}"))
    if any(message.endswith(FATAL) for _, message in problems):
        raise LimitError(*problems[0], problems[1:])
    return problems


def _walk(data: Any) -> Iterator[tuple[Path, Any]]:
    """Every value in `data` with its path, depth-first, without recursion (depth checked)."""
    stack: list[tuple[Path, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, (dict, list)):
            check_depth(path, len(path) + 1)
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            stack += [(path + (k,), v) for k, v in pairs]


def _text_problems(path: Path, text: str) -> list[Problem]:
    check_text(path, text)
    return [(field_path(path), SURROGATE)] if _SURROGATE.search(text) else []


def _date_problems(path: Path, mapping: dict) -> list[Problem]:
    """Dates in this mapping's date fields (and date lists) outside the years hubplan plans."""
    found: list[Problem] = []
    for key, value in mapping.items():
        if key in DATE_FIELDS:
            found += _date_problem(path + (key,), value)
        elif key in DATE_LISTS and isinstance(value, list):
            for i, item in enumerate(value):
                found += _date_problem(path + (key, i), item)
    return found


def _date_problem(path: Path, value: Any) -> list[Problem]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [(field_path(path), f"{value!r} is a number; write dates as YYYY-MM-DD")]
    match = _YEAR.match(value) if isinstance(value, str) else None
    if match and not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        return [
            (field_path(path), f"'{value}': hubplan plans years {FIRST_YEAR}–{LAST_YEAR}; check the year")
        ]
    return []


# --------------------------------------------------------------------------- YAML


class _Scalars(SafeConstructor, Resolver):
    """Resolves and builds one scalar exactly as yaml.SafeLoader would, except that dates
    stay text, so pydantic reports an impossible date by field."""


_Scalars.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in Resolver.yaml_implicit_resolvers.items()
}

if yaml.__with_libyaml__:

    class _Events(yaml.cyaml.CParser):
        """libyaml's parser: events only, no node graph."""

else:  # pragma: no cover - PyYAML without libyaml

    class _Events(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        """PyYAML's own parser: events only, no node graph."""

        def __init__(self, stream: str):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_VALUE_TAG = "tag:yaml.org,2002:value"  # a plain `=`, which PyYAML cannot build: text here
# The scalar tags a file may name (`!!int 3`); PyYAML's constructors for the others, or for
# these on a malformed value, fail with anything from KeyError to a generator.
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null"))
_NO_KEY = object()  # a mapping waiting for its next key
_MERGE = object()  # the `<<` key of a YAML merge


@dataclass(slots=True)
class _Open:
    """A list or mapping being built."""

    value: list | dict
    path: Path
    anchor: str | None
    bound: int  # most items (list) or keys (mapping) it may hold
    size: int = 1  # values inside, aliases expanded, itself included
    key: Any = _NO_KEY  # a mapping's key whose value comes next
    merges: list[dict] = field(default_factory=list)  # `<<` mappings, strongest first


def load_yaml(text: str) -> Any:
    """Plain data from one YAML document, like yaml.load with a SafeLoader that keeps dates
    as text, built from parser events so that the first bound crossed stops the read
    (LimitError). Malformed YAML raises yaml.YAMLError with a mark, as yaml.load does."""
    events = _Events(text)
    try:
        builder = _Builder()
        handlers = builder.handlers()
        while (event := events.get_event()) is not None:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
        return builder.result
    finally:
        events.dispose()


class _Builder:
    """Turns parser events into dicts, lists and scalars, counting against the bounds."""

    def __init__(self) -> None:
        self.scalars = _Scalars()
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.values = 0
        self.documents = 0
        self.result: Any = None

    def handlers(self) -> dict[type, Any]:
        """The method for each kind of parser event (stream and document ends need none)."""
        return {
            yaml.ScalarEvent: self._scalar,
            yaml.MappingStartEvent: self._open,
            yaml.SequenceStartEvent: self._open,
            yaml.MappingEndEvent: self._close,
            yaml.SequenceEndEvent: self._close,
            yaml.AliasEvent: self._alias,
            yaml.DocumentStartEvent: self._document,
        }

    def _document(self, event: yaml.DocumentStartEvent) -> None:
        self.documents += 1
        if self.documents > 1:
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                None,
                "but found another document",
                event.start_mark,
            )

    def _next_path(self) -> Path:
        """The path of the value about to be added."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return top.path + (len(top.value),)
        return top.path + ("?" if top.key is _NO_KEY or top.key is _MERGE else top.key,)

    def _at_key(self) -> bool:
        """Whether the next value is a mapping's key."""
        return bool(self.stack) and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is _NO_KEY

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        text = event.value
        if len(text) > MAX_TEXT:
            check_text(self._next_path(), text)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.scalars.resolve(yaml.ScalarNode, text, event.implicit)
        if tag in (_STR_TAG, _VALUE_TAG):
            value: Any = text
        elif tag == _MERGE_TAG and self._at_key():
            value = _MERGE
        else:
            value = self._construct(tag, event)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        self._add(value, 1, event)

    def _construct(self, tag: str, event: yaml.ScalarEvent) -> Any:
        """A scalar of one of _SCALAR_TAGS, or ConstructorError at its place in the file."""
        if tag not in _SCALAR_TAGS:
            raise ConstructorError(None, None, f"the tag {tag!r} is not allowed here", event.start_mark)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.scalars.yaml_constructors[tag](self.scalars, node)
        except (ValueError, LookupError, AttributeError):
            what = tag.rsplit(":", 1)[-1]
            raise ConstructorError(
                None, None, f"{event.value!r} is not a valid {what}", event.start_mark
            ) from None

    def _open(self, event: yaml.CollectionStartEvent) -> None:
        mapping = isinstance(event, yaml.MappingStartEvent)
        allowed = "tag:yaml.org,2002:map" if mapping else "tag:yaml.org,2002:seq"
        if event.tag not in (None, "!", allowed):
            raise ConstructorError(None, None, f"the tag {event.tag!r} is not allowed here", event.start_mark)
        path = self._next_path()
        check_depth(path, len(self.stack) + 1)
        bound = MAX_KEYS if mapping else _items_bound(path)
        self.stack.append(_Open({} if mapping else [], path, event.anchor, bound))

    def _close(self, event: yaml.CollectionEndEvent) -> None:
        done = self.stack.pop()
        value = done.value
        if done.merges:
            merged: dict = {}
            for extra in reversed(done.merges):
                merged.update(extra)
            merged.update(value)
            value = merged
        if done.anchor is not None:
            self.anchors[done.anchor] = (value, done.size)
        self._add(value, done.size, event)

    def _alias(self, event: yaml.AliasEvent) -> None:
        if any(frame.anchor == event.anchor for frame in self.stack):
            raise yaml.composer.ComposerError(
                None, None, f"the alias *{event.anchor} is inside the collection it names", event.start_mark
            )
        if event.anchor not in self.anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        value, size = self.anchors[event.anchor]
        self._add(value, size, event)

    def _add(self, value: Any, size: int, event: yaml.Event) -> None:
        """Put a finished value into the collection being built (or make it the result)."""
        self.values += size
        if self.values > MAX_VALUES:
            check_values(self.values)
        if not self.stack:
            self.result = value
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            if len(top.value) >= top.bound:
                check_items(top.path, len(top.value) + 1)
            top.value.append(value)
        elif top.key is _NO_KEY:
            self._set_key(top, value, event)
        else:
            self._set_value(top, value, event)

    @staticmethod
    def _set_key(top: _Open, key: Any, event: yaml.Event) -> None:
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                "while constructing a mapping", None, "found unhashable key", event.start_mark
            ) from None
        top.key = key

    @staticmethod
    def _set_value(top: _Open, value: Any, event: yaml.Event) -> None:
        key, top.key = top.key, _NO_KEY
        if key is not _MERGE:
            top.value[key] = value
            if len(top.value) > top.bound:
                check_keys(top.path, len(top.value))
            return
        extras = value if isinstance(value, list) else [value]
        if not all(isinstance(extra, dict) for extra in extras):
            raise ConstructorError(
                "while constructing a mapping",
                None,
                "a merge (<<) takes a mapping or a list of mappings",
                event.start_mark,
            )
        top.merges += extras


def _items_bound(path: Path) -> int:
    """How many items the list at `path` may hold."""
    if len(path) == 1 and path[0] in TOP_LEVEL_ITEMS:
        return TOP_LEVEL_ITEMS[path[0]][0]
    return MAX_ITEMS
