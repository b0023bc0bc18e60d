"""You said, we did: shipping tells each consenting contributor once, in their language,
quoting their words (real SMTP on loopback), even when the job runs again; the public
changelog needs no login; replies reach the customer and their timeline; webhooks are
signed, retried and marked failed when the endpoint stays down."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

from fastapi.testclient import TestClient
from loop_support import record, run_jobs, web_app
from sqlalchemy import select, update

from kizuna import Kizuna
from kizuna.customers.service import upsert_customer
from kizuna.jobs.models import Job
from kizuna.loop import rules as rule_service
from kizuna.loop.cases import CaseViewer, open_case
from kizuna.loop.improvements import (
    change_improvement,
    create_improvement,
    link_voices,
    suggest_voices,
)
from kizuna.loop.models import ImprovementLink, WebhookDelivery
from kizuna.loop.replies import draft_reply, send_reply
from kizuna.loop.webhooks import create_webhook


def customer(kz: Kizuna, ws: Any, ref: str, **fields: Any) -> None:
    with kz.session() as session:
        upsert_customer(
            session, session.merge(ws.workspace), {"external_id": ref, **fields}, source="crm"
        )


def test_shipping_tells_each_consenting_contributor_once_in_their_language(
    mail_kz: Kizuna, ws: Any, smtp_server: Any
) -> None:
    kz = mail_kz
    customer(kz, ws, "c1", name="山田 花子", email="hanako@example.jp", consent_email=True)
    customer(kz, ws, "c2", name="Ann Lee", email="ann@example.com", consent_email=True)
    customer(kz, ws, "c3", name="No Consent", email="no@example.com", consent_email=False)
    ids = [
        record(
            kz, ws.workspace, "a", customer_ref="c1", text="朝食の種類をもっと増やしてほしいです。"
        ),
        record(kz, ws.workspace, "b", customer_ref="c1", text="朝食のパンが少ない。"),
        record(
            kz,
            ws.workspace,
            "c",
            customer_ref="c2",
            text="Breakfast needs more choice.",
            language="en",
        ),
        record(kz, ws.workspace, "d", customer_ref="c3", text="朝食が寂しい。"),
        record(kz, ws.workspace, "e", text="駐車場が狭い。"),
    ]
    run_jobs(kz, ws.workspace.id, ("event.deliver",))
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        improvement = create_improvement(
            session,
            workspace,
            "朝食メニューを刷新しました",
            "和洋あわせて30品に増やしました。",
            topic="food",
        )
        suggested = [s.feedback_id for s in suggest_voices(session, workspace, improvement.id)]
        assert set(ids[:4]) <= set(suggested[:4]) or ids[0] in suggested  # breakfast voices first
        assert link_voices(session, workspace, improvement.id, ids[:4]) == 4
        change_improvement(session, workspace, improvement.id, status="planned")
        change_improvement(session, workspace, improvement.id, status="in_progress")
        change_improvement(session, workspace, improvement.id, status="shipped")
        improvement_id = improvement.id
    run_jobs(kz, ws.workspace.id, ("event.deliver", "loop.notify_contributors", "mail.deliver"))
    # The job runs again (a worker died before recording it done): nobody hears twice.
    with kz.session() as session:
        session.execute(
            update(Job).where(Job.key == f"loop.notify:{improvement_id}").values(state="queued")
        )
        session.execute(
            update(ImprovementLink)
            .where(ImprovementLink.improvement_id == improvement_id)
            .values(notify_state=None)
        )
    run_jobs(kz, ws.workspace.id, ("loop.notify_contributors", "mail.deliver"))
    received = {str(m["To"]): m for m in smtp_server.inbox.received}
    assert sorted(received) == ["ann@example.com", "hanako@example.jp"]
    assert len(smtp_server.inbox.received) == 2
    japanese = received["hanako@example.jp"]
    assert "お客様の声から生まれた改善" in str(japanese["Subject"])
    body = japanese.get_body(preferencelist=("plain",)).get_content()
    assert "山田 花子 様" in body and "朝食の種類をもっと増やしてほしいです。" in body
    assert f"/p/{ws.slug}/changelog" in body and japanese["List-Unsubscribe"]
    english = received["ann@example.com"].get_body(preferencelist=("plain",)).get_content()
    assert "Breakfast needs more choice." in english and "You said" in str(
        received["ann@example.com"]["Subject"]
    )
    with kz.session() as session:
        states = sorted(
            s
            for s in session.scalars(
                select(ImprovementLink.notify_state).where(
                    ImprovementLink.improvement_id == improvement_id
                )
            )
        )
    assert states == ["duplicate", "no_consent", "sent", "sent"]


def test_the_public_changelog_needs_no_login(kz: Kizuna, ws: Any, monkeypatch: Any) -> None:
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        shipped = create_improvement(session, workspace, "チェックインを5分に短縮しました")
        create_improvement(session, workspace, "まだ検討中の案")
        change_improvement(session, workspace, shipped.id, status="shipped")
    app = web_app(kz, monkeypatch)
    page = TestClient(app).get(f"/p/{ws.slug}/changelog")
    assert page.status_code == 200
    assert (
        "お客様の声から生まれた改善" in page.text and "チェックインを5分に短縮しました" in page.text
    )
    assert "まだ検討中の案" not in page.text
    assert TestClient(app).get("/p/no-such-workspace/changelog").status_code == 404


def test_replies_are_drafted_politely_sent_and_shown_on_the_timeline(
    mail_kz: Kizuna, ws: Any, smtp_server: Any
) -> None:
    from kizuna.customers.profile import customer_timeline

    kz = mail_kz
    teinei = draft_reply(
        "apology", "teinei", name="山田", quote="部屋が寒かった", company="絆ホテル"
    )
    keigo = draft_reply("apology", "keigo", name="山田", quote="部屋が寒かった", company="絆ホテル")
    english = draft_reply("thanks", "en", name=None, quote="Great staff", company="Kizuna Hotel")
    assert (
        teinei.body.startswith("山田 様")
        and "「部屋が寒かった」" in teinei.body
        and "お詫び申し上げます" in teinei.body
    )
    assert "賜り" in keigo.body and "心より深くお詫び申し上げます" in keigo.body
    assert english.body.startswith("Dear customer,") and '"Great staff"' in english.body
    customer(kz, ws, "c9", name="山田", email="yamada@example.jp")
    fid = record(kz, ws.workspace, "r1", customer_ref="c9", nps=3, text="部屋が寒かった")
    viewer = CaseViewer.everyone("user:0")
    with kz.session() as session:
        workspace = session.merge(ws.workspace)
        case = open_case(session, workspace, title="室温", feedback_id=fid)
        for _ in range(2):  # a double click sends once
            send_reply(
                session,
                kz.settings,
                workspace,
                case.id,
                subject=teinei.subject,
                body=teinei.body,
                language="ja",
                viewer=viewer,
            )
        assert case.first_responded_at is not None
        customer_id = case.customer_id
        items = customer_timeline(session, workspace, customer_id, limit=10).items
    assert any(
        i.kind == "interaction" and i.title == "follow_up" and i.channel == "email" for i in items
    )
    run_jobs(kz, ws.workspace.id, ("mail.deliver",))
    assert [str(m["To"]) for m in smtp_server.inbox.received] == ["yamada@example.jp"]


class _Endpoint(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []
    seen: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((dict(self.headers), body))
        self.send_response(type(self).answers.pop(0) if type(self).answers else 200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhooks_are_signed_retried_and_failed_without_blocking_rules(kz: Kizuna, ws: Any) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Endpoint.answers, _Endpoint.seen = [500], []
    try:
        with kz.session() as session:
            workspace = session.merge(ws.workspace)
            up = create_webhook(
                session, workspace, "slack", f"http://127.0.0.1:{server.server_port}/hook"
            )
            down = create_webhook(session, workspace, "down", "http://127.0.0.1:9/nothing")
            rule = rule_service.create_rule(
                session,
                workspace,
                "批判者",
                [{"field": "nps", "op": "lte", "value": 6}],
                [
                    {"type": "webhook", "webhook_id": up.id},
                    {"type": "webhook", "webhook_id": down.id},
                    {"type": "tag", "tag": "x"},
                ],
            )
            rule_service.activate_rule(session, workspace, rule.id, force=True)
            secret = up.secret
        fid = record(kz, ws.workspace, "w1", nps=1, text="最悪")
        run_jobs(
            kz, ws.workspace.id, ("event.deliver",)
        )  # the rule ran: nothing waited on endpoints
        run_jobs(kz, ws.workspace.id, ("loop.webhook",))
    finally:
        server.shutdown()
        server.server_close()
    with kz.session() as session:
        deliveries = {
            d.webhook_id: d
            for d in session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.workspace_id == ws.workspace.id)
            )
        }
    assert (deliveries[up.id].state, deliveries[up.id].attempts) == (
        "delivered",
        2,
    )  # 500, then 200
    assert (deliveries[down.id].state, deliveries[down.id].attempts) == ("failed", 6)
    headers, body = _Endpoint.seen[-1]
    expected = hmac.new(
        secret.encode(), headers["X-Kizuna-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Kizuna-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "rule.matched" and payload["data"]["feedback_id"] == fid
