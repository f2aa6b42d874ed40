"""A hub's data comes in as coordinators keep it: a workbook (`hubplan template`), a YAML or
JSON instance, or a bundled example. Whatever comes in is validated by `models.load`
exactly as `hubplan validate` does; nothing is stored until it is valid, and then, in one
transaction, it becomes the hub's next version with the list of what changed.
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.instance import Instance
from models.limits import load_yaml
from models.load import InstanceError, load_instance, parse_instance
from models.yamlstyle import instance_yaml
from web.db import utcnow
from web.diff import version_changes
from web.locking import UNCHECKED, Seen, claim, latest_version
from web.tables import Hub, HubVersion, User
from web.upload_checks import content_problem

KINDS = {".xlsx": "workbook", ".xlsm": "workbook", ".yaml": "YAML", ".yml": "YAML", ".json": "JSON"}
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
WORKBOOK_PLACE = re.compile(r"^(?P<sheet>[A-Za-z]+) row (?P<row>\d+)(?:, column (?P<column>.+))?$")


@dataclass(frozen=True)
class UploadProblem:
    """One problem with an upload: where (sheet, row and column of a workbook, or the
    field of a YAML/JSON file) and what, as `hubplan validate` says it."""

    where: str
    message: str

    @property
    def place(self) -> dict[str, str]:
        m = WORKBOOK_PLACE.match(self.where)
        if m:
            return {"sheet": m["sheet"], "row": m["row"], "column": m["column"] or ""}
        return {"sheet": "", "row": "", "column": self.where}


class UploadRejected(Exception):
    def __init__(self, problems: list[UploadProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _reject(message: str, where: str = "") -> UploadRejected:
    return UploadRejected([UploadProblem(where, message)])


def read_upload(filename: str, data: bytes, limit: int) -> Instance:
    """The instance in an uploaded file, or UploadRejected with every problem found.

    The kind is told by the file's suffix and checked against its content, and a workbook's
    zip against its sizes and rows (`web.upload_checks`) before openpyxl opens it; the loader
    reads a file, so the upload is written to a private temporary folder first."""
    name = Path(filename or "").name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise _reject(f"'{name}': upload a workbook (.xlsx), a YAML (.yaml) or a JSON (.json) file")
    if not data:
        raise _reject(f"'{name}' is empty")
    if len(data) > limit:
        raise _reject(
            f"'{name}' is {len(data) / 2**20:.1f} MiB; an upload may be at most {limit // 2**20} MiB"
        )
    problem = content_problem(name, KINDS[suffix], data)
    if problem:
        raise _reject(problem)
    with tempfile.TemporaryDirectory(prefix="hubplan-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            return load_instance(path)
        except InstanceError as exc:
            raise UploadRejected(
                [UploadProblem(where, message.replace(str(path), name)) for where, message in exc.problems]
            ) from None


def bundled_instances(folder: Path) -> dict[str, Path]:
    """The examples offered as a start: the instance files shipped in `instances/`."""
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def instance_from_yaml(text: str) -> Instance:
    """An instance stored as YAML (a version, a held upload): valid when it was stored."""
    return parse_instance(load_yaml(text))


@functools.lru_cache(maxsize=32)
def _parsed(version_id: int, text: str) -> Instance:
    return instance_from_yaml(text)


def instance_of(version: HubVersion) -> Instance:
    """A stored version's instance (parsed once per version and process)."""
    return _parsed(version.id, version.instance_yaml)


def add_version(
    db: Session, hub: Hub, instance: Instance, source_name: str, user: User | None, seen: Seen = UNCHECKED
) -> HubVersion:
    """The hub's next version, with what changed from the last one. The hub is claimed first
    (`web.locking.claim`): Conflict if it changed after `seen`."""
    claim(db, hub, seen)
    last = latest_version(db, hub)
    number = (db.scalar(select(func.max(HubVersion.number)).where(HubVersion.hub_id == hub.id)) or 0) + 1
    changes = version_changes(instance_of(last) if last else None, instance)
    version = HubVersion(
        hub_id=hub.id,
        number=number,
        source_name=Path(source_name).name[:255],
        instance_yaml=instance_yaml(instance, Path(source_name).name),
        changes_json=json.dumps([c.as_dict() for c in changes]),
        uploaded_by=user.id if user else None,
        created_at=utcnow(),
    )
    db.add(version)
    db.flush()
    return version


def version_change_rows(version: HubVersion) -> list[dict[str, str]]:
    return json.loads(version.changes_json or "[]")


def add_hub(db: Session, slug: str, name: str) -> Hub:
    slug = slug.strip().lower()
    if not SLUG.fullmatch(slug):
        raise ValueError(f"'{slug}' cannot name a hub; use lowercase letters, digits and '-'")
    if db.scalar(select(Hub).where(Hub.slug == slug)) is not None:
        raise ValueError(f"a hub called '{slug}' exists already")
    name = name.strip()[:200] or slug
    hub = Hub(slug=slug, name=name, created_at=utcnow())
    db.add(hub)
    db.flush()
    return hub


def load_bundled_hubs(db: Session, folder: Path) -> list[Hub]:
    """Each bundled instance as a hub of its own with one version (a new database's start)."""
    hubs = []
    for stem, path in bundled_instances(folder).items():
        instance = load_instance(path)
        slug = re.sub(r"-\d{4}-\d{2}$", "", stem)
        hub = add_hub(db, slug, instance.hub.name)
        add_version(db, hub, instance, path.name, None)
        hubs.append(hub)
    return hubs
