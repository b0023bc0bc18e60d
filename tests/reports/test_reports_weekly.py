"""The weekly summary e-mail: last week's figures equal `kizuna metrics` for the same days,
the notable voices are there, each address gets one message a week in its language, the
Monday schedule sends it, and the CLI manages who gets it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kizuna import Kizuna, Settings
from kizuna.cli import app
from kizuna.errors import InvalidInput, NotFound
from kizuna.feedback.models import Feedback
from kizuna.ingest.service import ingest_records
from kizuna.jobs.queue import enqueue
from kizuna.jobs.worker import Worker
from kizuna.mail.models import MailMessage
from kizuna.reports.service import compute_metric
from kizuna.reports.weekly import (
    WeeklyReport,
    list_subscriptions,
    send_weekly_reports,
    subscribe,
    unsubscribe,
    week_of,
)
from kizuna.text.service import analyze_feedback

# Monday 2026-11-30, 08:00 in Tokyo: the report covers 11-23 (Mon) to 11-29 (Sun).
MONDAY = dt.datetime(2026, 11, 29, 23, 0, tzinfo=dt.UTC)
WEEK = dt.date(2026, 11, 23)


def fill(kz: Kizuna, ws: Any) -> None:
    """Last week 6 answers (3 promoters, 1 detractor), the week before 4; words to quote."""
    this_week = [10, 9, 9, 8, 7, 3]
    before = [9, 6, 5, 8]
    records = [
        {
            "external_id": f"w{i}",
            "received_at": f"2026-11-{23 + i}T10:00:00+09:00",
            "nps": score,
            "text": "スタッフの心遣いに感動しました。また泊まりたいです。"
            if score == 10
            else "チェックインで1時間も待たされ、とても不快でした。"
            if score == 3
            else None,
        }
        for i, score in enumerate(this_week)
    ] + [
        {"external_id": f"b{i}", "received_at": f"2026-11-{16 + i}T10:00:00+09:00", "nps": s}
        for i, s in enumerate(before)
    ]
    ingest_records(kz, ws.workspace, "feedback", records, source="survey")
    with kz.session() as session:
        ids = list(
            session.scalars(select(Feedback.id).where(Feedback.workspace_id == ws.workspace.id))
        )
    analyze_feedback(kz, ws.workspace.id, ids)


def outbox(kz: Kizuna, ws: Any) -> list[MailMessage]:
    with kz.session() as session:
        found = list(
            session.scalars(
                select(MailMessage)
                .where(MailMessage.workspace_id == ws.workspace.id)
                .order_by(MailMessage.to_address)
            )
        )
        session.expunge_all()
    return found


def test_the_week_is_the_last_whole_monday_to_sunday_in_the_workspace_zone() -> None:
    assert week_of(MONDAY, "Asia/Tokyo") == WEEK
    # Sunday 23:00 in Tokyo is still inside the week that is not over yet.
    assert week_of(MONDAY - dt.timedelta(hours=9), "Asia/Tokyo") == WEEK - dt.timedelta(days=7)


def test_each_subscriber_gets_last_weeks_figures_once_in_their_language(
    kz: Kizuna, ws: Any
) -> None:
    fill(kz, ws)
    with kz.session() as session:
        subscribe(session, ws.workspace, "manager@example.jp", language="ja", actor="test")
        subscribe(session, ws.workspace, "Lead@Example.com", language="en", actor="test")
    assert send_weekly_reports(kz, ws.workspace, now=MONDAY) == 2
    assert send_weekly_reports(kz, ws.workspace, now=MONDAY) == 2  # again: nothing new
    lead, manager = outbox(kz, ws)
    assert (lead.to_address, manager.to_address) == ("Lead@example.com", "manager@example.jp")
    nps = compute_metric(kz, ws.workspace, "nps", start=WEEK, end=WEEK + dt.timedelta(6))
    value = nps.to_records()[0]["value"]
    assert f"NPS: {value:.1f}" in manager.text_body and f"NPS: {value:.1f}" in lead.text_body
    before = compute_metric(
        kz, ws.workspace, "nps", start=WEEK - dt.timedelta(7), end=WEEK - dt.timedelta(1)
    ).to_records()[0]["value"]
    assert f"{value - before:+.1f}" in manager.text_body
    assert "2026-11-23" in manager.subject and "2026-11-29" in manager.subject
    assert "週次サマリー" in manager.subject and "Weekly summary" in lead.subject
    assert "お客様の声: 6 件(前週 4 件)" in manager.text_body
    assert "スタッフの心遣いに感動しました" in manager.text_body  # the most delighted
    assert "1時間も待たされ" in manager.html_body  # the angriest
    assert "感動しました" not in manager.text_body.split("対応が必要な声")[1]


def test_a_week_without_voices_sends_nothing(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        subscribe(session, ws.workspace, "manager@example.jp", actor="test")
    assert send_weekly_reports(kz, ws.workspace, now=MONDAY) == 0
    assert outbox(kz, ws) == []


def test_the_monday_job_sends_the_report(kz: Kizuna, ws: Any) -> None:
    fill(kz, ws)
    with kz.session() as session:
        subscribe(session, ws.workspace, "manager@example.jp", actor="test")
        enqueue(session, WeeklyReport(), workspace_id=ws.workspace.id, run_after=MONDAY)
    worker = Worker(kz, "weekly-test", kinds=["reports.weekly"])
    while worker.run_once():
        pass
    (message,) = outbox(kz, ws)
    assert "2026-11-23" in message.subject


def test_subscriptions_are_checked_and_scoped(kz: Kizuna, ws: Any, make_workspace: Any) -> None:
    other = make_workspace()
    with kz.session() as session:
        with pytest.raises(InvalidInput):
            subscribe(session, ws.workspace, "manager@example.jp", language="fr", actor="t")
        with pytest.raises(InvalidInput):
            subscribe(session, ws.workspace, "not an address", actor="t")
        subscribe(session, ws.workspace, "manager@example.jp", actor="t")
        assert list_subscriptions(session, other.workspace) == []
        with pytest.raises(NotFound):
            unsubscribe(session, other.workspace, "manager@example.jp", actor="t")


def test_the_cli_manages_who_gets_it(
    kz: Kizuna, ws: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIZUNA_ENV", "test")
    runner, slug = CliRunner(), ws.workspace.slug
    added = runner.invoke(
        app, ["reports", "weekly", "subscribe", "-w", slug, "cx@example.jp", "--language", "en"]
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["reports", "weekly", "list", "-w", slug])
    assert "cx@example.jp" in listed.output and "en" in listed.output
    removed = runner.invoke(app, ["reports", "weekly", "unsubscribe", "-w", slug, "cx@example.jp"])
    assert removed.exit_code == 0, removed.output
    assert "nobody yet" in runner.invoke(app, ["reports", "weekly", "list", "-w", slug]).output
