"""What a workspace server is told at start: where its database is, how it plans, how it is reached."""

from __future__ import annotations

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

    @classmethod
    def from_env(cls, **given) -> Settings:
        """Settings from arguments, then HUBPLAN_* environment variables, then defaults."""
        env = os.environ
        values = {
            "solve_time_limit": float(env.get("HUBPLAN_SOLVE_TIME_LIMIT", cls.solve_time_limit)),
            "secure_cookies": env.get("HUBPLAN_SECURE_COOKIES", "") in ("1", "true", "yes"),
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
