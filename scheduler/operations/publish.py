"""Publish the calendar feeds of a `solve` output folder to a CalDAV server (`hubplan publish`).

Each feed (`calendars/<folder>/<id>.ics`) becomes one calendar collection named
`<folder>-<id>` under the user's calendar home, shown by the feed's X-WR-CALNAME (or NAME).
Each event of the feed becomes one resource `<UID-safe>.ics` holding a VCALENDAR with the
VEVENT(s) of that UID and the VTIMEZONEs they use; METHOD is left out, as RFC 4791 4.1
requires of a calendar object resource.

Publishing *synchronises*: an event already on the server under its UID is replaced in
place when its content differs (the event goes up as the feed has it, SEQUENCE included:
the client never bumps it), left alone when its content is the same,
and an event no longer in the feed is deleted. A re-planned feed lists a dropped session
as STATUS:CANCELLED, and that is uploaded as it is, so subscribers see it cancelled; only
what has gone from the feed altogether is deleted. Content is compared, not bytes: servers
re-serialise what they store, so both sides are parsed and their components compared
property by property. Publishing the same folder twice therefore writes nothing.

The `caldav` library does discovery (principal, calendar home), authentication, MKCALENDAR,
PROPPATCH and the calendar-query REPORT that lists what a collection holds. Events are
written with the client's own PUT and DELETE rather than `Event.save()`: `save()`
re-serialises the event and adds one to its SEQUENCE unless told not to, and with
`no_overwrite` it searches the collection for the UID before every PUT, which the listing
has already answered. A new resource goes up with `If-None-Match: *`, an update and a
delete with `If-Match` and the ETag just read, so a change made meanwhile by someone else
is reported as rejected, never silently overwritten.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import icalendar

from models.text import clean_text

try:  # the optional extra hubplan[caldav]: only publishing needs it, and says so without it
    import caldav
    from caldav.elements import dav
    from caldav.lib.error import AuthorizationError, DAVError
    from caldav.response import DAVResponse
except ModuleNotFoundError:
    caldav = None

FEED_FOLDERS = ("specialists", "teachers", "schools", "work-groups")
FEED_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")  # no dot-file, no path
CALENDAR_PROPERTIES = ("PRODID", "VERSION", "CALSCALE")  # copied from the feed into each resource
DEFAULT_TIMEOUT = 30.0
ICAL_TYPE = "text/calendar; charset=utf-8"
EXIT_OK, EXIT_REJECTED = 0, 1  # and 2 (PublishError) for invalid input, as every command
NO_CALDAV = "publishing needs the CalDAV client, an optional extra: pip install 'hubplan[caldav]'"


class PublishError(Exception):
    """Input that cannot be published or a server that cannot be used: one line, exit 2."""


@dataclass(frozen=True)
class Resource:
    """One calendar object resource: every VEVENT of one UID, with the zones it uses."""

    uid: str
    name: str  # the resource's file name in its collection, `<UID-safe>.ics`
    body: bytes
    fingerprint: str


@dataclass(frozen=True)
class Feed:
    """One feed file, as the collection it becomes."""

    collection: str  # `<folder>-<id>`, e.g. specialists-sam-jones
    display_name: str
    resources: tuple[Resource, ...]


@dataclass
class Summary:
    """What one publish did, counted in events (one event is one resource of one calendar)."""

    home: str = ""
    calendars: int = 0
    new_calendars: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    refused: int = 0  # events the server did not store
    rejected: list[str] = field(default_factory=list)  # one line per refused write, to list

    @property
    def exit_code(self) -> int:
        return EXIT_REJECTED if self.rejected else EXIT_OK

    def line(self) -> str:
        """The one-line report printed after a publish."""
        new = f" ({self.new_calendars} new)" if self.new_calendars else ""
        return (
            f"published {self.calendars} calendar{'s' if self.calendars != 1 else ''}{new} to {self.home}: "
            f"{self.created} events created, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged" + (f", {self.refused} rejected" if self.rejected else "")
        )


# --- reading the output folder -------------------------------------------------------------


def resource_name(uid: str) -> str:
    """`<UID-safe>.ics`: the UID itself when it is plain, else its safe characters and a hash."""
    if SAFE_NAME.fullmatch(uid) and len(uid) <= 100:
        return f"{uid}.ics"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", uid)[:60].strip("-.")
    return f"{safe}-{hashlib.sha256(uid.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}.ics"


def _property_key(name: str, prop: object) -> tuple[str, tuple[tuple[str, str], ...], bytes]:
    params = getattr(prop, "params", {}) or {}
    value = prop.to_ical() if hasattr(prop, "to_ical") else str(prop).encode()
    return name, tuple(sorted((k.upper(), str(v)) for k, v in params.items())), value


def _component_key(component: icalendar.cal.Component) -> tuple:
    """A component as sorted properties and sorted subcomponents: what it says, not how."""
    props = sorted(
        _property_key(name, prop)
        for name, prop in component.property_items(recursive=False, sorted=False)
        if name not in ("BEGIN", "END")
    )
    return component.name, tuple(props), tuple(sorted(_component_key(c) for c in component.subcomponents))


def calendar_fingerprint(cal: icalendar.Calendar) -> str:
    """A hash of the components of a calendar object, blind to property order, folding,
    escaping and quoting, so that a server's re-serialisation compares equal. The
    calendar's own properties (PRODID, VERSION, …) are left out: servers rewrite those."""
    keys = sorted(_component_key(c) for c in cal.subcomponents)
    return hashlib.sha256(repr(keys).encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(data: bytes | str) -> str:
    """`calendar_fingerprint` of an iCalendar text."""
    return calendar_fingerprint(icalendar.Calendar.from_ical(data))


def _tzids(events: Iterable[icalendar.cal.Component]) -> set[str]:
    """The TZIDs the events refer to, in any property of theirs or their subcomponents."""
    found: set[str] = set()
    for event in events:
        for component in event.walk():
            for _, prop in component.property_items(recursive=False, sorted=False):
                tzid = (getattr(prop, "params", None) or {}).get("TZID")
                if tzid:
                    found.add(str(tzid))
    return found


def _resource(feed: icalendar.Calendar, uid: str, events: list[icalendar.cal.Component]) -> Resource:
    cal = icalendar.Calendar()
    for key in CALENDAR_PROPERTIES:
        if key in feed:
            cal[key] = feed[key]
    zones = {str(tz.get("TZID")): tz for tz in feed.subcomponents if tz.name == "VTIMEZONE"}
    for tzid in sorted(_tzids(events)):
        if tzid in zones:
            cal.add_component(zones[tzid])
    for event in events:
        cal.add_component(event)
    return Resource(
        uid=uid, name=resource_name(uid), body=cal.to_ical(), fingerprint=calendar_fingerprint(cal)
    )


def split_feed(data: bytes, source: str) -> tuple[str, tuple[Resource, ...]]:
    """A feed's display name and its resources, one per UID; PublishError if it is no feed."""
    try:
        feed = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise PublishError(f"{source}: not an iCalendar file ({clean_text(str(exc))[:120]})") from None
    if feed.name != "VCALENDAR":
        raise PublishError(f"{source}: not an iCalendar file (no VCALENDAR)")
    by_uid: dict[str, list[icalendar.cal.Component]] = {}
    for event in (c for c in feed.subcomponents if c.name == "VEVENT"):
        uid = str(event.get("UID", "")).strip()
        if not uid:
            raise PublishError(f"{source}: an event has no UID; publish the files `hubplan solve` wrote")
        by_uid.setdefault(uid, []).append(event)
    name = clean_text(str(feed.get("X-WR-CALNAME") or feed.get("NAME") or ""))
    return name, tuple(_resource(feed, uid, events) for uid, events in by_uid.items())


def _feed_files(out_dir: Path) -> Iterator[tuple[str, Path]]:
    """(folder, file) for every feed of a solve output, in a stable order."""
    for folder in FEED_FOLDERS:
        base = out_dir / "calendars" / folder
        if base.is_dir():
            for path in sorted(base.glob("*.ics")):
                yield folder, path


def read_feeds(out_dir: str | Path) -> list[Feed]:
    """Every feed of the solve output `out_dir`; PublishError if it is not one."""
    out = Path(out_dir)
    if not out.is_dir():
        raise PublishError(f"{out_dir}: no such folder; name the --out folder of `hubplan solve`")
    if not (out / "calendars").is_dir():
        raise PublishError(f"{out_dir}: not a `hubplan solve` output (no calendars/ folder in it)")
    feeds: list[Feed] = []
    for folder, path in _feed_files(out):
        source = f"calendars/{folder}/{path.name}"
        if not FEED_ID.fullmatch(path.stem):
            raise PublishError(f"{source}: not a hubplan feed name (ids are lowercase letters, digits, '-')")
        display, resources = split_feed(path.read_bytes(), source)
        collection = f"{folder}-{path.stem}"
        feeds.append(Feed(collection, display or collection, resources))
    if not feeds:
        raise PublishError(f"{out_dir}: not a `hubplan solve` output (no feeds under calendars/)")
    return feeds


# --- the server --------------------------------------------------------------------------


def check_url(url: str) -> None:
    """PublishError unless `url` is an http(s) address without credentials in it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(f"--url {url}: give an http:// or https:// address of the CalDAV server")
    if parts.username or parts.password:
        raise PublishError(
            "--url: put no user name or password in the address; use --user and --password-env"
        )


def plain_http_warning(url: str, username: str | None) -> str | None:
    """A warning when a password would cross the network unencrypted."""
    parts = urlsplit(url)
    if username and parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return f"warning: {parts.hostname} is reached over plain http; the password is sent unencrypted"
    return None


def _network_reason(exc: OSError) -> str:
    """A short reason for a failed connection, from the chain of low-level errors."""
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Failed to resolve", "host name not found"),
        ("Name or service not known", "host name not found"),
        ("timed out", "no answer in time"),
        ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate is not trusted"),
        ("SSL", "TLS handshake failed"),
    ):
        if needle in text:
            return reason
    return clean_text(text)[:160] or type(exc).__name__


def _dav_reason(exc: Exception) -> str:
    """`status reason` of a failed request, as far as the error knows them."""
    status = getattr(exc, "status", None)
    reason = clean_text(str(getattr(exc, "reason", "") or ""))
    if reason == "no reason":  # caldav's placeholder
        reason = ""
    if status and str(status) not in reason:
        reason = f"{status} {reason}".strip()
    return reason or type(exc).__name__


@dataclass(frozen=True)
class _Remote:
    """An event resource found on the server, with the fingerprint of what it holds."""

    obj: caldav.Event
    fingerprint: str


def _remote_events(calendar: caldav.Calendar) -> dict[str, _Remote]:
    """The collection's events by UID (by URL for one without a UID: it will be deleted)."""
    found: dict[str, _Remote] = {}
    for obj in calendar.get_events():
        try:
            cal = icalendar.Calendar.from_ical(obj.raw_data or (obj.data or "").encode())
        except ValueError:
            found[f"url:{obj.url}"] = _Remote(obj, "")  # unreadable: not ours to keep
            continue
        uid = next((str(c["UID"]) for c in cal.subcomponents if "UID" in c), "")
        found[uid or f"url:{obj.url}"] = _Remote(obj, calendar_fingerprint(cal))
    return found


def _is_unauthorised(exc: DAVError) -> bool:
    return getattr(exc, "status", None) == 401


class _Publisher:
    """Synchronises feeds into the calendar home of one CalDAV principal."""

    def __init__(self, principal: caldav.Principal, summary: Summary):
        self.principal = principal
        self.client: caldav.DAVClient = principal.client
        self.summary = summary
        summary.home = str(principal.calendar_home_set.url)
        self.existing = {str(c.id): c for c in principal.get_calendars() if c.id}

    def publish(self, feeds: list[Feed], progress: Callable[[int, int], None] | None = None) -> None:
        for done, feed in enumerate(feeds, 1):
            calendar = self._calendar(feed)
            if calendar is not None:
                self.summary.calendars += 1
                self._sync(calendar, feed)
            if progress:
                progress(done, len(feeds))

    def _calendar(self, feed: Feed) -> caldav.Calendar | None:
        """The feed's collection, created or renamed as needed; None if the server refused."""
        calendar = self.existing.get(feed.collection)
        try:
            if calendar is None:
                calendar = self.principal.make_calendar(name=feed.display_name, cal_id=feed.collection)
                self.summary.new_calendars += 1
            elif calendar.get_display_name() != feed.display_name:
                calendar.set_properties([dav.DisplayName(feed.display_name)])
        except DAVError as exc:
            if _is_unauthorised(exc):
                raise
            events = len(feed.resources)
            self.summary.refused += events
            self.summary.rejected.append(
                f"{feed.collection}: calendar refused ({_dav_reason(exc)}); its {events} events were not sent"
            )
            return None
        return calendar

    def _sync(self, calendar: caldav.Calendar, feed: Feed) -> None:
        """Create, update or leave each event of the feed; delete what the feed no longer has."""
        remote = _remote_events(calendar)
        done = self.summary
        for res in feed.resources:
            current = remote.pop(res.uid, None)
            label = f"{feed.collection}/{res.name}"
            if current is None:
                url = str(calendar.url.join(quote(res.name)))
                done.created += self._put(label, "create", url, res.body, {"If-None-Match": "*"})
            elif current.fingerprint == res.fingerprint:
                done.unchanged += 1
            else:
                done.updated += self._put(
                    label, "update", str(current.obj.url), res.body, _if_match(current.obj)
                )
        for gone in remote.values():
            url = str(gone.obj.url)
            label = f"{feed.collection}/{unquote(url.rstrip('/').rsplit('/', 1)[-1])}"
            done.deleted += self._delete(label, url, _if_match(gone.obj))

    def _put(self, label: str, verb: str, url: str, body: bytes, headers: dict[str, str]) -> bool:
        headers = {**headers, "Content-Type": ICAL_TYPE}
        return self._send(label, verb, lambda: self.client.put(url, body, headers))

    def _delete(self, label: str, url: str, headers: dict[str, str]) -> bool:
        return self._send(label, "delete", lambda: self.client.delete(url, headers))

    def _send(self, label: str, verb: str, request: Callable[[], DAVResponse]) -> bool:
        """Send one PUT or DELETE; True if the server took it, else list it as refused.
        A 401 ends the whole publish; a DELETE of what is already gone is fine."""
        try:
            response = request()
            status, reason = response.status, clean_text(str(response.reason or ""))
        except DAVError as exc:
            if _is_unauthorised(exc):
                raise
            status, reason = None, _dav_reason(exc)
        if status in (200, 201, 204) or (verb == "delete" and status == 404):
            return True
        self.summary.refused += 1
        self.summary.rejected.append(
            f"{label}: {verb} refused ({f'{status} {reason}'.strip() if status else reason})"
        )
        return False


def _if_match(obj: caldav.Event) -> dict[str, str]:
    """If-Match with the ETag just read, so a change made meanwhile is refused, not lost."""
    etag = obj.etag
    return {"If-Match": etag} if etag and not etag.startswith("W/") else {}


def _connect(url: str, username: str | None, password: str | None, timeout: float) -> caldav.Principal:
    """The principal of `username` at `url`; PublishError if the server cannot be used."""
    try:
        client = caldav.DAVClient(url=url, username=username, password=password, timeout=timeout)
        principal = client.principal()
        home = str(principal.calendar_home_set.url)
        dav_classes = client.options(home).headers.get("DAV", "") or ""
    except AuthorizationError as exc:
        raise PublishError(_refused(url, username, getattr(exc, "status", None))) from None
    except DAVError as exc:
        raise PublishError(f"{url}: not a CalDAV server, or not its address ({_dav_reason(exc)})") from None
    except OSError as exc:
        raise PublishError(f"{url}: server unreachable ({_network_reason(exc)})") from None
    if "calendar-access" not in dav_classes:  # RFC 4791 5.1: every CalDAV resource says so
        raise PublishError(f"{url}: not a CalDAV server, or not its address (no calendar-access at {home})")
    return principal


def _refused(url: str, username: str | None, status: int | None) -> str:
    if status == 401 and not username:
        return f"{url}: the server needs a login (401); add --user NAME --password-env VAR"
    if status == 401:
        return f"{url}: the server refused the login of '{username}' (401); check the user and password"
    return f"{url}: '{username or 'anonymous'}' may not use this address ({status or 403})"


def publish(
    out_dir: str | Path,
    url: str,
    username: str | None = None,
    password: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Publish every feed of the solve output `out_dir` to the CalDAV server at `url`.

    Raises PublishError (one line) for an invalid folder, an unusable address, an
    unreachable server or a refused login; events the server refuses are listed in the
    summary instead, and the rest are still published. `progress(done, total)` is called
    after each calendar.
    """
    if caldav is None:
        raise PublishError(NO_CALDAV)
    feeds = read_feeds(out_dir)
    check_url(url)
    principal = _connect(url, username, password, timeout)
    summary = Summary()
    try:
        _Publisher(principal, summary).publish(feeds, progress)
    except DAVError as exc:
        if _is_unauthorised(exc):
            raise PublishError(_refused(url, username, 401)) from None
        raise PublishError(f"{url}: the server failed ({_dav_reason(exc)})") from None
    except OSError as exc:
        raise PublishError(f"{url}: connection lost ({_network_reason(exc)})") from None
    return summary
