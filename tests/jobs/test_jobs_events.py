"""Domain events: written with the data, delivered through jobs, each subscriber once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from kizuna import Kizuna
from kizuna.errors import InvalidInput
from kizuna.feedback.events import VoicesRecorded
from kizuna.feedback.models import FeedbackAnalysis
from kizuna.feedback.service import record_voice
from kizuna.jobs.events import raise_event
from kizuna.jobs.models import DomainEvent, EventDelivery, Job
from kizuna.jobs.worker import Worker

VOICE = {
    "external_id": "rev-1",
    "received_at": "2026-11-30T10:00:00+09:00",
    "text": "スタッフの方がとても親切で、また泊まりたいと思いました。",
    "nps": 10,
    "channel": "web",
}


def events_of(kz: Kizuna, workspace_id: int, kind: str) -> list[DomainEvent]:
    with kz.session() as session:
        return list(
            session.scalars(
                select(DomainEvent).where(
                    DomainEvent.workspace_id == workspace_id, DomainEvent.kind == kind
                )
            )
        )


def deliveries(kz: Kizuna, workspace_id: int) -> list[Job]:
    with kz.session() as session:
        return list(
            session.scalars(
                select(Job).where(Job.workspace_id == workspace_id, Job.kind == "event.deliver")
            )
        )


def subscribers_of(kind: str) -> list[str]:
    """Every registered subscriber of an event kind (text analysis, the search index, ...)."""
    from kizuna.features import subscriptions

    return sorted(s.name for s in subscriptions(kind))


def run_deliveries(kz: Kizuna) -> int:
    return Worker(kz, "w-events", kinds=["event.deliver"]).run_burst()


def test_a_rolled_back_write_leaves_no_event_and_no_delivery(kz: Kizuna, ws: Any) -> None:
    with pytest.raises(RuntimeError), kz.session() as session:
        record_voice(session, ws.workspace, VOICE, source="review")
        raise RuntimeError("something after the write failed")
    assert events_of(kz, ws.workspace.id, "voice.recorded") == []
    assert deliveries(kz, ws.workspace.id) == []


def test_a_recorded_voice_is_analysed_once_by_its_subscriber(kz: Kizuna, ws: Any) -> None:
    wid = ws.workspace.id
    with kz.session() as session:
        written = record_voice(session, ws.workspace, VOICE, source="review", actor="user:1")
    assert written.status == "inserted"
    # Committed: the event and its delivery job are in the table before any worker runs,
    # so a process that dies now loses nothing; whichever worker starts next delivers it.
    (event,) = events_of(kz, wid, "voice.recorded")
    assert event.payload == {"feedback_ids": [written.id]}
    queued = deliveries(kz, wid)
    # One delivery job per subscriber of the event, text analysis among them.
    assert sorted(j.payload["subscriber"] for j in queued) == subscribers_of("voice.recorded")
    (job,) = [j for j in queued if j.payload["subscriber"] == "text.analyze"]
    assert job.state == "queued"
    assert run_deliveries(kz) >= 1
    with kz.session() as session:
        analysed = session.scalars(
            select(FeedbackAnalysis).where(FeedbackAnalysis.feedback_id == written.id)
        ).all()
    assert [a.sentiment for a in analysed] == ["positive"]
    assert len(events_of(kz, wid, "voice.analyzed")) == 1

    # At-least-once delivery: the same job runs again (a worker died before marking it
    # done). The subscriber's effect happens once: no second analysis event, one delivery.
    with kz.session() as session:
        session.execute(update(Job).where(Job.id == job.id).values(state="queued"))
    run_deliveries(kz)
    assert len(events_of(kz, wid, "voice.analyzed")) == 1
    with kz.session() as session:
        delivered = session.scalar(
            select(func.count()).where(
                EventDelivery.event_id == event.id, EventDelivery.subscriber == "text.analyze"
            )
        )
    assert delivered == 1


def test_the_same_voice_sent_again_raises_nothing_new(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        first = record_voice(session, ws.workspace, VOICE, source="review")
    with kz.session() as session:
        again = record_voice(session, ws.workspace, VOICE, source="review")
    assert (first.status, again.status, again.id) == ("inserted", "unchanged", first.id)
    assert len(events_of(kz, ws.workspace.id, "voice.recorded")) == 1
    changed = {**VOICE, "text": "部屋が寒くて眠れませんでした。"}
    with kz.session() as session:
        updated = record_voice(session, ws.workspace, changed, source="review")
    assert (updated.status, updated.id) == ("updated", first.id)
    assert len(events_of(kz, ws.workspace.id, "voice.recorded")) == 2


def test_an_event_raised_twice_under_one_key_is_stored_once(kz: Kizuna, ws: Any) -> None:
    event = VoicesRecorded(workspace_id=ws.workspace.id, feedback_ids=[1])
    with kz.session() as session:
        first = raise_event(session, event, key="answer:42")
        second = raise_event(session, event, key="answer:42")
    assert first is not None and second is None
    assert len(events_of(kz, ws.workspace.id, "voice.recorded")) == 1
    assert len(deliveries(kz, ws.workspace.id)) == len(subscribers_of("voice.recorded"))


def test_a_voice_the_import_rules_refuse_is_refused_with_the_reason(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session, pytest.raises(InvalidInput) as refused:
        record_voice(session, ws.workspace, {**VOICE, "nps": 11}, source="review")
    assert refused.value.details["reason_code"] == "score_out_of_range"
    assert "0" in refused.value.message("ja") and "10" in refused.value.message("en")
    with kz.session() as session, pytest.raises(InvalidInput) as no_date:
        record_voice(session, ws.workspace, {"text": "日付なし"}, source="review")
    assert no_date.value.details["reason_code"] == "missing_field"
    assert events_of(kz, ws.workspace.id, "voice.recorded") == []


def test_imported_batches_raise_the_same_event_as_single_voices(kz: Kizuna, ws: Any) -> None:
    from kizuna.ingest.service import ingest_records

    records = [{**VOICE, "external_id": f"b-{i}"} for i in range(3)]
    summary, _ = ingest_records(kz, ws.workspace, "feedback", records, source="review")
    assert summary.inserted == 3
    (event,) = events_of(kz, ws.workspace.id, "voice.recorded")
    assert len(event.payload["feedback_ids"]) == 3
    assert sorted(j.payload["subscriber"] for j in deliveries(kz, ws.workspace.id)) == (
        subscribers_of("voice.recorded")
    )
