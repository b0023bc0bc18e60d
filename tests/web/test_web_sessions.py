"""Sessions live on the server: the cookie is an opaque token that logging out, a role
change or removal from the workspace ends at once."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import build_web_app, csrf_from, live_server, log_in

from kizuna import Kizuna
from kizuna.accounts.members import change_role, remove_member
from kizuna.accounts.models import Membership
from kizuna.accounts.service import add_member, create_user
from kizuna.web.sessions import COOKIE


def cookie_of(client: TestClient) -> str:
    value = client.cookies.get(COOKIE)
    assert value, "no session cookie"
    return value


def stolen(app: Any, cookie: str) -> TestClient:
    thief = TestClient(app)
    thief.cookies.set(COOKIE, cookie)
    return thief


def test_the_cookie_reveals_nothing_and_changes_at_login(kz: Kizuna, ws: Any) -> None:
    app = build_web_app(kz)
    client = TestClient(app)
    client.get("/login")
    before = cookie_of(client)
    log_in(client, ws.admin_email, ws.password)
    after = cookie_of(client)
    assert after != before  # a token planted before login is worth nothing after it
    padded = after + "=" * (-len(after) % 4)
    decoded = base64.urlsafe_b64decode(padded)
    assert ws.admin_email.encode() not in decoded and b"csrf" not in decoded
    assert ws.admin_email not in after
    page = client.get(f"/w/{ws.slug}/customers")
    assert page.status_code == 200
    assert csrf_from(page.text) not in after


def test_a_copied_cookie_stops_working_when_its_owner_logs_out(kz: Kizuna, ws: Any) -> None:
    app = build_web_app(kz)
    client = TestClient(app)
    log_in(client, ws.admin_email, ws.password)
    copy = stolen(app, cookie_of(client))
    assert copy.get(f"/w/{ws.slug}/customers").status_code == 200
    token = csrf_from(client.get(f"/w/{ws.slug}/customers").text)
    client.post("/logout", data={"csrf_token": token})
    answer = copy.get(f"/w/{ws.slug}/customers", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_role_change_or_removal_ends_the_persons_sessions(kz: Kizuna, ws: Any) -> None:
    app = build_web_app(kz)
    with kz.session() as session:
        user = create_user(session, f"agent-{ws.slug}@example.jp", "a long enough password")
        add_member(session, ws.workspace, user, "analyst")
        user_id = user.id
    client = TestClient(app)
    log_in(client, f"agent-{ws.slug}@example.jp", "a long enough password")
    assert client.get(f"/w/{ws.slug}/segments").status_code == 200
    with kz.session() as session:
        change_role(session, ws.workspace, user_id, "viewer", actor="user:1", actor_role="owner")
    gone = client.get(f"/w/{ws.slug}/segments", follow_redirects=False)
    assert gone.status_code == 303  # logged out: they log in again, as a viewer now
    log_in(client, f"agent-{ws.slug}@example.jp", "a long enough password")
    assert client.get(f"/w/{ws.slug}/segments").status_code == 200
    with kz.session() as session:
        remove_member(session, ws.workspace, user_id, actor="user:1", actor_role="owner")
        assert session.scalar(select(Membership.id).where(Membership.user_id == user_id)) is None
    assert client.get(f"/w/{ws.slug}/segments", follow_redirects=False).status_code == 303


def test_one_address_trying_many_accounts_is_slowed_and_told_when_to_retry(
    kz: Kizuna, ws: Any
) -> None:
    from kizuna.web.throttle import LoginThrottle

    app = build_web_app(kz)
    app.state.address_throttle = LoginThrottle("test secret", max_failures=5, window_seconds=300)
    client = TestClient(app, headers={"Accept-Language": "en"})
    token = csrf_from(client.get("/login").text)
    answers = [
        client.post(
            "/login",
            data={"email": f"guess{i}@example.jp", "password": "x", "csrf_token": token},
        ).status_code
        for i in range(6)
    ]
    assert answers == [401] * 5 + [429]  # six different e-mails, one address
    limited = client.post(
        "/login", data={"email": ws.admin_email, "password": ws.password, "csrf_token": token}
    )
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 300


def test_a_forged_forwarded_for_header_does_not_make_a_new_client(kz: Kizuna) -> None:
    """Through the real server as `kizuna serve` runs it: no proxy is trusted by default."""
    import httpx

    from kizuna.server import proxy_options
    from kizuna.web.throttle import LoginThrottle

    app = build_web_app(kz)
    app.state.address_throttle = LoginThrottle("test secret", max_failures=3, window_seconds=300)
    with live_server(app, **proxy_options(kz)) as url, httpx.Client(base_url=url) as client:
        token = csrf_from(client.get("/login").text)
        codes = [
            client.post(
                "/login",
                data={"email": f"g{i}@example.jp", "password": "x", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(4)
        ]
    assert codes == [401, 401, 401, 429]
