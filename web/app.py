"""The workspace application: `create_app(settings)` builds it, ready for uvicorn.

At start it migrates the schema, makes the session key once, and marks jobs a stopped
server left running as interrupted. Every route must name its access rule (`web.auth`):
an application with a route that does not refuses to start.
"""

from __future__ import annotations

import contextlib

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware

from web.auth import SignInRequired, Viewer, access_rules, session_secret, signed_in_user
from web.db import UNREACHABLE, make_engine, migrate, session_factory, transaction
from web.jobs import Runner, mark_interrupted
from web.pages import HEADERS, HERE, render
from web.settings import Settings
from web.upload_checks import BodyLimit
from web.views import ROUTERS

FORM_OVERHEAD = 64 * 2**10  # an upload's form fields and multipart framing, beside the file
RETRY_AFTER = 30  # seconds, told to clients (calendar apps too) while the database is away


class UnguardedRoute(RuntimeError):
    """A route with no access rule: a programming error, caught before serving."""


class SecurityHeaders:
    """Every response's security headers (`web.pages.HEADERS`; a route's own stay). Plain
    ASGI: Starlette's `@app.middleware("http")` costs each request a task group and a
    stream, measurable at 200 feeds a second."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.database)
    migrate(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as db:
        secret = session_secret(db)
    mark_interrupted(sessions)
    runner = Runner(sessions, settings.solve_time_limit, settings.solve_seed, settings.today)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        runner.shutdown()
        engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings, app.state.engine, app.state.sessions, app.state.runner = (
        settings,
        engine,
        sessions,
        runner,
    )
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + FORM_OVERHEAD)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="hubplan_session",
        max_age=settings.session_days * 86_400,
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _exc: SignInRequired):
        return RedirectResponse(f"/?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException):
        with sessions() as db:
            viewer = Viewer(signed_in_user(request, db))
            messages = {
                404: "There is nothing here, or nothing you may see.",
                403: "You may not do that.",
                413: f"This is more than the server takes: an upload may be at most "
                f"{settings.max_upload_bytes // 2**20} MiB (a hub's workbook is far smaller). Nothing was stored.",
            }
            own = isinstance(exc.detail, str) and exc.status_code not in (404, 413)
            detail = exc.detail if own else None
            return render(
                request,
                viewer,
                "error.html",
                status_code=exc.status_code,
                title=f"Error {exc.status_code}",
                message=detail or messages.get(exc.status_code, "Something went wrong."),
            )

    async def database_away(request: Request, _exc: Exception):
        """The database cannot be reached: a page that says so, drawn without it. Pages work
        again as soon as it is back (see `web.db`)."""
        response = render(
            request,
            Viewer(None),
            "error.html",
            status_code=503,
            title="Error 503",
            message="The workspace's database is not answering just now, so nothing was read or changed. "
            "Try again in a minute.",
        )
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    for unreachable in UNREACHABLE:
        app.add_exception_handler(unreachable, database_away)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError):
        """A request without a field its form always sends (cut short, or not from a page of
        this site): one page saying so, never the framework's JSON."""
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return await error_page(
            request,
            HTTPException(
                400,
                f"This request arrived incomplete ({', '.join(fields) or 'its form'} missing "
                "or not as expected); nothing was changed. Go back, reload the page and try again.",
            ),
        )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    unguarded = sorted(f"{m} {p}" for (m, p), rule in access_rules(app).items() if rule is None)
    if unguarded:
        raise UnguardedRoute("routes without an access rule: " + ", ".join(unguarded))
    return app
