"""What an uploaded file must be before a parser opens it, and how large a request may be
before anything reads it.

A request body is bounded as it arrives (`BodyLimit`): one that says it is larger than the
limit is refused (413) before a byte of it is read, and one that does not say is refused
as soon as it passes the limit. Nothing is spooled to disk first.

A workbook is a zip of XML parts, and openpyxl trusts what it is given: a few kilobytes can
unpack to gigabytes (a zip bomb), or hold a sheet of millions of rows that takes minutes to
read. So the zip's own directory is read first, which costs nothing: the parts' sizes when
unpacked, each part's ratio of unpacked to packed, how many parts there are. Then the rows
of each sheet are counted by streaming its XML, never holding it whole. Only a file that
passes goes to `models.load`, which checks the rest as `hubplan validate` does.

A file is also told by what it holds, not only by its name: an image, a PDF, an old .xls
or a Word document named .xlsx, or a binary file named .yaml, gets a message saying what
it is. Each check returns one message for the person uploading, or None.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree

from fastapi import HTTPException

from models.workbook.sheets import MAX_ROWS

MAX_UNPACKED = 100 * 2**20  # every part of a workbook unpacked; a big hub's is under 5 MiB
MAX_RATIO = 100  # unpacked to packed, per part; XML packs 5-30 times, a zip bomb ~1000
RATIO_FROM = 2**20  # parts smaller than this may pack as well as they like
MAX_PARTS = 1000  # a workbook has a few dozen
MAX_SMALL_PART = 2**20  # workbook.xml and its relations, read whole
ZIP_MAGIC = b"PK\x03\x04"
SIGNATURES = (  # what a file holds, told by its first bytes
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls) or a password-protected file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def content_problem(name: str, kind: str, data: bytes) -> str | None:
    """Whether `data` holds what its name says: a workbook (a zip) or YAML/JSON text."""
    for magic, what in SIGNATURES:
        if data.startswith(magic):
            return f"'{name}' is {what}, not a hub's data; save the workbook as an Excel Workbook (.xlsx)"
    if kind == "workbook":
        if not data.startswith(ZIP_MAGIC):
            return f"'{name}' is not an Excel workbook inside; save it from your spreadsheet as .xlsx"
        return workbook_problem(name, data)
    if data.startswith(ZIP_MAGIC):
        return f"'{name}' is a workbook inside; name it .xlsx"
    if b"\x00" in data[:8192]:
        return f"'{name}' is not text; a {kind} file is text (UTF-8)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"'{name}' is not UTF-8 text (a byte at position {exc.start} is not); save it as UTF-8"
    return None


def workbook_problem(name: str, data: bytes) -> str | None:
    """A zip that is a whole workbook, small enough unpacked, with sheets of bounded rows."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return (
            f"'{name}' is damaged or incomplete (the end of the file is missing, as when an upload or "
            "a download is cut short); open it in your spreadsheet, save it again and upload it again"
        )
    with book:
        parts = book.infolist()
        names = {p.filename for p in parts}
        if "xl/workbook.xml" not in names:
            what = "a Word document" if "word/document.xml" in names else "a zip file"
            return f"'{name}' is {what}, not an Excel workbook (it has no xl/workbook.xml); upload the .xlsx"
        problem = _size_problem(name, parts)
        if problem:
            return problem
        try:
            for sheet, path in _sheets(book):
                rows = _count_rows(book, path)
                if rows > MAX_ROWS:
                    return (
                        f"'{name}': sheet {sheet} has {rows:,} rows; a sheet may have at most {MAX_ROWS:,} "
                        "(a hub's largest has a few thousand); remove the empty or extra rows"
                    )
        except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, EOFError, ValueError) as exc:
            return (
                f"'{name}' is damaged ({type(exc).__name__} while reading its parts); save it again as .xlsx"
            )
    return None


def _size_problem(name: str, parts: list[zipfile.ZipInfo]) -> str | None:
    if len(parts) > MAX_PARTS:
        return f"'{name}' holds {len(parts):,} parts; a workbook has a few dozen, so this is not one"
    unpacked = sum(p.file_size for p in parts)
    if unpacked > MAX_UNPACKED:
        return (
            f"'{name}' unpacks to {unpacked / 2**20:,.0f} MiB; a workbook may unpack to at most "
            f"{MAX_UNPACKED // 2**20} MiB (a hub's is a few MiB)"
        )
    for p in parts:
        if p.file_size > RATIO_FROM and p.file_size > MAX_RATIO * max(p.compress_size, 1):
            return (
                f"'{name}': its part {p.filename} unpacks {p.file_size // max(p.compress_size, 1):,} times "
                f"larger than it is packed (at most {MAX_RATIO}); a spreadsheet never packs so well, a zip bomb does"
            )
    return None


def _sheets(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """Each worksheet's name and the path of its part, from workbook.xml and its relations."""
    rels = _small_xml(book, "xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_RELS)}
    out = []
    for sheet in _small_xml(book, "xl/workbook.xml").iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL_ID), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        if path in book.NameToInfo:
            out.append((sheet.get("name", "?"), path))
    return out


def _small_xml(book: zipfile.ZipFile, path: str) -> ElementTree.Element:
    info = book.getinfo(path)
    if info.file_size > MAX_SMALL_PART:
        raise ValueError(f"{path} is {info.file_size:,} bytes")
    return ElementTree.fromstring(book.read(info))


def _count_rows(book: zipfile.ZipFile, path: str, chunk: int = 2**20) -> int:
    """The `<row>` elements of a sheet's XML, read a chunk at a time (a tag split across two
    chunks is counted once: each chunk is searched with the last few bytes of the one before)."""
    count, tail = 0, b""
    with book.open(path) as part:
        while block := part.read(chunk):
            text = tail + block
            count += len(_ROW.findall(text))
            keep = text[-16:]
            count -= len(_ROW.findall(keep))  # counted now, and again at the start of the next
            tail = keep
    return count + len(_ROW.findall(tail))


class TooLarge(HTTPException):
    """A request body over the limit; the application's error page says what the limit is."""

    def __init__(self) -> None:
        super().__init__(413, "too large")


class BodyLimit:
    """ASGI middleware: the request's body, as the application reads it, may be at most
    `limit` bytes. Reading past it (or reading at all, when Content-Length is larger) raises
    TooLarge inside the application, where its error page answers."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        too_large = declared.isdigit() and int(declared) > self.limit
        seen = 0

        async def bounded():
            nonlocal seen
            if too_large:
                raise TooLarge()
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge()
            return message

        return await self.app(scope, bounded, send)
