"""Praise reaches the people a voice names (and their weekly digest, once); loop metrics
count closed-loop rate, SLA compliance, backlog and a detractor's next score after a
closed case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from loop_support import record, run_jobs

from kizuna import Kizuna
from kizuna.customers.service import upsert_customer
from kizuna.loop import rules as rule_service
from kizuna.loop.cases import CaseViewer, change_case, open_case
from kizuna.loop.departments import create_department
from kizuna.loop.metrics import loop_metrics
from kizuna.loop.praise import create_praise_target, list_praise, send_praise_digests

NOW = dt.datetime.now(dt.UTC)


def test_praise_reaches_the_staff_team_or_store_a_voice_names(
    mail_kz: Kizuna, ws: Any, smtp_server: Any
) -> None:
    kz = mail_kz
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        tanaka = create_praise_target(
            session, workspace, "田中", aliases=["たなか"], digest_emails=["front@example.jp"]
        )
        shibuya = create_praise_target(
            session, workspace, "渋谷店", kind="store", aliases=["Shibuya"]
        )
        rule = rule_service.create_rule(
            session,
            workspace,
            "称賛",
            [{"field": "sentiment", "op": "in", "value": ["positive", "mixed"]}],
            [{"type": "praise"}],
        )
        rule_service.activate_rule(session, workspace, rule.id, force=True)
    record(
        kz, ws.workspace, "p1", text="田中さんの笑顔に感動しました。", received_at=NOW.isoformat()
    )
    record(
        kz,
        ws.workspace,
        "p2",
        text="The Shibuya store team was wonderful!",
        received_at=NOW.isoformat(),
    )
    record(kz, ws.workspace, "p3", text="田中さんの対応が最悪でした。", received_at=NOW.isoformat())
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        assert [p.text for p in list_praise(session, workspace, target_id=tanaka.id)] == [
            "田中さんの笑顔に感動しました。"
        ]
        assert len(list_praise(session, workspace, target_id=shibuya.id)) == 1
        assert send_praise_digests(session, kz.settings, workspace) == 1
        send_praise_digests(session, kz.settings, workspace)  # the same week again: same key
    run_jobs(kz, ws.workspace.id, ("mail.deliver",))
    (digest,) = smtp_server.inbox.received
    assert str(digest["To"]) == "front@example.jp" and "田中" in str(digest["Subject"])
    assert "笑顔に感動" in digest.get_body(preferencelist=("plain",)).get_content()


def test_loop_metrics_count_the_loop_and_a_detractors_recovery(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        upsert_customer(session, session.merge(ws.workspace), {"external_id": "c1"}, source="crm")
    before = (NOW - dt.timedelta(days=10)).isoformat()
    after = (NOW - dt.timedelta(days=1)).isoformat()
    angry = record(
        kz, ws.workspace, "d1", customer_ref="c1", nps=2, text="最悪", received_at=before
    )
    record(
        kz, ws.workspace, "d2", customer_ref="c1", nps=9, text="改善されました", received_at=after
    )
    viewer = CaseViewer.everyone("user:0")
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        front = create_department(session, workspace, "フロント")
        done = open_case(
            session,
            workspace,
            title="a",
            department_id=front.id,
            feedback_id=angry,
            now=NOW - dt.timedelta(days=9),
        )
        for status, when in (("in_progress", 8.9), ("resolved", 8.8)):
            change_case(
                session,
                workspace,
                done.id,
                viewer=viewer,
                version=None,
                status=status,
                now=NOW - dt.timedelta(days=when),
            )
        change_case(
            session,
            workspace,
            done.id,
            viewer=viewer,
            version=None,
            status="closed",
            root_cause="facility",
            resolution_note="修理しました",
            now=NOW - dt.timedelta(days=8),
        )
        open_case(
            session, workspace, title="b", department_id=front.id, now=NOW - dt.timedelta(days=5)
        )
        metrics = loop_metrics(session, workspace, days=30)
    assert (metrics.opened, metrics.closed_loop, metrics.closed_loop_rate) == (2, 1, 0.5)
    assert (metrics.recovery_cases, metrics.recovered, metrics.recovery_next_nps_mean) == (
        1,
        1,
        9.0,
    )
    assert metrics.backlog == [
        {"department_id": front.id, "department": "フロント", "open": 1, "overdue": 1}
    ]
    assert metrics.sla_checked >= 3 and metrics.first_response_hours_median is not None
