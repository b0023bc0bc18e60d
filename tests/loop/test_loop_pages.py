"""The loop's pages over real data, in Japanese and English, as an owner; what an agent and
a viewer may do there (agents see their departments' cases, viewers change nothing)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from loop_support import add_person, record, run_jobs, web_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from page_tour import code_leaks, visible_text
from web_support import csrf_from, log_in

from kizuna import Kizuna
from kizuna.i18n.vocabulary import clear_missing, missing_labels
from kizuna.loop import rules as rule_service
from kizuna.loop.case_notes import add_comment
from kizuna.loop.cases import CaseViewer, change_case, open_case
from kizuna.loop.departments import add_department_member, create_department
from kizuna.loop.improvements import change_improvement, create_improvement, link_voices
from kizuna.loop.praise import create_praise_target
from kizuna.loop.webhooks import create_webhook

PASSWORD = "correct horse battery"


@pytest.fixture
def loop_ws(kz: Kizuna, ws: Any) -> dict[str, Any]:
    agent = add_person(kz, ws.workspace, "agent", "田中")
    viewer = add_person(kz, ws.workspace, "viewer", "閲覧")
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        front = create_department(session, workspace, "フロント")
        other = create_department(session, workspace, "EC")
        add_department_member(session, workspace, front.id, agent.id)
        create_praise_target(
            session, workspace, "田中", aliases=["たなかさん"], digest_emails=["front@example.jp"]
        )
        hook = create_webhook(session, workspace, "通知", "https://hooks.example.jp/kizuna")
        rule = rule_service.create_rule(
            session,
            workspace,
            "批判者のフォロー",
            [{"field": "nps", "op": "lte", "value": 6}],
            [
                {"type": "open_case", "department_id": front.id, "priority": 1},
                {"type": "webhook", "webhook_id": hook.id},
            ],
        )
        rule_service.activate_rule(session, workspace, rule.id, force=True)
        praise = rule_service.create_rule(
            session,
            workspace,
            "称賛",
            [{"field": "sentiment", "op": "eq", "value": "positive"}],
            [{"type": "praise"}],
        )
        rule_service.activate_rule(session, workspace, praise.id, force=True)
    fid = record(kz, ws.workspace, "v1", nps=2, text="チェックインで30分待たされました。")
    record(kz, ws.workspace, "v2", nps=10, text="田中さんがとても親切で感動しました。")
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        elsewhere = open_case(
            session, workspace, title="EC の配送遅れ", department_id=other.id, priority=3
        )
        owner = CaseViewer.everyone("user:0")
        add_comment(session, workspace, elsewhere.id, "確認中です", viewer=owner)
        change_case(
            session, workspace, elsewhere.id, viewer=owner, version=None, status="in_progress"
        )
        improvement = create_improvement(
            session,
            workspace,
            "チェックインを短縮",
            "自動チェックイン機を入れました。",
            topic="wait_time",
        )
        link_voices(session, workspace, improvement.id, [fid])
        change_improvement(session, workspace, improvement.id, status="shipped")
        from kizuna.loop.models import Case

        mine = (
            session.query(Case)
            .filter(Case.workspace_id == workspace.id, Case.department_id == front.id)
            .one()
        )
    return {
        "agent": agent,
        "viewer": viewer,
        "case": mine.id,
        "other_case": elsewhere.id,
        "improvement": improvement.id,
        "rule": rule.id,
    }


def pages(ws: Any, data: dict[str, Any]) -> list[str]:
    base = f"/w/{ws.slug}"
    return [
        f"{base}/cases",
        f"{base}/cases?status=&owner=none&breached=1",
        f"{base}/cases/{data['case']}",
        f"{base}/cases/{data['other_case']}",
        f"{base}/rules",
        f"{base}/rules/{data['rule']}",
        f"{base}/improvements",
        f"{base}/improvements/{data['improvement']}",
        f"{base}/praise",
        f"{base}/loop",
        f"{base}/admin/loop",
        f"/p/{ws.slug}/changelog",
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_loop_page_names_its_codes_and_leaks_none(
    kz: Kizuna, ws: Any, loop_ws: dict[str, Any], monkeypatch: Any, language: str
) -> None:
    client = TestClient(web_app(kz, monkeypatch))
    log_in(client, ws.admin_email, ws.password)
    token = csrf_from(client.get(f"/w/{ws.slug}/cases").text)
    client.post("/lang", data={"lang": language, "next": "/", "csrf_token": token})
    problems = {}
    for path in pages(ws, loop_ws):
        clear_missing()
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        leaks = code_leaks(visible_text(answer.text), language)
        if leaks or missing_labels():
            problems[path] = (leaks, sorted(missing_labels()))
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_agents_see_their_departments_cases_and_viewers_change_nothing(
    kz: Kizuna, ws: Any, loop_ws: dict[str, Any], monkeypatch: Any
) -> None:
    app = web_app(kz, monkeypatch)
    agent = TestClient(app)
    log_in(agent, loop_ws["agent"].email, PASSWORD)
    inbox = agent.get(f"/w/{ws.slug}/cases").text
    assert f"/cases/{loop_ws['case']}" in inbox and f"/cases/{loop_ws['other_case']}" not in inbox
    assert agent.get(f"/w/{ws.slug}/cases/{loop_ws['other_case']}").status_code == 404
    token = csrf_from(agent.get(f"/w/{ws.slug}/cases/{loop_ws['case']}").text)
    moved = agent.post(
        f"/w/{ws.slug}/cases/{loop_ws['case']}/update",
        data={"csrf_token": token, "version": "1", "status": "in_progress"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    stale = agent.post(
        f"/w/{ws.slug}/cases/{loop_ws['case']}/update",
        data={"csrf_token": token, "version": "1", "status": "waiting"},
    )
    assert stale.status_code == 409 and "他の人が変更" in stale.text
    viewer = TestClient(app)
    log_in(viewer, loop_ws["viewer"].email, PASSWORD)
    page = viewer.get(f"/w/{ws.slug}/cases/{loop_ws['other_case']}")
    assert page.status_code == 200 and "/update" not in page.text  # no forms to change it
    token = csrf_from(page.text)
    refused = viewer.post(
        f"/w/{ws.slug}/cases/{loop_ws['other_case']}/comment",
        data={"csrf_token": token, "body": "x"},
    )
    assert refused.status_code == 403
