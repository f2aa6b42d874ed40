"""The workspace application: `create_app(settings)` builds it, ready for uvicorn.

At start it migrates the schema, makes the session key once, and marks jobs a stopped
server left running as interrupted. Every route must name its access rule (`web.auth`):
an application with a route that does not refuses to start.
"""

from __future__ import annotations

import contextlib

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from web.auth import SignInRequired, Viewer, access_rules, session_secret, signed_in_user
from web.db import make_engine, migrate, session_factory, transaction
from web.jobs import Runner, mark_interrupted
from web.pages import HEADERS, HERE, render
from web.settings import Settings
from web.views import ROUTERS


class UnguardedRoute(RuntimeError):
    """A route with no access rule: a programming error, caught before serving."""


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

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings, app.state.engine, app.state.sessions, app.state.runner = (
        settings,
        engine,
        sessions,
        runner,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="hubplan_session",
        max_age=settings.session_days * 86_400,
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _exc: SignInRequired):
        return RedirectResponse(f"/?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException):
        with sessions() as db:
            viewer = Viewer(signed_in_user(request, db))
            messages = {404: "There is nothing here, or nothing you may see.", 403: "You may not do that."}
            detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
            return render(
                request,
                viewer,
                "error.html",
                status_code=exc.status_code,
                title=f"Error {exc.status_code}",
                message=detail or messages.get(exc.status_code, "Something went wrong."),
            )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    unguarded = sorted(f"{m} {p}" for (m, p), rule in access_rules(app).items() if rule is None)
    if unguarded:
        raise UnguardedRoute("routes without an access rule: " + ", ".join(unguarded))
    return app
