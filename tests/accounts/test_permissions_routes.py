"""Every route against every role: allowed or 403, exactly as the one permission table says.

Walks the assembled app (every feature's API and page routes), finds the permission each
route's dependency checks, and calls it once per role: through an API key of that role for
/api/v1, through a logged-in member of that role for pages. A route that names no
permission must be one of the few public ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.keys import create_api_key
from kizuna.accounts.models import ROLES, Workspace
from kizuna.accounts.permissions import permission_table, role_allows
from kizuna.accounts.service import add_member, create_user
from kizuna.web import create_app
from kizuna.web.deps import api_caller, page_member

PUBLIC = {
    "/",
    "/login",
    "/logout",
    "/lang",
    "/healthz",
    "/api/docs",
    "/api/v1/openapi.json",
    "/invite/{token}",
    "/u/{token}",
    # issue 11: the public changelog ("お客様の声から生まれた改善"), no login
    "/p/{slug}/changelog",
    # issue 10: survey answering pages, the widget script and their assets (no login)
    "/s/{key}",
    "/s/i/{token}",
    "/s/widget.js",
    "/s/assets/{name}",
    "/s/{key}/logo",
}
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _permission_of(dependant: Dependant) -> str | None:
    found = None
    for dep in dependant.dependencies:
        if isinstance(dep.call, api_caller | page_member):
            return dep.call.permission
        found = found or _permission_of(dep)
    return found


def _routes(app: Any) -> Iterator[tuple[str, str, APIRoute]]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            path = context.path if hasattr(context, "path") and context.path else route.path
            for method in sorted(route.methods - {"HEAD"}):
                yield method, path, route


@pytest.fixture(scope="module")
def app(kz: Kizuna) -> Any:
    settings = kz.settings.model_copy(update={"embedded_worker": False})
    return create_app(Kizuna(settings, engine=kz.engine))


@pytest.fixture(scope="module")
def callers(kz: Kizuna, app: Any) -> dict[str, Any]:
    """A workspace with a member and (but for owner) an API key of every role."""
    import uuid

    from kizuna.accounts.service import init_workspace

    slug = f"perm-{uuid.uuid4().hex[:8]}"
    with kz.session() as session:
        made = init_workspace(session, slug, f"owner-{slug}@example.com", password=PASSWORD)
        workspace = made.workspace
        keys = {
            role: create_api_key(session, workspace, f"{role} key", role)
            for role in ROLES
            if role != "owner"
        }
        emails = {"owner": made.admin.email}
        for role in ROLES[1:]:
            user = create_user(session, f"{role}-{slug}@example.com", PASSWORD)
            add_member(session, workspace, user, role)
            emails[role] = user.email
    pages: dict[str, tuple[TestClient, str]] = {}
    for role, email in emails.items():
        client = TestClient(app)
        token = CSRF.search(client.get("/login").text)
        assert token
        answer = client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        home = client.get(f"/w/{slug}/admin/audit" if role in ("owner", "admin") else "/login")
        found = CSRF.search(home.text)
        assert found
        pages[role] = (client, found.group(1))
    return {"slug": slug, "keys": keys, "pages": pages}


def _url(path: str, slug: str) -> str:
    filled = (
        path.replace("{slug}", slug).replace("{token}", "not-a-token").replace("{metric}", "nps")
    )
    return re.sub(r"\{[a-z_]+(:int)?\}", "999999999", filled)


def test_every_route_names_a_permission_or_is_public(app: Any) -> None:
    table = permission_table()
    unguarded = []
    for method, path, route in _routes(app):
        permission = _permission_of(route.dependant)
        if permission is None:
            if path not in PUBLIC:
                unguarded.append(f"{method} {path}")
            continue
        assert permission in table, f"{method} {path} checks the undeclared {permission!r}"
    assert unguarded == [], f"routes without a permission: {unguarded}"


def test_every_role_is_allowed_or_refused_exactly_as_the_table_says(
    app: Any, callers: dict[str, Any]
) -> None:
    slug = callers["slug"]
    checked = 0
    wrong: list[str] = []
    for method, path, route in _routes(app):
        permission = _permission_of(route.dependant)
        if permission is None:
            continue
        url = _url(path, slug)
        for role in ROLES:
            if path.startswith("/api/"):
                if role == "owner":  # keys go up to admin; the owner is a page user
                    continue
                client = TestClient(app, headers={"X-API-Key": callers["keys"][role]})
                answer = client.request(method, url, json={})
            else:
                client, token = callers["pages"][role]
                answer = client.request(
                    method, url, headers={"X-CSRF-Token": token}, follow_redirects=False
                )
            allowed = role_allows(role, permission)
            refused = answer.status_code == 403
            if refused and answer.headers.get("content-type", "").startswith("application/json"):
                assert answer.json()["error"]["code"] == "forbidden", answer.text
            if allowed == refused:
                wrong.append(f"{role} {method} {url} -> {answer.status_code} ({permission})")
            assert answer.status_code < 500, f"{role} {method} {url}: {answer.text[:300]}"
            checked += 1
    assert wrong == [], "\n".join(wrong)
    assert checked > 100


def test_new_api_keys_are_viewers_and_scopes_narrow_them(kz: Kizuna, app: Any, ws: Any) -> None:
    with kz.session() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.slug == ws.slug)).one()
        viewer = create_api_key(session, workspace, "default role")
        scoped = create_api_key(session, workspace, "feed", "analyst", scopes=["imports.run"])
    read = TestClient(app, headers={"X-API-Key": viewer})
    assert read.get("/api/v1/customers").status_code == 200
    denied = read.post("/api/v1/segments", json={"name": "x", "conditions": []})
    assert denied.status_code == 403
    assert (
        "viewer" in denied.json()["error"]["message"] or "閲覧" in denied.json()["error"]["message"]
    )
    narrow = TestClient(app, headers={"X-API-Key": scoped, "Accept-Language": "en"})
    assert narrow.get("/api/v1/customers").status_code == 403  # analyst, but scoped to imports
    assert "scopes" in narrow.get("/api/v1/customers").json()["error"]["message"]
    batch = narrow.post("/api/v1/feedback/batch", json={"records": []})
    assert batch.status_code == 200, batch.text
    me = read.get("/api/v1/workspace").json()
    assert me["role"] == "viewer" and "segments.write" not in me["permissions"]
