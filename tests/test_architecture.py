"""The shape of the code: imports run one way, no cycles, no module too long to read.

Layers, lowest first; a module may import its own layer and those below, never above:

    models  →  scheduler.core  →  scheduler.services  →  scheduler.outputs
            →  scheduler.operations  →  web, cli

Every import counts, at the top of a module or inside a function, and so do imports made
only for type checking: a reader follows them all.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import ROOT

LAYERS = (
    ("models",),
    ("scheduler.core",),
    ("scheduler.services",),
    ("scheduler.outputs",),
    ("scheduler.operations",),
    ("web", "cli"),
)
MAX_LINES = 500
PACKAGES = ("models", "scheduler", "web")

# Ratchets: what is still to be mended. Each entry goes when its module is mended, and the
# test fails if an entry is no longer needed, so the lists only ever shrink.
TOO_LONG: set[str] = set()
KNOWN_CYCLES: set[frozenset[str]] = set()


def modules() -> dict[str, Path]:
    out = {"cli": ROOT / "cli.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else ():
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def layer(name: str) -> int:
    for i, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return i
    return -1  # the package roots (scheduler/__init__.py): nothing to import


def cycles(g: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_imports_run_one_way():
    wrong = [
        f"{a} ({LAYERS[layer(a)][0]}) imports {b} ({LAYERS[layer(b)][0]})"
        for a, targets in sorted(graph().items())
        for b in sorted(targets)
        if layer(a) >= 0 and layer(b) > layer(a)
    ]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_models_never_import_the_scheduler():
    g = graph()
    assert not {
        a: t for a, t in g.items() if a.startswith("models") and any(x.startswith("scheduler") for x in t)
    }


def test_no_import_cycles():
    found = set(cycles(graph()))
    assert found <= KNOWN_CYCLES, f"new import cycles: {[sorted(c) for c in found - KNOWN_CYCLES]}"
    assert KNOWN_CYCLES <= found, (
        f"mended, take off KNOWN_CYCLES: {[sorted(c) for c in KNOWN_CYCLES - found]}"
    )


def test_no_module_over_500_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}
    long = {name for name, n in lengths.items() if n > MAX_LINES}
    assert long <= TOO_LONG, "over 500 lines: " + ", ".join(
        f"{m} ({lengths[m]})" for m in sorted(long - TOO_LONG)
    )
    assert TOO_LONG <= long, f"mended, take off TOO_LONG: {sorted(TOO_LONG - long)}"


def test_cycle_finder_finds_a_cycle():
    g = defaultdict(set, {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert cycles(g) == [frozenset({"a", "b", "c"})]
