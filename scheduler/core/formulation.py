"""The whole model of a Problem: every hard rule posted, then the soft goals as the objective.

The one place that knows both the rules (`scheduler.core.rules`) and the objective
(`scheduler.core.objective`), so neither they nor the builder (`scheduler.core.model`)
import each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from scheduler.core.model import Builder
from scheduler.core.objective import add_goals
from scheduler.core.problem import Problem
from scheduler.core.rules import RULES, Rule


def build(
    problem: Problem,
    extra: dict[str, list[tuple[dt.date, str]]] | None = None,
    only: dict[str, set[tuple[dt.date, str]]] | None = None,
) -> Builder:
    """The model to solve: the rules, and the weighted soft goals S1–S4 to minimise
    (`extra` and `only`: see `Builder`)."""
    b = Builder(problem, extra=extra or {}, only=only or {})
    post_rules(b)
    add_goals(b)
    b.model.minimize(b.objective())
    return b


def post_rules(b: Builder, rules: Iterable[Rule] = RULES) -> Builder:
    """Post these rules, in order; every constraint a rule posts must carry its label
    (an unlabelled one would be invisible to an explanation)."""
    for rule in rules:
        before, blocks = len(b.model.proto.constraints), len(b.blocks)
        rule.add(b)
        posted = len(b.model.proto.constraints) - before
        named = sum(block.end - block.first for block in b.blocks[blocks:])
        if named != posted:
            raise RuntimeError(f"{rule.id} posted {posted - named} constraints outside Builder.about")
    return b
