"""Throttling password guesses, per account and per address.

Failed sign-ins are rows of `login_attempts`, not counters in memory, so every server
process sees the same count and a restart forgets nothing. While an account has
`PER_ACCOUNT` failures within `WINDOW`, or an address `PER_ADDRESS`, sign-ins for it are
refused before the password is looked at, a right one too: a guesser learns nothing, and
argon2's cost is not theirs to spend. The wait ends as the oldest failure leaves the window.
Unknown e-mail addresses count like known ones, so the answer tells no one which exist.

The address is the client's as uvicorn reports it; behind a reverse proxy on this machine
uvicorn takes it from X-Forwarded-For (its `forwarded_allow_ips` trusts 127.0.0.1 only).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from web.tables import LoginAttempt

WINDOW = dt.timedelta(minutes=15)
PER_ACCOUNT = 5  # failed sign-ins for one account within WINDOW
PER_ADDRESS = 20  # failed sign-ins from one address within WINDOW (a school's shared network)


@dataclass(frozen=True)
class Throttled:
    """Sign-ins refused for now: `whose` ("this account" or "your network") and for how long."""

    whose: str
    seconds: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.seconds / 60))
        return (
            f"Too many failed sign-ins for {self.whose}. "
            f"Try again in {minutes} minute{'' if minutes == 1 else 's'}."
        )


def throttled(db: Session, email: str, address: str, now: dt.datetime) -> Throttled | None:
    """Why sign-ins for `email` from `address` are refused now, or None."""
    since = now - WINDOW
    for whose, column, key, most in (
        ("this account", LoginAttempt.email, _email(email), PER_ACCOUNT),
        ("your network", LoginAttempt.address, _address(address), PER_ADDRESS),
    ):
        count, oldest = db.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(column == key, LoginAttempt.at > since)
        ).one()
        if count >= most:
            return Throttled(whose, math.ceil((oldest + WINDOW - now).total_seconds()))
    return None


def record_failure(db: Session, email: str, address: str, now: dt.datetime) -> None:
    """Count a failed sign-in (and drop failures that have left the window)."""
    db.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - WINDOW))
    db.add(LoginAttempt(email=_email(email), address=_address(address), at=now))
    db.flush()


def forget_failures(db: Session, email: str) -> None:
    """After the right password: the account's earlier failures no longer count against it."""
    db.execute(delete(LoginAttempt).where(LoginAttempt.email == _email(email)))


def _email(email: str) -> str:
    return email.strip().lower()[:254]


def _address(address: str) -> str:
    return (address or "unknown")[:64]
