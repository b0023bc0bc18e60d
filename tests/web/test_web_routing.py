"""A router under a prefix answers at once for paths outside it, and serves its own as before."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Scope

from kizuna.web.routing import PageRouter, PrefixedRouter


def test_a_prefixed_router_skips_paths_outside_its_prefix_and_serves_its_own() -> None:
    tried: list[str] = []

    class Counting(APIRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            tried.append(scope["path"])
            return super().matches(scope)

    inner = APIRouter(route_class=Counting)
    calls: list[str] = []

    @inner.get("/{name}")
    def read(name: str) -> dict[str, str]:
        calls.append(name)
        return {"api": name}

    api = PrefixedRouter(prefix="/api/v1")
    api.include_router(inner)
    pages = APIRouter()

    @pages.get("/s/{key}")
    def page(key: str) -> dict[str, str]:
        return {"page": key}

    app = FastAPI()
    app.include_router(api)
    app.include_router(pages)
    with TestClient(app) as client:
        assert client.get("/api/v1/customers").json() == {"api": "customers"}
        assert client.get("/s/abc").json() == {"page": "abc"}
        assert client.get("/api/v1/a/b").status_code == 404
        assert client.get("/elsewhere").status_code == 404
    assert calls == ["customers"]
    assert "/s/abc" not in tried and "/elsewhere" not in tried, "API routes were walked"
    assert "/api/v1/customers" in tried


def test_a_page_router_skips_paths_none_of_its_routes_can_match_and_serves_its_own() -> None:
    tried: list[str] = []

    class Counting(APIRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            tried.append(scope["path"])
            return super().matches(scope)

    admin = APIRouter(route_class=Counting)

    @admin.get("/w/{slug}/things")
    def things(slug: str) -> dict[str, str]:
        return {"admin": slug}

    public = APIRouter()

    @public.get("/s/{key}")
    def page(key: str) -> dict[str, str]:
        return {"page": key}

    app = FastAPI()
    app.include_router(PageRouter.around(admin))
    app.include_router(PageRouter.around(public))

    @admin.post("/x/{name}")  # added after inclusion: served as well
    def late(name: str) -> dict[str, str]:
        return {"late": name}

    with TestClient(app) as client:
        assert client.get("/s/abc").json() == {"page": "abc"}
        assert client.get("/w/acme/things").json() == {"admin": "acme"}
        assert client.post("/x/y").json() == {"late": "y"}
        assert client.get("/x/y").status_code == 405  # the same answer as without the shortcut
        assert client.get("/elsewhere").status_code == 404
    assert "/s/abc" not in tried and "/elsewhere" not in tried, "the admin routes were walked"
    assert "/w/acme/things" in tried
