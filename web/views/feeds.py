"""Subscription feeds (no login: the token is the key) and the Work Group colours."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from web import feeds
from web.auth import PUBLIC, Viewer, database
from web.yearview import palette_css

router = APIRouter()
PALETTE_CSS = palette_css()


@router.get("/feeds/{token}.ics")
def feed(request: Request, token: str, viewer: Viewer = Depends(PUBLIC), db: Session = Depends(database)):
    found = feeds.lookup(db, token, dt.date.today())
    if found is None:
        raise HTTPException(404)
    content, etag = found
    quoted = f'"{etag}"'
    headers = {"ETag": quoted, "Cache-Control": "no-cache"}
    sent = request.headers.get("if-none-match", "")
    if quoted in [t.strip().removeprefix("W/") for t in sent.split(",")] or sent.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="text/calendar; charset=utf-8", headers=headers)


@router.get("/palette.css")
def palette(viewer: Viewer = Depends(PUBLIC)):
    return Response(PALETTE_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
