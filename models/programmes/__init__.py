"""Programmes as data: what a Work Group's programme asks for, as streams of like sessions.

A programme is a set of session *streams*, keyed by the session kind of plan.json (`group`,
`visit`, `headteachers`, `development`, `central`). A stream says who leads and who attends,
where, how long one session may be, how many there are (in days, in sessions, per term or
per half-term), how far apart they fall and which stream comes first. The built-in
programmes of DOMAIN.md (`builtin`) are written in exactly the form an instance uses under
`programmes:`, and the model (rules R4–R9, R13, the S1 spread) and `hubplan check` read
nothing else.

Three layers, pydantic only at the edge:
- `definition`: `ProgrammeDef` / `StreamDef` (pydantic), the shape as a user writes it;
- `meaning`: `definition_problems` / `programme_problems`, what it means (references to
  params and streams, numbers that cannot add up), as `(field path, message)` pairs;
- `plain`: the frozen `Programme` of one Work Group (`ProgrammeDef.resolve`), params filled in.

Numbers are a number `n` (exactly n), `[min, max]` (`max: null` for no limit) or the name of
one of the programme's `params`, which a Work Group may override. Days count half-days as 0.5.
"""

from .builtin import PROGRAMMES
from .definition import KINDS, ProgrammeDef, StreamDef
from .meaning import central_problems, count_problems, definition_problems, programme_problems
from .plain import PER_RELEASE_DAY, Programme, Stream, expected_sessions, funding_amount

__all__ = [
    "KINDS",
    "PER_RELEASE_DAY",
    "PROGRAMMES",
    "Programme",
    "ProgrammeDef",
    "Stream",
    "StreamDef",
    "central_problems",
    "count_problems",
    "definition_problems",
    "expected_sessions",
    "funding_amount",
    "programme_problems",
]
