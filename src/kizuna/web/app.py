"""The app factory: one FastAPI app assembled from the feature registry.

`create_app(kz)` mounts every feature's JSON routers under /api/v1 and its page routers,
the shell's own routes (root, language switch, API docs, /healthz), static assets and the
error handlers. It holds no feature logic and imports no feature at module level: the
registry names the routers and they are imported here, when the app is built. The
server, the tests and `kizuna demo` build it the same way. The lifespan runs the
embedded job worker when `settings.embedded_worker` is on.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kizuna import __version__
from kizuna.app import Kizuna
from kizuna.features import features
from kizuna.registry import load_object
from kizuna.web.api import API_PREFIX, OPENAPI_URL, docs_router
from kizuna.web.errors import install_error_handlers
from kizuna.web.i18n import load_catalogs
from kizuna.web.limits import BodyLimits
from kizuna.web.openapi import install_openapi
from kizuna.web.pages import router as shell_router
from kizuna.web.routing import PageRouter, PrefixedRouter, SummaryRoute
from kizuna.web.security import SecurityHeaders
from kizuna.web.sessions import ServerSessions
from kizuna.web.templating import build_templates
from kizuna.web.throttle import LoginThrottle

__all__ = ["create_app", "freeze_start_up"]

log = logging.getLogger("kizuna.web")
STATIC_DIR = Path(__file__).parent / "static"


def freeze_start_up() -> None:
    """Put what start-up loaded (every feature, NumPy, scikit-learn: ~350,000 objects) out
    of the garbage collector's sight: it lives as long as the process, and a full
    collection then walks only what requests made. Production servers do it at start (the
    batch API: about a fifth less CPU per call, measured); `bench.pages` too, to time pages
    as they run there."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    kz: Kizuna = app.state.kz
    worker = None
    if kz.settings.embedded_worker:
        from kizuna.jobs.worker import EmbeddedWorker

        worker = EmbeddedWorker(kz)
        worker.start()
    app.state.worker = worker
    if kz.settings.env == "production":
        freeze_start_up()
    try:
        yield
    finally:
        if worker is not None:
            worker.stop(timeout=5)
        app.state.worker = None


def _feature_routers() -> tuple[APIRouter, list[APIRouter]]:
    """The features' JSON routes under one /api/v1 router, and their page routers."""
    api = PrefixedRouter(prefix=API_PREFIX, route_class=SummaryRoute)
    pages: list[APIRouter] = []
    for feature in features():
        for target in feature.api:
            api.include_router(load_object(target))
        pages.extend(load_object(target) for target in feature.pages)
    return api, pages


def create_app(kz: Kizuna) -> FastAPI:
    """Kizuna's web app over an application object."""
    app = FastAPI(
        title="Kizuna API",
        version=__version__,
        summary="Customer experience management: customers, feedback and metrics.",
        description="Every route needs an `X-API-Key` header and works in that key's workspace, "
        "with that key's role and scopes. Errors have one shape: "
        '`{"error": {"code", "message", "details"}}`, in the language of `Accept-Language` '
        "(ja or en; ja by default).",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    settings = kz.settings
    app.state.kz = kz
    app.state.worker = None
    app.state.catalogs = load_catalogs()
    app.state.templates = build_templates(app.state.catalogs)
    # Per address and e-mail (a guessed password), and per address alone (one address
    # trying many accounts).
    app.state.login_throttle = LoginThrottle(settings.signing_key("throttle"))
    app.state.address_throttle = LoginThrottle(
        settings.signing_key("throttle"), max_failures=30, window_seconds=300.0
    )
    app.add_middleware(ServerSessions, kz=kz)
    app.add_middleware(SecurityHeaders, hsts=settings.env == "production")
    app.add_middleware(
        BodyLimits,
        default=settings.max_request_bytes,
        batch=settings.max_batch_request_bytes,
        language=settings.language,
    )
    install_error_handlers(app)
    install_openapi(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    api_router, page_routers = _feature_routers()
    app.include_router(api_router)
    app.include_router(PageRouter.around(docs_router))
    app.include_router(PageRouter.around(shell_router))
    for router in page_routers:
        app.include_router(PageRouter.around(router))

    @app.get("/healthz", include_in_schema=False)
    def check_health(request: Request) -> JSONResponse:
        """Liveness and database reachability, for load balancers and `curl`."""
        try:
            with kz.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
