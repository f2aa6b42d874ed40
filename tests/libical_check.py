"""Check iCalendar files with libical: its parser and its RFC 5546 (iTIP) restriction check.

Run by the system python, which has libical's GObject introspection (Debian's
gir1.2-ical-3.0 and python3-gi); it imports nothing from hubplan or its virtualenv:

    /usr/bin/python3 tests/libical_check.py FILE...   # one line per problem; exit 1 if any
    /usr/bin/python3 tests/libical_check.py --probe   # exit 0 if libical can be loaded

Each file must parse into one VCALENDAR, hold no X-LIC-ERROR property (libical's mark for
anything it could not parse), pass `restriction_check` (which reads the calendar's METHOD,
PUBLISH for hubplan's feeds, and checks every component against RFC 5546's table for it),
and hold as many VEVENTs as the file has `BEGIN:VEVENT` lines. Exit 2: libical unavailable.

Debian's `ICal-3.0` typelib is the raw C binding and exposes no parser; the `Parser`,
`Component.new_from_string` and `restriction_check` API is libical-glib's `ICalGLib-3.0`.
"""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_UNAVAILABLE = 0, 1, 2


def load_libical():
    """libical's GObject API (ICalGLib 3.0); ImportError or ValueError if it is not installed."""
    import gi

    gi.require_version("ICalGLib", "3.0")
    from gi.repository import ICalGLib

    return ICalGLib


def _children(ical, component):
    """The direct subcomponents of `component`."""
    out = []
    child = component.get_first_component(ical.ComponentKind.ANY_COMPONENT)
    while child is not None:
        out.append(child)
        child = component.get_next_component(ical.ComponentKind.ANY_COMPONENT)
    return out


def _errors_of(ical, component) -> list[str]:
    """The X-LIC-ERROR messages on `component` itself, each with its error type."""
    kind = ical.PropertyKind.XLICERROR_PROPERTY
    messages = []
    prop = component.get_first_property(kind)
    while prop is not None:  # nothing else may touch the property iterator inside this loop
        param = prop.get_first_parameter(ical.ParameterKind.XLICERRORTYPE_PARAMETER)
        error_type = param.as_ical_string().partition("=")[2] if param is not None else "ERROR"
        messages.append(f"{error_type}: {prop.get_xlicerror()}")
        prop = component.get_next_property(kind)
    return messages


def _where(ical, component) -> str:
    name = ical.Component.kind_to_string(component.isa())
    uid = component.get_uid() if component.isa() == ical.ComponentKind.VEVENT_COMPONENT else None
    return f"{name} {uid}" if uid else name


def lic_errors(ical, component) -> list[str]:
    """Every X-LIC-ERROR in `component` and below, each named by where it is."""
    found = [f"{_where(ical, component)}: {m}" for m in _errors_of(ical, component)]
    for child in _children(ical, component):
        found += lic_errors(ical, child)
    return found


def check_text(ical, text: str) -> list[str]:
    """libical's complaints about one iCalendar text (empty when it passes)."""
    if "\x00" in text:  # libical reads C strings: it would stop there
        return ["holds a NUL character, which no iCalendar text may"]
    try:
        calendar = ical.Component.new_from_string(text)
    except TypeError:  # the binding's answer to a NULL component
        calendar = None
    if calendar is None:
        return ["libical cannot parse it"]
    if calendar.isa() == ical.ComponentKind.XROOT_COMPONENT:  # libical's wrapper for several
        kinds = [ical.Component.kind_to_string(c.isa()) for c in _children(ical, calendar)]
        return [f"{len(kinds)} top-level components ({', '.join(kinds)}), not one VCALENDAR"]
    if calendar.isa() != ical.ComponentKind.VCALENDAR_COMPONENT:
        return [f"top level is {ical.Component.kind_to_string(calendar.isa())}, not VCALENDAR"]
    passed = ical.restriction_check(calendar)  # adds an X-LIC-ERROR per failed restriction
    problems = lic_errors(ical, calendar)
    if not passed and not problems:
        problems.append("fails the RFC 5546 restrictions")
    lines = text.replace("\r\n", "\n").split("\n")
    events = calendar.count_components(ical.ComponentKind.VEVENT_COMPONENT)
    if lines.count("BEGIN:VEVENT") != events or lines.count("BEGIN:VCALENDAR") != 1:
        problems.append(
            f"libical sees {events} VEVENTs in one VCALENDAR; the file has "
            f"{lines.count('BEGIN:VEVENT')} BEGIN:VEVENT and {lines.count('BEGIN:VCALENDAR')} BEGIN:VCALENDAR lines"
        )
    return problems


def check_file(ical, path: str) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}: cannot be read as UTF-8 ({exc})"]
    return [f"{path}: {problem}" for problem in check_text(ical, text)]


def main(argv: list[str]) -> int:
    try:
        ical = load_libical()
    except (ImportError, ValueError) as exc:
        print(f"libical (ICalGLib 3.0) cannot be loaded: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if argv == ["--probe"]:
        return EXIT_OK
    if not argv:
        print("usage: libical_check.py FILE... | --probe", file=sys.stderr)
        return EXIT_UNAVAILABLE
    problems = [line for path in argv for line in check_file(ical, path)]
    for line in problems:
        print(line)
    return EXIT_PROBLEMS if problems else EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
