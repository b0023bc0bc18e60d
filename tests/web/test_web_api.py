"""The REST API: keys, workspace isolation on every route, one error shape, OpenAPI and docs."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from web_support import build_web_app, insert_feedback, recent_day

from kizuna import Kizuna
from kizuna.ingest.batch import MAX_BATCH


@pytest.fixture
def app(kz: Kizuna):  # type: ignore[no-untyped-def]
    return build_web_app(kz)


def client_for(app, key: str, language: str | None = None) -> TestClient:  # type: ignore[no-untyped-def]
    headers = {"X-API-Key": key}
    if language:
        headers["Accept-Language"] = language
    return TestClient(app, headers=headers)


def create_customer(client: TestClient, external_id: str, name: str) -> dict:  # type: ignore[type-arg]
    answer = client.post(
        "/api/v1/customers",
        json={"external_id": external_id, "name": name, "email": f"{external_id}@example.com"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("language", "fragment"), [("ja", "APIキー"), ("en", "X-API-Key header"), (None, "APIキー")]
)
def test_missing_or_wrong_key_is_a_401_json_error_in_the_users_language(
    app, ws, language, fragment
) -> None:
    headers = {"Accept-Language": language} if language else {}
    for key in (None, ws.api_key + "x"):
        sent = dict(headers, **({"X-API-Key": key} if key else {}))
        answer = TestClient(app).get("/api/v1/customers", headers=sent)
        assert answer.status_code == 401
        error = answer.json()["error"]
        assert error["code"] == "unauthenticated"
        assert fragment in error["message"]
        assert set(error) == {"code", "message", "details"}


def test_customers_are_created_listed_and_read_only_in_the_keys_workspace(
    app, make_workspace
) -> None:
    pytest.importorskip("kizuna.ingest.service")
    a, b = make_workspace("a"), make_workspace("b")
    api_a, api_b = client_for(app, a.api_key), client_for(app, b.api_key)
    mine = create_customer(api_a, "C-1", "山田 花子")
    theirs = create_customer(api_b, "C-1", "佐藤 太郎")
    assert mine["id"] != theirs["id"]

    listed = api_a.get("/api/v1/customers").json()
    assert [c["name"] for c in listed["items"]] == ["山田 花子"]
    assert api_a.get(f"/api/v1/customers/{mine['id']}").json()["name"] == "山田 花子"
    other = api_a.get(f"/api/v1/customers/{theirs['id']}")
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"
    assert api_a.get("/api/v1/customers", params={"q": "佐藤"}).json()["items"] == []
    assert api_a.get("/api/v1/customers", params={"email": "C-1@example.com"}).json()["items"]


def test_posting_the_same_customer_again_changes_nothing(app, ws) -> None:
    pytest.importorskip("kizuna.ingest.service")
    api = client_for(app, ws.api_key)
    first = create_customer(api, "C-9", "鈴木")
    again = api.post(
        "/api/v1/customers",
        json={"external_id": "C-9", "name": "鈴木", "email": "C-9@example.com"},
    )
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert len(api.get("/api/v1/customers").json()["items"]) == 1


def test_a_rejected_customer_is_a_422_with_the_import_reason(app, ws) -> None:
    pytest.importorskip("kizuna.ingest.service")
    answer = client_for(app, ws.api_key, "en").post(
        "/api/v1/customers", json={"external_id": "C-2", "birthday": "not a date"}
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["details"]["reason_code"] == "invalid_date"
    assert "not a date" in error["message"]


def test_customer_pages_follow_the_cursor_to_the_end(app, ws) -> None:
    pytest.importorskip("kizuna.ingest.service")
    api = client_for(app, ws.api_key)
    for i in range(5):
        create_customer(api, f"P-{i}", f"顧客{i}")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/customers", params=params).json()
        seen += [c["external_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P-{i}" for i in range(5)]
    bad = api.get("/api/v1/customers", params={"cursor": "nonsense!"})
    assert bad.status_code == 422
    assert "next_cursor" in bad.json()["error"]["message"]


def test_feedback_batch_gives_a_result_per_row_and_stays_in_its_workspace(
    app, make_workspace
) -> None:
    pytest.importorskip("kizuna.ingest.service")
    a, b = make_workspace("a"), make_workspace("b")
    records = [
        {"external_id": "F-1", "received_at": "2025-04-01T10:00:00+09:00", "nps": 9},
        {"external_id": "F-2", "received_at": "2025年4月2日", "nps": 11, "text": "高い"},
    ]
    answer = client_for(app, a.api_key, "en").post(
        "/api/v1/feedback/batch", json={"source": "survey", "records": records}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["summary"]["read"] == 2
    assert [r["status"] for r in body["rows"]] == ["inserted", "rejected"]
    assert body["rows"][1]["reason_code"] == "score_out_of_range"
    again = client_for(app, a.api_key).post(
        "/api/v1/feedback/batch", json={"source": "survey", "records": records[:1]}
    )
    assert again.json()["rows"][0]["status"] == "unchanged"
    # B's metric never counts A's answers.
    nps_b = client_for(app, b.api_key).get("/api/v1/metrics/nps").json()["records"]
    assert sum(r["n"] for r in nps_b) == 0
    nps_a = client_for(app, a.api_key).get("/api/v1/metrics/nps").json()["records"]
    assert sum(r["n"] for r in nps_a) == 1


def test_interaction_batch_goes_through_the_import_checks(app, ws) -> None:
    pytest.importorskip("kizuna.ingest.service")
    answer = client_for(app, ws.api_key).post(
        "/api/v1/interactions/batch",
        json={
            "source": "pos",
            "records": [
                {"external_id": "T-1", "occurred_at": "2025-04-01 10:00", "channel": "店舗"},
                {"external_id": "T-2", "occurred_at": "いつか", "channel": "web"},
            ],
        },
    )
    assert answer.status_code == 200
    rows = answer.json()["rows"]
    assert [r["status"] for r in rows] == ["inserted", "rejected"]
    assert rows[1]["reason_code"] == "invalid_date"
    assert "日付" in rows[1]["reason"]


def test_a_batch_over_the_limit_is_refused_with_what_to_do(app, ws) -> None:
    records = [{"received_at": "2025-04-01", "nps": 5}] * (MAX_BATCH + 1)
    answer = client_for(app, ws.api_key, "en").post(
        "/api/v1/feedback/batch", json={"records": records}
    )
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "kizuna import" in error["message"]


def test_metrics_count_only_the_keys_workspace(app, kz, make_workspace) -> None:
    a, b = make_workspace("a"), make_workspace("b")
    day = recent_day(0, 1)
    insert_feedback(kz, a.workspace.id, [(day, "web", 10)] * 3 + [(day, "store", 0)])
    insert_feedback(kz, b.workspace.id, [(day, "web", 0)] * 7)
    answer = client_for(app, a.api_key).get(
        "/api/v1/metrics/nps", params={"by": "channel", "period": "month"}
    )
    assert answer.status_code == 200
    records = {r["channel"]: r for r in answer.json()["records"]}
    assert records["web"]["n"] == 3 and records["web"]["value"] == pytest.approx(100.0)
    assert records["store"]["n"] == 1
    assert records["web"]["ci_low"] < records["web"]["value"]
    assert sum(r["n"] for r in records.values()) == 4


def test_validation_errors_have_the_one_error_shape(app, ws) -> None:
    answer = client_for(app, ws.api_key, "en").get("/api/v1/metrics/happiness")
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"][0]["loc"] == ["path", "metric"]
    unknown = client_for(app, ws.api_key, "ja").get("/api/v1/metrics/nps", params={"by": "colour"})
    assert unknown.status_code == 422
    # The dimensions are an enum in the document; the refusal names the field and the choices.
    assert unknown.json()["error"]["details"][0]["loc"] == ["query", "by", "0"]
    assert "channel" in unknown.json()["error"]["details"][0]["msg"]


def test_workspace_route_shows_the_keys_workspace(app, make_workspace) -> None:
    a, b = make_workspace("a"), make_workspace("b")
    assert client_for(app, a.api_key).get("/api/v1/workspace").json()["slug"] == a.slug
    assert client_for(app, b.api_key).get("/api/v1/workspace").json()["slug"] == b.slug


def test_openapi_lists_every_endpoint_and_the_key_header(app) -> None:
    spec = TestClient(app).get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/interactions/batch",
        "/api/v1/feedback/batch",
        "/api/v1/metrics/{metric}",
        "/api/v1/workspace",
    ):
        assert path in paths, path
    assert not any(p.startswith("/w/") or p == "/login" for p in paths)
    assert (
        paths["/api/v1/customers"]["get"]["summary"]
        == "List the workspace's customers, a page at a time."
    )
    assert {"CustomerCreate", "CustomerPublic", "FeedbackCreate"} <= set(
        spec["components"]["schemas"]
    )
    schemes = spec["components"]["securitySchemes"].values()
    assert any(s.get("name") == "X-API-Key" for s in schemes)


def test_docs_page_loads_only_local_assets(app) -> None:
    client = TestClient(app)
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "SwaggerUIBundle" in page.text
    assert not re.search(r"https?://", page.text)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset


def test_each_route_is_listed_once_under_one_tag(app) -> None:
    spec = TestClient(app).get("/api/v1/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert len(operation["tags"]) == 1, (method, path, operation["tags"])


def test_bodies_over_the_limit_are_refused_before_they_are_read(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    """A 100 MB comment used to be read and stored; now 413, in the user's language."""
    app = build_web_app(kz, max_request_bytes=64 * 1024, max_batch_request_bytes=256 * 1024)
    api = client_for(app, ws.api_key, "en")
    big = {"received_at": "2026-01-01", "text": "あ" * 40_000}  # 120 KB of UTF-8
    refused = api.post("/api/v1/feedback", json=big)
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "payload_too_large"
    assert "Split it" in refused.json()["error"]["message"]
    # A batch route takes more: the same record inside a batch goes in.
    accepted = api.post("/api/v1/feedback/batch", json={"records": [big]})
    assert accepted.status_code == 200, accepted.text

    # Sent without a Content-Length (chunked), the limit still holds.
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 8192

    streamed = api.post(
        "/api/v1/feedback", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
