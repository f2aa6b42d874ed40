"""Generated hubs written: YAML (in models.yamlstyle's measure for generated hubs, with a
comment saying what made the file) or JSON, atomically."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.yamlstyle import GENERATED, dump_yaml
from scheduler.outputs.files import write_file

from .builder import generate_instance


def describe(data: Mapping[str, Any]) -> str:
    """One line of sizes: Work Groups, schools, specialists, teachers."""
    return (
        f"{len(data['work_groups'])} Work Groups, {len(data['schools'])} schools, "
        f"{len(data['specialists'])} specialists, {len(data['teachers'])} teachers"
    )


def render_instance(data: Mapping[str, Any], fmt: str = "yaml", header: str = "") -> bytes:
    """The instance as YAML (with `header` as comment lines) or JSON, as bytes."""
    if fmt == "json":
        return (json.dumps(data, indent=1, ensure_ascii=False, default=dt.date.isoformat) + "\n").encode()
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return (comment + dump_yaml(dict(data), GENERATED)).encode()


def write_instance(data: Mapping[str, Any], path: str | Path, header: str = "") -> Path:
    """Write the instance to `path` (.json as JSON, else YAML), atomically."""
    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    write_file(path, render_instance(data, fmt, header))
    return path


def generated_header(data: Mapping[str, Any], work_groups: int, seed: int, hub: int) -> str:
    """Comment lines for a generated file: what made it and what is in it."""
    return (
        f"A synthetic Maths Hub written by `hubplan generate --work-groups {work_groups} --seed {seed}`"
        f" (hub {hub}).\n{data['hub']['name']}: every name is invented, places are only roughly real.\n"
        f"{describe(data)}.\nThe same command writes the same bytes; see scheduler/operations/generate/facts.py for the facts used."
    )


def write_hubs(work_groups: int, hubs: int, seed: int, folder: str | Path) -> list[Path]:
    """Write `hubs` whole instances (`hub-01.yaml`, …) of `work_groups` Work Groups each."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(hubs)))
    paths = []
    for hub in range(1, hubs + 1):
        data = generate_instance(work_groups, seed, hub)
        header = generated_header(data, work_groups, seed, hub)
        paths.append(write_instance(data, folder / f"hub-{hub:0{width}d}.yaml", header))
    return paths
