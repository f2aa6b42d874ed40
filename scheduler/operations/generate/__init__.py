"""Realistic synthetic hubs for tests and benchmarks: `hubplan generate`.

`generate_instance(work_groups, seed, hub)` returns one instance as plain data (CONTRACT.md's
shape, dates as `datetime.date`); `render_instance` and `write_instance` turn it into YAML or
JSON. Everything is drawn from one `random.Random` seeded from (seed, hub) and built in a
fixed order, so the same arguments give byte-identical files.

Modules: `facts` (the realism facts and where each comes from), `names` (name parts),
`builder` (one hub built, feasible by construction), `write` (files).
"""

from .builder import generate_instance, programme_sequence
from .facts import FACTS, HUB_RADIUS_KM, NATIONAL_HUBS, PROGRAMME_MIX, REGIONS, TYPICAL_WORK_GROUPS
from .write import describe, generated_header, render_instance, write_hubs, write_instance

__all__ = [
    "FACTS",
    "HUB_RADIUS_KM",
    "NATIONAL_HUBS",
    "PROGRAMME_MIX",
    "REGIONS",
    "TYPICAL_WORK_GROUPS",
    "describe",
    "generate_instance",
    "generated_header",
    "programme_sequence",
    "render_instance",
    "write_hubs",
    "write_instance",
]
