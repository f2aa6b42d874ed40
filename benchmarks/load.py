"""A bounded load on one `hubplan serve`: calendar apps fetching feeds at a fixed rate, some
coordinators browsing, one planning, for a fixed time, on this machine's loopback only.

The generated typical hub (43 Work Groups, seed 1) is planned once and kept as a backup in
--cache (planning it takes minutes); each run restores it into a new database (SQLite, or
the empty PostgreSQL database --database names), adds the coordinators' accounts and a feed
link for every person, school and Work Group, starts `hubplan serve` on 127.0.0.1, and then:

- feeds: GET /feeds/<token>.ics at --feeds-per-second, on a fixed schedule (a request is
  sent when its time comes, however slow the ones before: the load does not ease off when
  the server slows, so the latencies are not flattered);
- coordinators: each signs in and opens a page (the hub, the year at a glance by person,
  school or Work Group, a person's, school's or Work Group's page, costs, files), then
  reads it for 1 to 3 s, again and again;
- one coordinator starts "Plan the year" and follows the run as its page does (the event
  stream), for the whole time; the run is cancelled at the end.

It prints p50, p95 and p99 latency per kind of request and the errors (a status other than
the expected, or no answer within --timeout), and whether the targets are met: feeds p95
under 100 ms, pages p95 under 500 ms, no errors. Everything stops by itself.

Usage: python benchmarks/load.py [--database postgresql://…/EMPTY_DB] [--duration 30]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"  # loopback only: never another machine
PASSWORD = "load test password"
SLUG = "typical"
TARGETS = {"feed": 100.0, "page": 500.0}  # p95, ms
THINK = (1.0, 3.0)  # seconds a coordinator reads a page


@dataclass
class Tally:
    """Latencies (ms) and errors, per kind of request."""

    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, ms: float, error: str = "") -> None:
        self.times.setdefault(kind, []).append(ms)
        if error:
            self.errors.setdefault(kind, []).append(error)


# -- the hub, planned once --------------------------------------------------------------------


def cached_hub(cache: Path, work_groups: int, seed: int) -> Path:
    """A backup of the typical hub with a current plan, made on first use."""
    path = cache / f"typical-{work_groups}-{seed}.jsonl.gz"
    if path.exists():
        return path
    from models.load import parse_instance
    from scheduler.operations.generate import generate_instance
    from web.backup import write_backup
    from web.db import make_engine, migrate, session_factory, transaction
    from web.hubs import add_hub, add_version
    from web.jobs import plan_in_process

    cache.mkdir(parents=True, exist_ok=True)
    instance = parse_instance(generate_instance(work_groups, seed))
    with tempfile.TemporaryDirectory(prefix="hubplan-load-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/plan.db")
        migrate(engine)
        sessions = session_factory(engine)
        print(f"planning the typical hub once ({work_groups} Work Groups, seed {seed}); it takes minutes")
        started = time.monotonic()
        with transaction(sessions) as db:
            add_version(db, add_hub(db, SLUG, instance.hub.name), instance, "generated.yaml", None)
        job = plan_in_process(sessions, SLUG, 60.0)
        print(f"planned in {time.monotonic() - started:.0f} s: {job.message}")
        write_backup(engine, path.with_suffix(".tmp"), [SLUG])
        path.with_suffix(".tmp").replace(path)
        engine.dispose()
    return path


def prepare(database: str, backup: Path, coordinators: int) -> dict:
    """The hub restored into `database`, accounts for the coordinators, a feed link per subject."""
    from sqlalchemy import select

    from web import feeds
    from web.auth import add_user
    from web.backup import restore_backup
    from web.db import make_engine, session_factory, transaction
    from web.hubs import instance_of, latest_version
    from web.tables import Hub

    engine = make_engine(database)
    restore_backup(engine, backup)
    with transaction(session_factory(engine)) as db:
        hub = db.scalar(select(Hub).where(Hub.slug == SLUG))
        instance = instance_of(latest_version(db, hub))
        emails = [f"coordinator{n}@example.org" for n in range(coordinators + 1)]
        for email in emails:
            add_user(db, email, PASSWORD, "coordinator", hub)
        tokens = [
            feeds.issue(db, hub.id, kind, subject)
            for kind, names in feeds.subjects(instance).items()
            for subject in sorted(names)
        ]
        pages = [
            f"/hubs/{SLUG}",
            f"/hubs/{SLUG}/year",
            f"/hubs/{SLUG}/year?by=school",
            f"/hubs/{SLUG}/year?by=work-group",
            f"/hubs/{SLUG}/costs",
            f"/hubs/{SLUG}/files",
            *(f"/hubs/{SLUG}/specialists/{p.id}" for p in instance.specialists[:10]),
            *(f"/hubs/{SLUG}/schools/{s.id}" for s in instance.schools[:10]),
            *(f"/hubs/{SLUG}/work-groups/{w.id}" for w in instance.work_groups[:10]),
        ]
        sizes = f"{len(instance.schools)} schools, {len(instance.specialists)} specialists, {len(instance.teachers)} teachers"
    engine.dispose()
    return {
        "emails": emails,
        "tokens": tokens,
        "pages": pages,
        "sizes": sizes,
        "work_groups": len(instance.work_groups),
    }


# -- the server -------------------------------------------------------------------------------


def start_server(database: str, port: int, time_limit: float, workdir: Path) -> subprocess.Popen:
    import urllib.request

    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "cli.py"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--database",
            database,
            "--time-limit",
            str(time_limit),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=workdir,
    )
    end = time.monotonic() + 120
    while time.monotonic() < end:
        try:
            if urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2).read() == b"ok":
                return process
        except OSError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise SystemExit("hubplan serve did not start:\n" + process.stdout.read())
    process.kill()
    raise SystemExit("hubplan serve never answered /healthz")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


# -- the load ---------------------------------------------------------------------------------


async def timed(tally: Tally, kind: str, request, expect: tuple[int, ...] = (200,), timeout: float = 10.0):
    started = time.perf_counter()
    try:
        response = await asyncio.wait_for(request, timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to answer is an error of the run
        tally.add(kind, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}")
        return None
    ms = (time.perf_counter() - started) * 1000
    tally.add(kind, ms, "" if response.status_code in expect else f"HTTP {response.status_code}")
    return response


class Connections:
    """HTTP/1.1 GETs over a few kept-alive connections, with as little work in this process as
    can be: the feeds alone are thousands of requests, and a general client (httpx) spent more
    of the two cores than the server did. Each answer is read whole (Content-Length)."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.queue: asyncio.Queue = asyncio.Queue()

    async def get(self, path: str) -> int:
        done = asyncio.get_running_loop().create_future()
        await self.queue.put((path, done))
        return await done

    async def serve(self, until: float) -> None:
        await asyncio.gather(*(self._connection(until) for _ in range(self.count)))

    async def _connection(self, until: float) -> None:
        reader = writer = None
        while True:
            path, done = await self.queue.get()
            if path is None:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, self.port)
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                if b"connection: close" in head.lower():
                    writer.close()
                    reader = writer = None
                if not done.done():  # not given up on (a timeout cancels it)
                    done.set_result(status)
            except Exception as exc:  # noqa: BLE001 - handed to the request that met it
                if writer is not None:
                    writer.close()
                reader = writer = None
                if not done.done():
                    done.set_exception(exc)
        if writer is not None:
            writer.close()

    async def close(self) -> None:
        for _ in range(self.count):
            await self.queue.put((None, None))


async def feeds_at_rate(port: int, tokens: list[str], args, until: float, tally: Tally, rng) -> None:
    """One request every 1/rate s on a fixed schedule, each timed from when it was due (so a
    wait for a free connection counts, as it would for a calendar app)."""
    connections = Connections(port, args.connections)
    serving = asyncio.create_task(connections.serve(until))
    pending, interval, due = set(), 1.0 / args.feeds_per_second, time.monotonic()

    async def one(path: str, when: float) -> None:
        try:
            status = await asyncio.wait_for(connections.get(path), args.timeout)
        except Exception as exc:  # noqa: BLE001 - no answer is an error of the run
            tally.add("feed", (time.monotonic() - when) * 1000, type(exc).__name__)
            return
        tally.add("feed", (time.monotonic() - when) * 1000, "" if status == 200 else f"HTTP {status}")

    while due < until:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        task = asyncio.create_task(one(f"/feeds/{rng.choice(tokens)}.ics", due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        due += interval
    await asyncio.gather(*pending)
    await connections.close()
    await serving


async def sign_in(client, email: str, tally: Tally) -> None:
    page = await client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = await timed(
        tally,
        "sign-in",
        client.post("/login", data={"csrf": csrf, "email": email, "password": PASSWORD}),
        (303,),
    )
    if r is None or r.status_code != 303:
        raise SystemExit(f"{email} could not sign in")


async def coordinator(client, pages: list[str], until: float, tally: Tally, rng, timeout: float) -> None:
    """Open a page, read it for a while, again, until the time is up."""
    await asyncio.sleep(rng.uniform(0, THINK[1]))  # not all at once
    while time.monotonic() < until:
        path = rng.choice(pages)
        await timed(tally, "page: " + _page_kind(path), client.get(path), timeout=timeout)
        await asyncio.sleep(rng.uniform(*THINK))


def _page_kind(path: str) -> str:
    rest = path.split(f"/hubs/{SLUG}", 1)[1].split("?")[0].strip("/")
    if not rest:
        return "hub"
    first = rest.split("/")[0]
    return {"specialists": "person", "schools": "school", "work-groups": "Work Group"}.get(first, first)


async def planner(client, until: float, tally: Tally, timeout: float) -> None:
    """Start a run and follow its event stream until the time is up; then cancel it."""
    import httpx

    page = await timed(tally, "page: hub", client.get(f"/hubs/{SLUG}"), timeout=timeout)
    if page is None:
        return  # counted as an error
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    started = await timed(
        tally, "plan: start", client.post(f"/hubs/{SLUG}/plan", data={"csrf": csrf}), (303,)
    )
    if started is None or started.status_code != 303:
        return
    job = started.headers["location"]
    await timed(tally, "page: run", client.get(job), timeout=timeout)
    events = 0

    async def follow() -> None:
        nonlocal events
        async with client.stream("GET", f"{job}/events", timeout=None) as stream:
            async for line in stream.aiter_lines():
                events += line.startswith("event:")
                if line.startswith("event: end"):
                    return

    try:
        await asyncio.wait_for(follow(), timeout=max(0.1, until - time.monotonic()))
    except asyncio.TimeoutError:
        pass  # the run goes on past the load's end; it is cancelled below
    except httpx.HTTPError as exc:
        tally.add("plan: events", 0.0, type(exc).__name__)
    tally.add("plan: events", float(events))
    page = await client.get(job)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if csrf:
        await client.post(f"{job}/cancel", data={"csrf": csrf.group(1)})


async def run_load(url: str, port: int, setup: dict, args, tally: Tally) -> None:
    """Everyone signs in first, one after another (argon2 takes its time, on purpose); then the
    timed window: the feeds, the coordinators and the planner all at once."""
    import httpx

    people = 1 + args.coordinators
    clients = [httpx.AsyncClient(base_url=url, timeout=args.timeout) for _ in range(people)]
    try:
        for client, email in zip(clients, setup["emails"]):
            await sign_in(client, email, tally)
        rng = random.Random(args.seed)
        until = time.monotonic() + args.duration
        await asyncio.gather(
            feeds_at_rate(port, setup["tokens"], args, until, tally, rng),
            *(
                coordinator(
                    clients[n + 1], setup["pages"], until, tally, random.Random(args.seed + n), args.timeout
                )
                for n in range(args.coordinators)
            ),
            *([planner(clients[0], until, tally, args.timeout)] if args.planning else []),
        )
    finally:
        for client in clients:
            await client.aclose()


# -- the report -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(tally: Tally, args, setup: dict, engine: str, load_before: tuple, cpu: dict) -> bool:
    print(f"date       {dt.date.today()}")
    print(
        f"machine    {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average before the run {load_before[0]:.2f} (1 min)"
    )
    print(
        f"server     hubplan serve: 1 process (uvicorn, its thread pool), {engine}; "
        f"planning in 1 worker process; CPU used: server {cpu['server']:.1f} s, worker {cpu['worker']:.1f} s, "
        f"this script {cpu['client']:.1f} s"
    )
    print(
        f"hub        generated, {setup['work_groups']} Work Groups, seed {args.hub_seed}: {setup['sizes']}; "
        f"{len(setup['tokens'])} feed links"
    )
    print(
        f"load       {args.duration:.0f} s: feeds at {args.feeds_per_second:g}/s, {args.coordinators} coordinators "
        f"browsing, {1 if args.planning else 0} planning"
    )
    print(
        f"{'kind':<16}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  target"
    )
    ok = True
    groups = dict(sorted(tally.times.items()))
    pages = [ms for kind, times in groups.items() if kind.startswith("page:") for ms in times]
    rows = [(k, v) for k, v in groups.items() if k != "plan: events"] + [("all pages", pages)]
    for kind, times in rows:
        errors = sum(
            len(v)
            for k, v in tally.errors.items()
            if k == kind or (kind == "all pages" and k.startswith("page:"))
        )
        target = TARGETS.get("feed" if kind == "feed" else "page" if kind == "all pages" else "")
        p95 = percentile(times, 95) if times else 0.0
        verdict = ""
        if target is not None:
            met = p95 < target and errors == 0
            ok &= met
            verdict = f"p95 < {target:g} ms, 0 errors  {'ok' if met else 'MISSED'}"
        print(
            f"{kind:<16}{len(times):>7}{errors:>8}{percentile(times, 50) if times else 0:>9.1f}{p95:>9.1f}"
            f"{percentile(times, 99) if times else 0:>9.1f}{max(times, default=0):>9.1f}  {verdict}"
        )
    sent = len(tally.times.get("feed", []))
    print(
        f"feeds sent {sent} ({sent / args.duration:.0f}/s achieved); progress events streamed: "
        f"{int(sum(tally.times.get('plan: events', [0])))}"
    )
    total = sum(len(v) for v in tally.errors.values())
    shown = sorted({e for v in tally.errors.values() for e in v})
    print(f"errors     {total}{': ' + ', '.join(shown) if shown else ''}")
    print(f"targets    {'met' if ok else 'NOT met'}")
    return ok


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    """Child processes started by any thread of `pid` (each thread lists its own)."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", help="an EMPTY PostgreSQL database (postgresql://…); default: a new SQLite file"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load [30]")
    parser.add_argument("--feeds-per-second", type=float, default=200.0)
    parser.add_argument("--coordinators", type=int, default=10)
    parser.add_argument("--no-planning", dest="planning", action="store_false")
    parser.add_argument(
        "--connections", type=int, default=50, help="the feed clients' connections at most [50]"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a request counts as an error"
    )
    parser.add_argument("--work-groups", type=int, default=43)
    parser.add_argument("--hub-seed", type=int, default=1)
    parser.add_argument(
        "--seed", type=int, default=0, help="which feeds and pages are asked for, in what order"
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hubplan-load-cache")
    args = parser.parse_args()
    if args.duration > 600 or args.feeds_per_second > 2000 or args.coordinators > 100:
        parser.error("bounded: at most 600 s, 2000 feeds/s and 100 coordinators")

    backup = cached_hub(args.cache, args.work_groups, args.hub_seed)
    with tempfile.TemporaryDirectory(prefix="hubplan-load-") as tmp:
        database = args.database or f"sqlite:///{tmp}/load.db"
        engine = database.split(":")[0].split("+")[0]
        setup = prepare(database, backup, args.coordinators)
        from web.settings import is_loopback

        assert is_loopback(HOST)
        import socket

        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        server = start_server(database, port, 600.0, Path(tmp))
        tally, load_before = Tally(), os.getloadavg()
        client_before = time.process_time()
        workers: dict[int, float] = {}  # pid -> CPU seconds, last seen
        try:

            async def watched() -> None:
                async def note_workers() -> None:
                    while True:
                        for pid in _children(server.pid):
                            workers[pid] = _cpu_seconds(pid) or workers.get(pid, 0.0)
                        await asyncio.sleep(0.5)

                watcher = asyncio.create_task(note_workers())
                await run_load(f"http://{HOST}:{port}", port, setup, args, tally)
                watcher.cancel()

            asyncio.run(watched())
            cpu = {
                "server": _cpu_seconds(server.pid),
                "worker": sum(workers.values()),
                "client": time.process_time() - client_before,
            }
        finally:
            stop_server(server)
    ok = report(tally, args, setup, engine, load_before, cpu)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
