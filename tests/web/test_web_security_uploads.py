"""Bad uploads: over the size limit, a zip bomb named .xlsx, a workbook of 100,000 rows, a
file of the wrong type, and uploads cut short. Each gets one clear message, nothing is
stored, and the server goes on serving (a real `hubplan serve`, and Chromium for the
oversized file a person would pick)."""

from __future__ import annotations

import contextlib
import io
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from web_support import ROOT, browser, start_server, stop_server

from web.hubs import UploadRejected, read_upload
from web.settings import MAX_UPLOAD_BYTES
from web.tables import HubVersion
from web.upload_checks import MAX_RATIO, MAX_UNPACKED, _sheets

EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
MIB = 2**20


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("wb") / "hub.xlsx"
    subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "template", "-o", str(path), "--from", str(EXAMPLE)],
        check=True,
        capture_output=True,
    )
    return path.read_bytes()


def _rezip(
    data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """The workbook with some parts replaced or added (written as Excel would: deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, (replace or {}).get(info.filename, src.read(info)))
        for name, content in (add or {}).items():
            z.writestr(name, content)
    return out.getvalue()


def zip_bomb(workbook: bytes, size: int) -> bytes:
    """The workbook with a sheet that unpacks to `size` bytes of blanks: ~1000 times its packed size."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info))
        with z.open("xl/worksheets/bomb.xml", "w", force_zip64=True) as part:
            block = b" " * MIB
            for _ in range(size // MIB):
                part.write(block)
    return out.getvalue()


def many_rows(workbook: bytes, rows: int) -> bytes:
    """The workbook with its Teachers sheet holding `rows` rows of teachers."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        path = dict(_sheets(z))["Teachers"]
    body = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>t{n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>Teacher {n}</t></is></c>'
        f'<c r="D{n}" t="inlineStr"><is><t>oakfield</t></is></c></row>'
        for n in range(2, rows + 2)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is>'
        f'</c><c r="D1" t="inlineStr"><is><t>school</t></is></c></row>{body}</sheetData></worksheet>'
    )
    return _rezip(workbook, replace={path: sheet.encode()})


def _bad_files(workbook: bytes) -> dict[str, tuple[str, bytes, str]]:
    """name: (file name, content, what the message says)."""
    return {
        "zip bomb": ("hub.xlsx", zip_bomb(workbook, 200 * MIB), "unpacks to 200 MiB"),
        "zip bomb under the size": ("hub.xlsx", zip_bomb(workbook, 60 * MIB), "a zip bomb does"),
        "a zip of many parts": (
            "hub.xlsx",
            _rezip(workbook, add={f"xl/media/{n}.bin": b"" for n in range(2000)}),
            "not one",
        ),
        "100,000 rows": ("hub.xlsx", many_rows(workbook, 100_000), "sheet Teachers has 100,001 rows"),
        "an image named .xlsx": ("hub.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(500), "is a PNG image"),
        "an old .xls": ("hub.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "Excel 97-2003"),
        "a PDF named .yaml": ("hub.yaml", b"%PDF-1.7\n" + bytes(100), "is a PDF document"),
        "a Word document": (
            "hub.xlsx",
            _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
            "is a Word document, not an Excel workbook",
        ),
        "a binary named .json": ("hub.json", b"{\x00\x01\x02", "is not text"),
        "Latin-1 YAML": ("hub.yaml", "name: café\n".encode("latin-1"), "is not UTF-8 text"),
        "a program": ("hub.xlsx", b"MZ\x90\x00" + bytes(100), "a Windows program"),
        "a workbook cut short": ("hub.xlsx", workbook[: len(workbook) // 2], "damaged or incomplete"),
    }


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


def test_each_bad_file_gets_one_clear_message(workbook):
    assert read_upload("hub.xlsx", workbook, MAX_UPLOAD_BYTES)  # the good one reads
    for what, (name, data, says) in _bad_files(workbook).items():
        started = time.monotonic()
        with pytest.raises(UploadRejected) as caught:
            read_upload(name, data, MAX_UPLOAD_BYTES)
        problems = caught.value.problems
        assert len(problems) == 1 and says in problems[0].message, (what, problems)
        assert "/tmp" not in problems[0].message and "Traceback" not in problems[0].message
        assert len(data) <= MAX_UPLOAD_BYTES, what  # each fits the upload limit: refused for what it is
        assert time.monotonic() - started < 5, f"{what} took {time.monotonic() - started:.1f} s to refuse"


def test_limits_leave_room_for_real_workbooks(workbook):
    """The largest bundled hub's workbook is far inside every bound."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        parts = z.infolist()
    assert sum(p.file_size for p in parts) * 50 < MAX_UNPACKED
    assert max(p.file_size / max(p.compress_size, 1) for p in parts) * 5 < MAX_RATIO


# -- through a real server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A server with its own temporary folder, to see that refused uploads leave nothing there."""
    folder = tmp_path_factory.mktemp("live")
    (folder / "tmp").mkdir()
    server = start_server(f"sqlite:///{folder / 'workspace.db'}", folder, env={"TMPDIR": str(folder / "tmp")})
    yield server, folder / "tmp"
    stop_server(server)


def _signed_in(server) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, timeout=60)
    page = client.get("/").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"csrf": csrf, "email": server.admin[0], "password": server.admin[1]})
    assert r.status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/hubs/example-hub/upload").text).group(1)
    return client, csrf


def _versions(server) -> int:
    engine = create_engine(server.database)
    with engine.connect() as c:
        count = c.execute(select(func.count()).select_from(HubVersion)).scalar()
    engine.dispose()
    return count


def _serving(server) -> None:
    assert urllib.request.urlopen(server.url + "/healthz", timeout=5).read() == b"ok"
    assert server.process.poll() is None


def test_bad_uploads_through_the_server(live, workbook):
    server, tmp = live
    client, csrf = _signed_in(server)
    before = _versions(server)
    for what, (name, data, says) in _bad_files(workbook).items():
        r = client.post("/hubs/example-hub/upload", data={"csrf": csrf}, files={"file": (name, data)})
        assert r.status_code == 400 and "1 problem; nothing was stored" in r.text, (what, r.status_code)
        assert says.replace("'", "&#39;") in r.text, what
        _serving(server)
    assert _versions(server) == before
    assert list(tmp.iterdir()) == []


def test_the_server_answers_while_a_large_workbook_is_read(live, workbook):
    """Reading an upload runs beside the requests, not in their way."""
    server, _ = live
    client, csrf = _signed_in(server)
    data = many_rows(workbook, 40_000)  # under the row limit: read whole by openpyxl, and refused after
    done = {}

    def upload():
        done["r"] = client.post(
            "/hubs/example-hub/upload", data={"csrf": csrf}, files={"file": ("big.xlsx", data)}
        )

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.5)
    slowest = 0.0
    while thread.is_alive():
        started = time.monotonic()
        _serving(server)
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.05)
    thread.join()
    assert done["r"].status_code == 400
    assert slowest < 1.0, f"/healthz took {slowest:.2f} s while the workbook was read"


def _raw(server, head: bytes, body: bytes = b"", close_after: bool = False, timeout: float = 20) -> bytes:
    """Send a request by hand; what came back (b"" if nothing)."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head + body)
        if close_after:
            return b""
        out = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := s.recv(65536):
                out += chunk
                if b"</html>" in out:
                    break
        return out


def _head(path: str, length: int | None, client: httpx.Client, boundary: str = "XX") -> bytes:
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    size = f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n{size}\r\n"
    ).encode()


def _part(csrf: str, name: str = "hub.yaml") -> bytes:
    return (
        f'--XX\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--XX\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def test_oversized_and_cut_short_uploads_through_the_server(live):
    server, tmp = live
    client, csrf = _signed_in(server)
    before = _versions(server)

    # says it is too large: refused before the body is read (only the start of it is sent)
    answer = _raw(server, _head("/hubs/example-hub/upload", 50 * MIB, client), _part(csrf) + b"x" * 65536)
    assert answer.startswith(b"HTTP/1.1 413") and b"an upload may be at most 10 MiB" in answer
    _serving(server)

    # does not say (chunked), and turns out too large: refused once the limit is passed
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(_head("/hubs/example-hub/upload", None, client))
        chunk = b"x" * MIB
        s.sendall(b"%x\r\n%s\r\n" % (len(_part(csrf)), _part(csrf)))
        answer, sent = b"", 0
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while sent < 30 * MIB:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        s.settimeout(10)
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while part := s.recv(65536):
                answer += part
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"an upload may be at most 10 MiB" in answer
    _serving(server)

    # the body ends before the file's closing boundary
    body = _part(csrf) + b"name: x\nhub: y\n"
    answer = _raw(server, _head("/hubs/example-hub/upload", len(body), client), body)
    assert answer.startswith(b"HTTP/1.1 400") and b"no file arrived" in answer
    # the connection is dropped halfway through the body
    _raw(
        server, _head("/hubs/example-hub/upload", 2 * MIB, client), _part(csrf) + b"y" * MIB, close_after=True
    )
    time.sleep(1.0)
    _serving(server)
    assert _versions(server) == before
    assert list(tmp.iterdir()) == []


def test_a_person_picking_a_file_too_large_is_told_so(live, browser, tmp_path):
    server, _ = live
    big = tmp_path / "hub.yaml"
    big.write_bytes(b"# " + b"x" * (MAX_UPLOAD_BYTES + MIB) + b"\n")
    page = browser.new_page()
    page.goto(server.url + "/")
    page.get_by_label("E-mail address").fill(server.admin[0])
    page.get_by_label("Password").fill(server.admin[1])
    page.get_by_role("button", name="Sign in").click()
    page.goto(server.url + "/hubs/example-hub/upload")
    page.get_by_label(re.compile("The hub's workbook")).set_input_files(big)
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_load_state()
    assert "Error 413" in page.title() and "an upload may be at most 10 MiB" in page.inner_text("main")
    page.goto(server.url + "/hubs/example-hub")
    assert page.get_by_role("heading", level=1).inner_text() == "Example Maths Hub"
    page.close()
