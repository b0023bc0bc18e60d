"""Customer 360 in the REST API: profile, timeline, context card, actions, work list, segments.

One small demo workspace (200 customers, analysed and scored) serves the module; a fresh
workspace per test plays the other tenant for the isolation checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import build_web_app

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer


@dataclass
class Demo:
    workspace: Workspace
    slug: str
    api_key: str
    admin_email: str
    password: str


def build_scored_demo(kz: Kizuna, seed: int) -> Demo:
    """The demo at test size, its comments analysed and every customer scored."""
    from kizuna.customers.scores import score_customers
    from kizuna.demo import build_demo
    from kizuna.text.service import reanalyze_workspace

    slug = f"c360-{uuid.uuid4().hex[:8]}"
    summary = build_demo(kz, slug=slug, seed=seed, customers=200, interactions=2000, feedback=500)
    assert summary.api_key is not None
    with kz.session() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.slug == slug)).one()
        session.expunge(workspace)
    reanalyze_workspace(kz, workspace)
    score_customers(kz, workspace)
    return Demo(workspace, slug, summary.api_key, summary.admin_email, summary.password)


@pytest.fixture(scope="module")
def demo(kz: Kizuna) -> Demo:
    return build_scored_demo(kz, seed=11)


@pytest.fixture(scope="module")
def app(kz: Kizuna):  # type: ignore[no-untyped-def]
    return build_web_app(kz)


@pytest.fixture(scope="module")
def api(app, demo: Demo) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield TestClient(app, headers={"X-API-Key": demo.api_key})


def person_ids(kz: Kizuna, workspace: Workspace) -> list[int]:
    """Surviving customers of the workspace, by id."""
    with kz.session() as session:
        return list(
            session.scalars(
                select(Customer.id)
                .where(Customer.workspace_id == workspace.id, Customer.merged_into_id.is_(None))
                .order_by(Customer.id)
            )
        )


def busiest_customer(api: TestClient, ids: list[int]) -> int:
    """A customer whose timeline needs several pages (found through the API itself)."""
    for customer_id in ids:
        page = api.get(f"/api/v1/customers/{customer_id}/timeline", params={"limit": 10}).json()
        if page["next_cursor"] is not None:
            return customer_id
    raise AssertionError("no customer with more than 10 timeline items in the demo")


def test_profile_shows_the_person_with_identities_and_scores(api, kz, demo) -> None:
    customer_id = person_ids(kz, demo.workspace)[0]
    answer = api.get(f"/api/v1/customers/{customer_id}/profile")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["customer"]["id"] == customer_id
    assert body["group_ids"][0] == customer_id
    assert body["identities"], "every demo customer has an e-mail or an external id"
    assert {i["customer_id"] for i in body["identities"]} <= set(body["group_ids"])
    assert body["score"] is not None
    assert 0 <= body["score"]["clv_percentile"] <= 100
    assert body["score"]["model_version"]


def test_timeline_pages_are_disjoint_and_newest_first(api, kz, demo) -> None:
    customer_id = busiest_customer(api, person_ids(kz, demo.workspace))
    seen: list[tuple[str, int]] = []
    times: list[str] = []
    cursor = None
    for _ in range(50):
        params: dict[str, str | int] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"/api/v1/customers/{customer_id}/timeline", params=params).json()
        assert len(page["items"]) <= 4
        seen += [(item["kind"], item["id"]) for item in page["items"]]
        times += [item["occurred_at"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) > 4, "the customer's timeline spans several pages"
    assert len(seen) == len(set(seen)), "no item shows up on two pages"
    assert times == sorted(times, reverse=True)
    whole = api.get(f"/api/v1/customers/{customer_id}/timeline", params={"limit": 200}).json()
    assert [(i["kind"], i["id"]) for i in whole["items"]] == seen


def test_a_bad_timeline_cursor_is_a_422_that_says_what_to_do(api, kz, demo) -> None:
    customer_id = person_ids(kz, demo.workspace)[0]
    answer = api.get(
        f"/api/v1/customers/{customer_id}/timeline",
        params={"cursor": "not-a-cursor"},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input"


def test_context_card_and_actions_have_their_documented_shape(api, kz, demo) -> None:
    worklist = api.get("/api/v1/actions", params={"limit": 50}).json()
    assert worklist, "the scored demo has customers to act on"
    priorities = [a["priority"] for a in worklist]
    assert priorities == sorted(priorities), "the work list is most urgent first"
    customer_id = worklist[0]["customer_id"]
    card = api.get(f"/api/v1/customers/{customer_id}/context").json()
    assert card["customer_id"] == customer_id
    assert card["summary_ja"] and card["summary_en"]
    assert len(card["recent_activity"]) <= 5
    assert card["churn_probability"] is None or 0 <= card["churn_probability"] <= 1
    actions = api.get(f"/api/v1/customers/{customer_id}/actions").json()
    assert actions and all(a["customer_id"] == customer_id for a in actions)
    assert {a["code"] for a in card["actions"]} == {a["code"] for a in actions}
    code = worklist[0]["code"]
    only = api.get("/api/v1/actions", params={"code": code}).json()
    assert only and {a["code"] for a in only} == {code}


def test_segments_are_created_counted_listed_and_deleted(api, kz, demo) -> None:
    conditions = [{"field": "churn_probability", "op": "gte", "value": 0.5}]
    counted = api.post("/api/v1/segments/count", json={"conditions": conditions})
    assert counted.status_code == 200
    at_risk = counted.json()["customers"]
    everyone = api.post("/api/v1/segments/count", json={"conditions": []}).json()["customers"]
    assert everyone == len(person_ids(kz, demo.workspace))
    assert 0 < at_risk < everyone
    made = api.post("/api/v1/segments", json={"name": "離反リスク高", "conditions": conditions})
    assert made.status_code == 201, made.text
    segment = made.json()
    assert segment["customers"] == at_risk
    assert segment["id"] in [s["id"] for s in api.get("/api/v1/segments").json()]
    members = api.get(f"/api/v1/segments/{segment['id']}/customers", params={"limit": 5}).json()
    assert len(members["items"]) == min(5, at_risk)
    narrower = [*conditions, {"field": "lifecycle_stage", "op": "in", "value": ["loyal"]}]
    patched = api.patch(f"/api/v1/segments/{segment['id']}", json={"conditions": narrower})
    assert patched.status_code == 200
    loyal_at_risk = api.post("/api/v1/segments/count", json={"conditions": narrower}).json()
    assert patched.json()["customers"] == loyal_at_risk["customers"] < at_risk
    assert api.delete(f"/api/v1/segments/{segment['id']}").status_code == 204
    assert api.get(f"/api/v1/segments/{segment['id']}").status_code == 404


@pytest.mark.parametrize(("language", "fragment"), [("ja", "使えません"), ("en", "unknown field")])
def test_a_segment_with_an_unknown_field_is_refused_in_the_users_language(
    api, language, fragment
) -> None:
    body = {"name": "x", "conditions": [{"field": "shoe_size", "op": "eq", "value": "27"}]}
    for path in ("/api/v1/segments", "/api/v1/segments/count"):
        payload = body if path.endswith("segments") else {"conditions": body["conditions"]}
        answer = api.post(path, json=payload, headers={"Accept-Language": language})
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "invalid_input"
        assert fragment in error["message"]


def test_a_key_never_reaches_another_workspaces_customers_or_segments(
    app, api, kz, demo, ws
) -> None:
    other = TestClient(app, headers={"X-API-Key": ws.api_key})
    made = other.post("/api/v1/customers", json={"external_id": "B-1", "name": "別 花子"})
    assert made.status_code == 201
    their_customer = made.json()["id"]
    their_segment = other.post(
        "/api/v1/segments", json={"name": "B only", "conditions": []}
    ).json()["id"]
    mine = person_ids(kz, demo.workspace)[0]
    for suffix in ("profile", "timeline", "context", "actions"):
        assert api.get(f"/api/v1/customers/{their_customer}/{suffix}").status_code == 404
        assert other.get(f"/api/v1/customers/{mine}/{suffix}").status_code == 404
    assert api.get(f"/api/v1/segments/{their_segment}").status_code == 404
    assert api.get(f"/api/v1/segments/{their_segment}/customers").status_code == 404
    assert api.patch(f"/api/v1/segments/{their_segment}", json={"name": "x"}).status_code == 404
    assert api.delete(f"/api/v1/segments/{their_segment}").status_code == 404
    assert their_segment not in [s["id"] for s in api.get("/api/v1/segments").json()]
    assert [s["name"] for s in other.get("/api/v1/segments").json()] == ["B only"]
    # Work lists and counts stay in their own workspace.
    assert all(a["customer_id"] == their_customer for a in other.get("/api/v1/actions").json())
    ours = set(person_ids(kz, demo.workspace))
    assert {
        a["customer_id"] for a in api.get("/api/v1/actions", params={"limit": 1000}).json()
    } <= ours
    count = other.post("/api/v1/segments/count", json={"conditions": []}).json()
    assert count == {"customers": 1}
    assert other.get(f"/api/v1/segments/{their_segment}").json()["customers"] == 1


def test_the_new_routes_are_documented_with_summaries(api) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/customers/{customer_id}/profile",
        "/api/v1/customers/{customer_id}/timeline",
        "/api/v1/customers/{customer_id}/context",
        "/api/v1/customers/{customer_id}/actions",
        "/api/v1/actions",
        "/api/v1/segments",
        "/api/v1/segments/count",
        "/api/v1/segments/{segment_id}",
        "/api/v1/segments/{segment_id}/customers",
    ):
        assert path in paths, path
        for operation in paths[path].values():
            assert operation["summary"], path
