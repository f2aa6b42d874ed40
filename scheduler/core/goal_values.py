"""What a plan scores on the soft goals S1–S4, read off the very terms the solver minimises.

`scheduler.core.objective` gives each goal as linear terms over the model's variables: the
session variables `x[activity, date, slot]` and helper variables it defines by constraints
(a week met, a window missed, a trip made, cover beyond funding). `GoalValues` builds those
terms once for some activities and then, for any placement of their sessions, sets each
helper to the least value its constraints allow. The solver, minimising, does the same at
its optimum, so the values are the goals' own and never a second copy of them; a test holds
them to what the solver reports (`tests/test_goal_values.py`).

The workspace asks what moving one session would cost: `delta` changes two session
variables and walks only what depends on them, so every date and slot of a session's
window is priced in a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model_helper

from scheduler.core.model import SOFT_GOALS, Builder
from scheduler.core.objective import add_goals
from scheduler.core.problem import Problem
from scheduler.core.rules.where import WHERE

GOALS = tuple(k for k in SOFT_GOALS if k != "S5")  # S1–S4: S5 counts changes, not a plan's worth
Placement = tuple[str, dt.date, str]  # (activity key, date, slot)


class UnknownConstraint(RuntimeError):
    """The objective defines a helper variable in a way this module cannot evaluate."""


@dataclass(frozen=True)
class _Rule:
    """One constraint read as 'target >= f(inputs)'."""

    kind: str  # or | and | max | linear
    target: int  # the variable it bounds from below
    inputs: tuple[int, ...]  # literal or variable indices it reads (see _bound)
    coeffs: tuple[int, ...] = ()
    offset: int = 0  # linear: the lower end of the domain; max: unused


class Values(list):
    """Every variable's value, with each linear rule's sum of inputs kept once found."""

    def __init__(self, values):
        super().__init__(values)
        self.sums: dict[int, int] = {}

    def sum(self, j: int, rule: _Rule) -> int:
        if j not in self.sums:
            self.sums[j] = sum(a * self[v] for v, a in zip(rule.inputs, rule.coeffs[1:]))
        return self.sums[j]


def _var(literal: int) -> int:
    return literal if literal >= 0 else -literal - 1


class GoalValues:
    """The soft goals of `problem`'s activities for any placement of their sessions.

    `extra` adds (date, slot)s the rules do not allow (sessions placed there by hand), so
    that they too have variables; everything else is the solver's model's own candidates.
    """

    def __init__(self, problem: Problem, extra: dict[str, list[tuple[dt.date, str]]] | None = None):
        b = Builder(problem, extra=extra or {})
        for rule in WHERE:  # the candidates the solver's model has (R1–R3's `add` narrows so)
            b.narrow(rule.allowed)
        add_goals(b)
        self.problem = problem
        self.weights = {
            "S1": problem.weights["spread"],
            "S2": problem.weights["preferences"],
            "S3": problem.weights["travel"],
            "S4": problem.weights["cost"],
        }
        self.index: dict[Placement, int] = {
            (key, day, slot): x.index for key, xs in b.cands.items() for day, slot, x in xs
        }
        proto = b.model.proto
        self.lower = [v.domain[0] for v in proto.variables]
        self.rules = [_read(c) for c in proto.constraints]
        self.defining: dict[int, list[int]] = defaultdict(list)  # variable -> rules bounding it
        self.readers: dict[int, list[int]] = defaultdict(list)  # variable -> rules reading it
        for i, r in enumerate(self.rules):
            self.defining[r.target].append(i)
            for lit in r.inputs:
                self.readers[_var(lit)].append(i)
        self._linear: dict[int, dict[int, int]] = {}
        self.terms: list[tuple[str, tuple[int, ...], tuple[int, ...], int]] = []
        self.term_readers: dict[int, list[int]] = defaultdict(list)
        for goal in GOALS:
            for term in b.soft[goal]:
                if isinstance(term, int):
                    self.terms.append((goal, (), (), term))
                    continue
                flat = cp_model_helper.FlatIntExpr(term)
                self.terms.append((goal, tuple(v.index for v in flat.vars), tuple(flat.coeffs), flat.offset))
                for v in flat.vars:
                    self.term_readers[v.index].append(len(self.terms) - 1)

    # -- whole plans ----------------------------------------------------------------------
    def values(self, placed: list[Placement]) -> Values:
        """Every variable's value with exactly these sessions placed (a Placement without a
        variable is an activity or slot this model does not have: KeyError)."""
        vals = Values(self.lower)
        for p in placed:
            vals[self.index[p]] = 1
        for r in self.rules:  # each helper is made after what it reads: one pass in order
            vals[r.target] = max(vals[r.target], _bound(r, vals))
        return vals

    def goals(self, vals: list[int]) -> dict[str, int]:
        """S1–S4, unweighted, as plan.json's `objective_terms` gives them."""
        out = dict.fromkeys(GOALS, 0)
        for goal, vs, cs, offset in self.terms:
            out[goal] += offset + sum(c * vals[v] for v, c in zip(vs, cs))
        return out

    def weighted(self, goals: dict[str, int]) -> int:
        return sum(self.weights[g] * n for g, n in goals.items())

    # -- one session moved ------------------------------------------------------------------
    def delta(self, vals: Values, off: Placement, on: Placement) -> dict[str, int]:
        """How S1–S4 change when the session at `off` moves to `on`, from `vals` (left as is).

        Only what depends on the two session variables is walked again; a linear bound (the
        cover beyond funding, over every session of a Work Group) is moved by the change in
        its inputs, not summed again."""
        changed: dict[int, int] = {self.index[off]: 0}
        changed[self.index[on]] = 1
        if vals[self.index[on]] == 1 and self.index[on] != self.index[off]:
            raise ValueError(f"{on} is taken already")
        pending = sorted({i for v in changed for i in self.readers[v]})

        def now(v: int) -> int:
            return changed.get(v, vals[v])

        while pending:
            i = pending.pop(0)
            target = self.rules[i].target
            value = self.lower[target]
            for j in self.defining[target]:
                rule = self.rules[j]
                if rule.kind == "linear":
                    weights = self._weights(j)
                    moved = sum(weights[v] * (now(v) - vals[v]) for v in changed if v in weights)
                    need = rule.offset - vals.sum(j, rule) - moved
                    value = max(value, -(-need // rule.coeffs[0]))
                else:
                    value = max(value, _bound(rule, now))
            if value != now(target):
                changed[target] = value
                pending = sorted(set(pending) | set(self.readers[target]))
        out = dict.fromkeys(GOALS, 0)
        for t in sorted({t for v in changed for t in self.term_readers[v]}):
            goal, vs, cs, _ = self.terms[t]
            out[goal] += sum(c * (now(v) - vals[v]) for v, c in zip(vs, cs) if v in changed)
        return out

    def _weights(self, j: int) -> dict[int, int]:
        """A linear rule's input variables and their coefficients (made once)."""
        found = self._linear.get(j)
        if found is None:
            rule = self.rules[j]
            found = self._linear[j] = dict(zip(rule.inputs, rule.coeffs[1:]))
        return found


def _read(c) -> _Rule:
    """A constraint of the objective's helpers, as a lower bound on its newest variable."""
    if c.has_lin_max():
        target = c.lin_max.target
        if len(target.vars) != 1 or target.coeffs[0] != 1 or any(len(e.vars) != 1 for e in c.lin_max.exprs):
            raise UnknownConstraint("a max over expressions of more than one variable")
        return _Rule("max", target.vars[0], tuple(e.vars[0] for e in c.lin_max.exprs))
    if c.has_bool_or() and not c.enforcement_literal:
        lits = tuple(c.bool_or.literals)
        newest = max(lits, key=_var)
        if newest < 0:
            raise UnknownConstraint("a clause whose newest literal is negated")
        return _Rule("or", newest, tuple(x for x in lits if x != newest))
    if c.has_bool_and() and len(c.bool_and.literals) == 1 and c.bool_and.literals[0] >= 0:
        return _Rule("and", c.bool_and.literals[0], tuple(c.enforcement_literal))
    if c.has_linear() and not c.enforcement_literal:
        pairs = sorted(zip(c.linear.vars, c.linear.coeffs))
        target, coeff = pairs[-1]
        if coeff <= 0:
            raise UnknownConstraint("a linear bound on its newest variable from above")
        return _Rule(
            "linear",
            target,
            tuple(v for v, _ in pairs[:-1]),
            (coeff, *(a for _, a in pairs[:-1])),
            c.linear.domain[0],
        )
    raise UnknownConstraint(f"a constraint this evaluator does not read: {str(c)[:80]}")


def _bound(r: _Rule, vals) -> int:
    """The least value `r` lets its target take, given the values of its inputs."""
    get = vals.__getitem__ if isinstance(vals, list) else vals

    def lit(x: int) -> int:
        return get(x) if x >= 0 else 1 - get(-x - 1)

    if r.kind == "max":
        return max((get(v) for v in r.inputs), default=0)
    if r.kind == "or":  # one literal of the clause must hold: the target if no other does
        return 0 if any(lit(x) for x in r.inputs) else 1
    if r.kind == "and":  # enforcement literals all true: the target holds
        return 1 if all(lit(x) for x in r.inputs) else 0
    coeff, *rest = r.coeffs  # coeff * target + sum(rest * inputs) >= offset
    need = r.offset - sum(a * get(v) for v, a in zip(r.inputs, rest))
    return -(-need // coeff)
