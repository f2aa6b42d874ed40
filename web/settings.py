"""What a workspace server is told at start: where its database is, how it plans, how it is reached."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE = "sqlite:///hubplan-workspace.db"  # a file in the working folder
MAX_UPLOAD_BYTES = 10 * 2**20  # far above any hub's workbook; below models.limits' 50 MiB
BUNDLED = Path(__file__).resolve().parents[1] / "instances"


@dataclass(frozen=True)
class Settings:
    database: str = DEFAULT_DATABASE
    host: str = "127.0.0.1"
    port: int = 8000
    solve_time_limit: float = 60.0  # CP-SAT deterministic seconds per model, as `hubplan solve`
    solve_seed: int = 0
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    # Cookies marked Secure when the server is reached over https (behind a reverse proxy).
    secure_cookies: bool = False
    session_days: int = 14
    bundled: Path = BUNDLED  # instances offered as a start, loaded as hubs into a new database
    # The date planning treats as today (sessions before it stay): HUBPLAN_TODAY, for trying
    # a year out and for tests; by default the real date.
    today_is: dt.date | None = None
    # Messages to the people a change moved (`web.notify`): an SMTP server, or none (the
    # coordinator downloads them as .eml files). Login and password come from HUBPLAN_SMTP_USER
    # and HUBPLAN_SMTP_PASSWORD, never a file or the command line.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = ""
    smtp_starttls: bool = True

    def today(self) -> dt.date:
        return self.today_is or dt.date.today()

    @classmethod
    def from_env(cls, **given) -> Settings:
        """Settings from arguments, then HUBPLAN_* environment variables, then defaults."""
        env = os.environ
        values = {
            "solve_time_limit": float(env.get("HUBPLAN_SOLVE_TIME_LIMIT", cls.solve_time_limit)),
            "secure_cookies": env.get("HUBPLAN_SECURE_COOKIES", "") in ("1", "true", "yes"),
            "today_is": dt.date.fromisoformat(env["HUBPLAN_TODAY"]) if env.get("HUBPLAN_TODAY") else None,
            "smtp_host": env.get("HUBPLAN_SMTP_HOST", ""),
            "smtp_port": int(env.get("HUBPLAN_SMTP_PORT", cls.smtp_port)),
            "smtp_from": env.get("HUBPLAN_SMTP_FROM", ""),
            "smtp_starttls": env.get("HUBPLAN_SMTP_STARTTLS", "1") in ("1", "true", "yes"),
        }
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
