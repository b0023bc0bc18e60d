"""Pages: login with CSRF, the home page's figures, language, error pages and /healthz."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from web_support import build_web_app, csrf_from, insert_feedback, log_in, recent_day

from kizuna import Kizuna
from kizuna.web import create_app
from kizuna.web.throttle import LoginThrottle


@pytest.fixture
def app(kz: Kizuna):  # type: ignore[no-untyped-def]
    return build_web_app(kz)


def test_login_takes_the_user_to_their_workspace_home(app, ws) -> None:
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    log_in(client, ws.admin_email, ws.password)
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == f"/w/{ws.slug}/"
    page = client.get(home.headers["location"])
    assert page.status_code == 200
    assert "顧客体験の概況" in page.text
    assert ws.admin_email in page.text


def test_wrong_password_shows_the_error_in_japanese(app, ws) -> None:
    client = TestClient(app)
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": ws.admin_email, "password": "wrong", "csrf_token": token}
    )
    assert answer.status_code == 401
    assert "メールアドレスまたはパスワードが違います" in answer.text
    assert client.get(f"/w/{ws.slug}/", follow_redirects=False).status_code == 303


def test_login_without_the_csrf_token_is_refused_with_a_reload_hint(app, ws) -> None:
    client = TestClient(app)
    client.get("/login")
    for token in (None, "forged"):
        data = {"email": ws.admin_email, "password": ws.password}
        if token:
            data["csrf_token"] = token
        answer = client.post("/login", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "再読み込み" in answer.text
    assert client.get(f"/w/{ws.slug}/", follow_redirects=False).status_code == 303


def test_logout_needs_the_token_and_ends_the_session(app, ws) -> None:
    client = TestClient(app)
    log_in(client, ws.admin_email, ws.password)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    token = csrf_from(client.get(f"/w/{ws.slug}/").text)
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert (
        client.get(f"/w/{ws.slug}/", follow_redirects=False)
        .headers["location"]
        .startswith("/login?next=")
    )


def test_repeated_wrong_passwords_are_slowed_down(app, ws) -> None:
    app.state.login_throttle = LoginThrottle("test secret", max_failures=3, window_seconds=300)
    client = TestClient(app)
    token = csrf_from(client.get("/login").text)
    data = {"email": ws.admin_email, "password": "wrong", "csrf_token": token}
    codes = [client.post("/login", data=data).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    right = dict(data, password=ws.password)
    blocked = client.post("/login", data=right)
    assert blocked.status_code == 429
    assert "分ほど待って" in blocked.text


def test_login_never_redirects_to_another_site(app, ws) -> None:
    client = TestClient(app)
    token = csrf_from(client.get("/login").text)
    for target in ("https://evil.example/", "//evil.example/x"):
        answer = client.post(
            "/login",
            data={
                "email": ws.admin_email,
                "password": ws.password,
                "csrf_token": token,
                "next": target,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/"
        token = csrf_from(client.get("/login").text)


def test_home_shows_nps_with_its_interval_and_channel_volume(app, kz, ws, make_workspace) -> None:
    day = recent_day(0, 1)
    # 6 promoters, 2 passives, 2 detractors: NPS = 60% - 20% = +40.
    insert_feedback(
        kz,
        ws.workspace.id,
        [(day, "web", 10)] * 6 + [(day, "store", 7)] * 2 + [(day, "store", 3)] * 2,
    )
    other = make_workspace("o")
    insert_feedback(kz, other.workspace.id, [(day, "email", 0)] * 50)
    client = TestClient(app)
    log_in(client, ws.admin_email, ws.password)
    page = client.get(f"/w/{ws.slug}/").text
    assert "+40.0" in page
    assert "95%信頼区間" in page
    assert "回答 10 件" in page
    from kizuna.reports.service import compute_metric

    nps = compute_metric(kz, ws.workspace, "nps", start=day).to_records()[0]
    assert f"{nps['ci_low']:+.1f} – {nps['ci_high']:+.1f}" in page
    channels = json.loads(re.search(r'id="chart-channels-data">(.*?)</script>', page).group(1))
    assert dict(zip(channels["labels"], channels["values"], strict=True)) == {"Web": 6, "店舗": 4}
    fragment = client.get(f"/w/{ws.slug}/partials/metrics", params={"months": 3})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "+40.0" in fragment.text


def test_home_of_an_empty_workspace_says_how_to_bring_data_in(app, ws) -> None:
    client = TestClient(app)
    log_in(client, ws.admin_email, ws.password)
    page = client.get(f"/w/{ws.slug}/").text
    assert "まだ声が届いていません" in page
    assert f"--workspace {ws.slug}" in page


def test_a_member_of_one_workspace_cannot_open_another_nor_tell_it_exists(
    app, ws, make_workspace
) -> None:
    other = make_workspace("o")
    client = TestClient(app)
    log_in(client, ws.admin_email, ws.password)
    answer = client.get(f"/w/{other.slug}/")
    missing = client.get("/w/no-such-workspace-here/")
    assert answer.status_code == missing.status_code == 404
    assert "メンバーではありません" in answer.text
    # The same page for a workspace that exists and one that does not: no slug probing.
    assert answer.text.replace(other.slug, "X") == missing.text.replace(
        "no-such-workspace-here", "X"
    )


def test_https_answers_carry_hsts_in_production_only(kz) -> None:  # type: ignore[no-untyped-def]
    from web_support import build_web_app

    production = build_web_app(kz, env="production")
    secure = TestClient(production, base_url="https://cx.example.jp").get("/login")
    plain = TestClient(production).get("/login")
    development = TestClient(build_web_app(kz), base_url="https://cx.example.jp").get("/login")
    assert secure.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "strict-transport-security" not in plain.headers
    assert "strict-transport-security" not in development.headers


def test_language_switch_and_accept_language_choose_english(app, ws) -> None:
    client = TestClient(app, headers={"Accept-Language": "en-US,en;q=0.9,ja;q=0.5"})
    assert "Log in to Kizuna" in client.get("/login").text
    log_in(client, ws.admin_email, ws.password)  # the user's language (ja) wins after login
    page = client.get(f"/w/{ws.slug}/").text
    assert "顧客体験の概況" in page
    token = csrf_from(page)
    client.post("/lang", data={"lang": "en", "next": f"/w/{ws.slug}/", "csrf_token": token})
    assert "Customer experience overview" in client.get(f"/w/{ws.slug}/").text


def test_unknown_pages_and_api_paths_answer_in_their_own_form(app) -> None:
    client = TestClient(app)
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "ページが見つかりません" in page.text
    api = client.get("/api/v1/nothing", headers={"Accept-Language": "en"})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_an_unexpected_error_shows_no_traceback(kz: Kizuna) -> None:
    app = build_web_app(kz)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    answer = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert answer.status_code == 500
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert "管理者" in answer.text


def test_healthz_checks_the_database(app, kz: Kizuna, tmp_path) -> None:
    answer = TestClient(app).get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}
    # A database that cannot be opened: a folder where the file should be.
    broken = Kizuna(kz.settings, engine=create_engine(f"sqlite:///{tmp_path}"))
    down = TestClient(create_app(broken)).get("/healthz")
    assert down.status_code == 503
    assert down.json()["database"] == "unreachable"


def test_the_embedded_worker_runs_while_the_app_runs(kz: Kizuna) -> None:
    pytest.importorskip("kizuna.jobs.worker")
    app = build_web_app(kz, embedded_worker=True)
    with TestClient(app):
        assert app.state.worker is not None and app.state.worker.is_running
        worker = app.state.worker
    assert not worker.is_running
    assert build_web_app(kz).state.worker is None


def test_pages_forbid_inline_and_foreign_script(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    page = client.get("/login")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "onclick=" not in page.text and "<script>" not in page.text
    assert client.get("/api/v1/openapi.json").headers["content-security-policy"] == policy
    # The API docs page may run its one inline script, named by its hash, and nothing else.
    docs = client.get("/api/docs")
    inline = re.search(r"<script>(.*?)</script>", docs.text, flags=re.S)
    assert inline is not None
    digest = base64.b64encode(hashlib.sha256(inline.group(1).encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in docs.headers["content-security-policy"]
