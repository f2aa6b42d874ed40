"""Rendering pages: one Jinja2 environment (autoescape on, no inline script or style), the
context every page shares, and the security headers every response carries."""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates

from web.auth import Viewer, csrf_token

HERE = Path(__file__).resolve().parent
# No inline script or style at all: every script and style sheet is a file of web/static.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# What a downloaded report.html may do: show its own inline styles, run nothing.
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # feed tokens never leave in a Referer
    "X-Frame-Options": "DENY",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda x: f"£{x:,.2f}" if x >= 0 else f"−£{-x:,.2f}"
    env.filters["number"] = lambda x: f"{x:g}"
    return env


TEMPLATES = Jinja2Templates(env=_environment())


def render(request: Request, viewer: Viewer, template: str, status_code: int = 200, **context):
    base = {
        "viewer": viewer,
        "user": viewer.user,
        "hub": viewer.hub,
        "csrf": csrf_token(request),
        "title": "",
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
