"""The loop's forms over HTTP as an owner: the rule editor tests a draft, saves it, switches
it on and off and names a condition that can never hold; the admin page adds a department
and a webhook (its secret shown once) and refuses a half-filled SLA; the improvements board
takes an idea and moves it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from loop_support import web_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from web_support import csrf_from, log_in

from kizuna import Kizuna
from kizuna.loop import rules as rule_service
from kizuna.loop.departments import list_departments
from kizuna.loop.improvements import get_improvement
from kizuna.loop.webhooks import list_webhooks

DRAFT = {
    "name": "批判者のフォロー",
    "field": "nps",
    "op": "lte",
    "value": "6",
    "email_to": "front@example.jp、cx@example.jp",
    "max_cases_per_hour": "5",
}


def owner_client(kz: Kizuna, ws: Any, monkeypatch: Any) -> tuple[TestClient, str]:
    client = TestClient(web_app(kz, monkeypatch))
    log_in(client, ws.admin_email, ws.password)
    return client, csrf_from(client.get(f"/w/{ws.slug}/rules").text)


def test_the_rule_editor_tests_saves_and_switches_a_rule(
    kz: Kizuna, ws: Any, monkeypatch: Any
) -> None:
    client, token = owner_client(kz, ws, monkeypatch)
    base = f"/w/{ws.slug}/rules"
    tested = client.post(f"{base}/save", data={**DRAFT, "do": "test", "csrf_token": token})
    assert tested.status_code == 200
    assert "批判者のフォロー" in tested.text
    with kz.session() as session:
        assert rule_service.list_rules(session, session.merge(ws.workspace)) == []

    saved = client.post(
        f"{base}/save", data={**DRAFT, "do": "save", "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303
    rule_id = int(saved.headers["location"].rsplit("/", 1)[1])
    with kz.session() as session:
        rule = rule_service.get_rule(session, session.merge(ws.workspace), rule_id)
        assert rule.conditions == [{"field": "nps", "op": "lte", "value": 6}]
        (action,) = rule.actions
        assert (action["type"], action["to"]) == ("email", ["front@example.jp", "cx@example.jp"])
        assert (rule.status, rule.max_cases_per_hour) == ("draft", 5)
    assert "批判者のフォロー" in client.get(f"{base}/{rule_id}").text

    switched = {"csrf_token": token, "force": "1"}
    assert client.post(f"{base}/{rule_id}/activate", data=switched).status_code == 200
    with kz.session() as session:
        assert rule_service.get_rule(session, session.merge(ws.workspace), rule_id).status == (
            "active"
        )
    client.post(f"{base}/{rule_id}/deactivate", data={"csrf_token": token})
    with kz.session() as session:
        assert rule_service.get_rule(session, session.merge(ws.workspace), rule_id).status != (
            "active"
        )

    never = {**DRAFT, "op": "gte", "value": "11", "do": "save", "csrf_token": token}
    refused = client.post(f"{base}/save", data=never)
    assert refused.status_code == 422
    assert "条件 1" in refused.text


def test_the_admin_page_adds_a_department_and_a_webhook_and_refuses_a_half_sla(
    kz: Kizuna, ws: Any, monkeypatch: Any
) -> None:
    client, token = owner_client(kz, ws, monkeypatch)
    admin = f"/w/{ws.slug}/admin/loop"
    added = client.post(
        admin,
        data={"do": "department", "name": "フロント", "csrf_token": token},
        follow_redirects=False,
    )
    assert (added.status_code, added.headers["location"]) == (303, admin)
    hook = client.post(
        admin,
        data={
            "do": "webhook",
            "name": "通知",
            "url": "https://hooks.example.jp/kizuna",
            "events": "case.opened",
            "csrf_token": token,
        },
    )
    assert hook.status_code == 200
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        assert [d.department.name for d in list_departments(session, workspace)] == ["フロント"]
        (made,) = list_webhooks(session, workspace)
        assert made.events == ["case.opened"]
        assert made.secret in hook.text
    half = client.post(admin, data={"do": "sla", "first_1": "x", "csrf_token": token})
    assert half.status_code == 422


def test_the_board_takes_an_idea_and_moves_it(kz: Kizuna, ws: Any, monkeypatch: Any) -> None:
    client, token = owner_client(kz, ws, monkeypatch)
    board = f"/w/{ws.slug}/improvements"
    made = client.post(
        board,
        data={"title": "チェックインを短縮", "topic": "wait_time", "csrf_token": token},
        follow_redirects=False,
    )
    assert made.status_code == 303
    improvement_id = int(made.headers["location"].rsplit("/", 1)[1])
    moved = client.post(
        f"{board}/{improvement_id}/status",
        data={"status": "planned", "version": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    with kz.session() as session:
        improvement = get_improvement(session, session.merge(ws.workspace), improvement_id)
        assert (improvement.title, improvement.status) == ("チェックインを短縮", "planned")
    assert "チェックインを短縮" in client.get(board).text
