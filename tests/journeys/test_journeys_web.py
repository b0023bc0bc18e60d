"""The journey pages, their exports and the journeys API over the demo at test size, and
every journeys and personas route checked against every role."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from journey_support import Demo, build_demo_workspace, build_web_app, csrf_from, logged_in
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.keys import create_api_key
from kizuna.accounts.models import ROLES, Workspace
from kizuna.accounts.permissions import role_allows
from kizuna.accounts.service import add_member, create_user
from kizuna.jobs.models import Job
from kizuna.journeys.aggregate import refresh_journey
from kizuna.personas.service import build_personas, list_personas

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    made = build_demo_workspace(kz, seed=5)
    build_personas(kz, made.workspace)
    refresh_journey(kz, made.workspace, "all", "365d")
    with kz.session() as session:
        first = list_personas(session, made.workspace)[0].id
    refresh_journey(kz, made.workspace, f"persona:{first}", "365d")
    return made


@pytest.fixture(scope="module")
def app(kz: Kizuna) -> Any:
    return build_web_app(kz)


@pytest.fixture(scope="module")
def owner(app: Any, demo: Demo) -> TestClient:
    return logged_in(app, demo.admin_email, demo.password)


def busiest_touchpoint(client: TestClient, demo: Demo) -> dict[str, Any]:
    api = TestClient(client.app, headers={"X-API-Key": demo.api_key})
    result = api.get("/api/v1/journeys/analytics").json()["result"]
    return max(result["touchpoints"], key=lambda t: (len(t["quotes"]), t["voices"]))


def test_the_journey_page_shows_funnel_paths_graph_touchpoints_and_feelings(
    owner: TestClient, demo: Demo
) -> None:
    page = owner.get(f"/w/{demo.slug}/journeys")
    assert page.status_code == 200, page.text
    html = page.text
    for heading in (
        "段階ファネル",
        "感情曲線",
        "よくある経路",
        "タッチポイントの遷移グラフ",
        "ペインポイント",
        "真実の瞬間",
    ):
        assert heading in html, heading
    assert "認知" in html and "継続・推奨" in html
    assert 'id="journey-charts"' in html and "/static/journeys.js" in html
    assert "/journeys/touchpoint?name=" in html
    english = TestClient(owner.app)
    english.cookies = owner.cookies
    token = csrf_from(owner.get(f"/w/{demo.slug}/journeys").text)
    owner.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    html_en = owner.get(f"/w/{demo.slug}/journeys").text
    assert "Stage funnel" in html_en and "Awareness" in html_en
    token = csrf_from(html_en)
    owner.post("/lang", data={"lang": "ja", "next": "/", "csrf_token": token})


def test_the_frequency_filter_hides_rare_transitions(owner: TestClient, demo: Demo) -> None:
    every = owner.get(f"/w/{demo.slug}/journeys", params={"min_share": 0}).text
    frequent = owner.get(f"/w/{demo.slug}/journeys", params={"min_share": 0.05}).text
    edges = lambda html: len(re.findall(r'"source": ', html))  # noqa: E731
    assert edges(frequent) < edges(every)


def test_a_touchpoint_page_shows_its_scores_and_real_quotes(owner: TestClient, demo: Demo) -> None:
    touchpoint = busiest_touchpoint(owner, demo)
    page = owner.get(
        f"/w/{demo.slug}/journeys/touchpoint", params={"name": touchpoint["touchpoint"]}
    )
    assert page.status_code == 200
    for q in touchpoint["quotes"][:3]:
        assert (
            q["text"].replace("'", "&#39;").replace('"', "&#34;") in page.text
            or q["text"][:20] in page.text
        )
    assert "ここで顧客が言っていること" in page.text
    missing = owner.get(f"/w/{demo.slug}/journeys/touchpoint", params={"name": "存在しない窓口"})
    assert missing.status_code == 404


def test_uncomputed_scopes_say_so_and_offer_a_refresh(
    owner: TestClient, kz: Kizuna, demo: Demo
) -> None:
    page = owner.get(f"/w/{demo.slug}/journeys", params={"period": "90d"})
    assert page.status_code == 200 and "まだ計算されていません" in page.text
    token = csrf_from(page.text)
    answer = owner.post(
        f"/w/{demo.slug}/journeys/refresh",
        data={"scope": "all", "period": "90d", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "queued=1" in answer.headers["location"]
    with kz.session() as session:
        jobs = session.scalars(
            select(Job).where(
                Job.workspace_id == demo.workspace.id, Job.kind == "journeys.aggregate"
            )
        ).all()
    assert any(j.payload == {"scope": "all", "period": "90d"} for j in jobs)


def test_compare_puts_two_groups_side_by_side(owner: TestClient, kz: Kizuna, demo: Demo) -> None:
    with kz.session() as session:
        persona = list_personas(session, demo.workspace)[0]
    page = owner.get(
        f"/w/{demo.slug}/journeys/compare", params={"a": "all", "b": f"persona:{persona.id}"}
    )
    assert page.status_code == 200
    assert "グループ A" in page.text and "グループ B" in page.text
    assert "両方のグループが使うタッチポイント" in page.text


def test_the_map_page_offers_pdf_png_and_svg(owner: TestClient, demo: Demo) -> None:
    from PIL import Image

    page = owner.get(f"/w/{demo.slug}/journeys/map")
    assert page.status_code == 200
    for fmt in ("pdf", "png", "svg"):
        assert f'id="export-{fmt}"' in page.text
    pdf = owner.get(f"/w/{demo.slug}/journeys/map.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    assert pdf.content.startswith(b"%PDF") and b"NotoSansCJK" in pdf.content
    png = owner.get(f"/w/{demo.slug}/journeys/map.png")
    assert Image.open(io.BytesIO(png.content)).size == (2480, 1754)
    svg = owner.get(f"/w/{demo.slug}/journeys/map.svg", params={"inline": 1})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "カスタマージャーニーマップ" in svg.text and "Noto Sans CJK JP" in svg.text
    assert owner.get(f"/w/{demo.slug}/journeys/map.gif").status_code in (404, 422)
    uncomputed = owner.get(f"/w/{demo.slug}/journeys/map.pdf", params={"period": "all"})
    assert uncomputed.status_code == 404


def test_stages_and_rules_are_edited_on_the_settings_page(
    owner: TestClient, kz: Kizuna, demo: Demo
) -> None:
    page = owner.get(f"/w/{demo.slug}/journeys/settings")
    assert page.status_code == 200 and "タッチポイントのルール" in page.text
    token = csrf_from(page.text)
    added = owner.post(
        f"/w/{demo.slug}/journeys/rules",
        data={
            "csrf_token": token,
            "stage": "loyalty",
            "applies_to": "interaction",
            "kind": "event_attendance",
            "touchpoint_name": "ファンイベント",
            "first": "1",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and "error" not in added.headers["location"]
    assert "ファンイベント" in owner.get(f"/w/{demo.slug}/journeys/settings").text
    refused = owner.post(
        f"/w/{demo.slug}/journeys/rules",
        data={"csrf_token": token, "stage": "loyalty"},
        follow_redirects=True,
    )
    assert "条件が1つ以上必要です" in refused.text
    no_csrf = owner.post(f"/w/{demo.slug}/journeys/rules/reset", follow_redirects=False)
    assert no_csrf.status_code in (400, 403)
    reset = owner.post(
        f"/w/{demo.slug}/journeys/rules/reset", data={"csrf_token": token}, follow_redirects=False
    )
    assert reset.status_code == 303
    assert "ファンイベント" not in owner.get(f"/w/{demo.slug}/journeys/settings").text


def test_the_api_serves_the_journey_its_analytics_and_the_map(
    kz: Kizuna, app: Any, demo: Demo
) -> None:
    with kz.session() as session:
        workspace = session.get(Workspace, demo.workspace.id)
        assert workspace is not None
        viewer = create_api_key(session, workspace, "viewer key", "viewer")
        analyst = create_api_key(session, workspace, "analyst key", "analyst")
    read = TestClient(app, headers={"X-API-Key": viewer})
    journey = read.get("/api/v1/journeys").json()
    assert [s["code"] for s in journey["stages"]][:2] == ["awareness", "consideration"]
    assert journey["stages"][0]["display_name"] == "認知"
    analytics = read.get("/api/v1/journeys/analytics", params={"scope": "all", "period": "365d"})
    assert analytics.status_code == 200
    body = analytics.json()
    assert body["result"]["funnel"][0]["stage"] == "awareness"
    assert read.get("/api/v1/journeys/analytics", params={"period": "all"}).status_code == 404
    assert read.get("/api/v1/journeys/analytics", params={"scope": "nobody"}).status_code == 422
    assert read.post("/api/v1/journeys/refresh", json={}).status_code == 403
    write = TestClient(app, headers={"X-API-Key": analyst})
    queued = write.post("/api/v1/journeys/refresh", json={"scope": "all", "period": "all"})
    assert queued.status_code == 202 and queued.json()["jobs"]
    rule = write.post(
        "/api/v1/journeys/rules", json={"stage": "use", "match": {"kind": ["stay"]}, "position": 0}
    )
    assert rule.status_code == 201, rule.text
    assert write.delete(f"/api/v1/journeys/rules/{rule.json()['id']}").status_code == 204
    bad = write.put("/api/v1/journeys/stages", json={"stages": [{"name": ""}]})
    assert bad.status_code == 422
    pdf = read.get("/api/v1/journeys/map", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.fixture(scope="module")
def role_clients(kz: Kizuna, app: Any, demo: Demo) -> dict[str, Any]:
    """A page client and (but for owner) an API key of every role in the demo workspace."""
    clients: dict[str, Any] = {"pages": {}, "keys": {}}
    with kz.session() as session:
        workspace = session.get(Workspace, demo.workspace.id)
        assert workspace is not None
        for role in ROLES[1:]:
            user = create_user(session, f"{role}-{demo.slug}@example.com", PASSWORD)
            add_member(session, workspace, user, role)
            clients["keys"][role] = create_api_key(session, workspace, f"{role} key", role)
    clients["pages"]["owner"] = logged_in(app, demo.admin_email, demo.password)
    for role in ROLES[1:]:
        clients["pages"][role] = logged_in(app, f"{role}-{demo.slug}@example.com", PASSWORD)
    return clients


def _routes(app: Any) -> list[tuple[str, str, str]]:
    """(method, path, permission) of every journeys and personas route."""
    from fastapi.routing import APIRoute, iter_route_contexts

    from kizuna.web.deps import api_caller, page_member

    def permission(dependant: Any) -> str | None:
        for dep in dependant.dependencies:
            if isinstance(dep.call, api_caller | page_member):
                return str(dep.call.permission)
            found = permission(dep)
            if found:
                return found
        return None

    out = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = getattr(context, "path", None) or getattr(route, "path", "")
        if isinstance(route, APIRoute) and ("journeys" in path or "personas" in path):
            for method in sorted(route.methods - {"HEAD"}):
                out.append((method, path, permission(route.dependant) or ""))
    return out


def test_every_journeys_and_personas_route_checks_its_permission_for_every_role(
    app: Any, demo: Demo, role_clients: dict[str, Any]
) -> None:
    routes = _routes(app)
    assert len(routes) >= 25
    wrong = []
    for method, path, permission in routes:
        assert permission.startswith(("journeys.", "personas.")), f"{method} {path}: {permission!r}"
        url = path.replace("{slug}", demo.slug).replace("{fmt}", "svg")
        url = re.sub(r"\{[a-z_]+(:int)?\}", "999999999", url)
        if url.endswith("/touchpoint"):
            url += "?name=" + quote("存在しない")
        for role in ROLES:
            if path.startswith("/api/"):
                if role == "owner":
                    continue
                client = TestClient(app, headers={"X-API-Key": role_clients["keys"][role]})
                answer = client.request(method, url, json={})
            else:
                client = role_clients["pages"][role]
                token = (
                    csrf_from(client.get(f"/w/{demo.slug}/journeys").text)
                    if method != "GET"
                    else ""
                )
                answer = client.request(
                    method, url, headers={"X-CSRF-Token": token}, follow_redirects=False
                )
            allowed = role_allows(role, permission)
            if allowed == (answer.status_code == 403):
                wrong.append(f"{role} {method} {url} -> {answer.status_code} ({permission})")
            assert answer.status_code < 500, f"{role} {method} {url}: {answer.text[:300]}"
    assert wrong == [], "\n".join(wrong)
