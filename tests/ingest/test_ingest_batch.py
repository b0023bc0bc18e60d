"""A batch API call: one transaction, one result per record, events once, keys idempotent.

`run_batch` is what `POST /api/v1/feedback/batch` and `/interactions/batch` call with the
request's models. Its answer is checked against `BatchResultPublic` (the documented shape),
and what it stores against what the general path (`ingest_records`, record by record)
stores for the same records in another workspace: the same rows, the same verdicts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text

from kizuna import Kizuna
from kizuna.accounts.models import AuditEvent
from kizuna.customers.models import Interaction
from kizuna.customers.schemas import InteractionCreate
from kizuna.feedback.models import Feedback
from kizuna.feedback.schemas import BatchResultPublic, FeedbackCreate
from kizuna.ingest.batch import run_batch
from kizuna.ingest.models import ImportRejection, ImportRun
from kizuna.ingest.service import ImportInterrupted, ingest_records
from kizuna.jobs.models import DomainEvent

VOICE = {"received_at": "2025-04-01T10:30:00+09:00", "nps": 9, "text": "とても良かった"}


def _voices(records: list[dict[str, Any]]) -> list[FeedbackCreate]:
    return [FeedbackCreate.model_validate(r) for r in records]


def _answer(body: bytes) -> BatchResultPublic:
    return BatchResultPublic.model_validate_json(body)


def _announced(kz: Kizuna, workspace_id: int) -> list[list[int]]:
    with kz.session() as session:
        payloads = session.scalars(
            select(DomainEvent.payload)
            .where(DomainEvent.workspace_id == workspace_id, DomainEvent.kind == "voice.recorded")
            .order_by(DomainEvent.id)
        )
        return [
            list((json.loads(p) if isinstance(p, str) else p)["feedback_ids"]) for p in payloads
        ]


def _stored(kz: Kizuna, workspace_id: int) -> list[tuple[Any, ...]]:
    with kz.session() as session:
        rows = session.scalars(
            select(Feedback)
            .where(Feedback.workspace_id == workspace_id)
            .order_by(Feedback.external_id)
        )
        return [
            (
                f.external_id,
                f.source,
                f.content_hash,
                f.channel,
                f.touchpoint,
                f.customer_ref,
                f.received_at,
                f.received_on,
                f.text,
                f.language,
                f.nps,
                f.csat,
                f.ces,
                f.rating,
                f.properties,
            )
            for f in rows
        ]


def test_each_record_gets_its_result_in_order_and_the_answer_is_the_documented_shape(
    kz: Kizuna, ws
) -> None:
    records = [
        {**VOICE, "external_id": "F-1", "channel": "LINE", "properties": {"store": "渋谷"}},
        {**VOICE, "external_id": "F-2", "nps": 11},
        {**VOICE, "external_id": "F-3", "received_at": "2025年4月2日 9時30分"},
        {**VOICE, "external_id": "F-4", "received_at": "いつか"},
        {**VOICE, "external_id": None, "text": "id なし"},
        {**VOICE, "external_id": "F-6", "nps": "8", "channel": "伝書鳩"},
    ]
    done = run_batch(kz, ws.workspace, "feedback", _voices(records), "en", "survey", "test")
    answer = _answer(done.body)
    assert answer.summary.line == "read 6, inserted 4, updated 0, unchanged 0, rejected 2"
    assert answer.summary.run_id == done.summary.run_id
    rows = answer.rows
    assert [r.line for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r.status for r in rows] == [
        "inserted",
        "rejected",
        "inserted",
        "rejected",
        "inserted",
        "inserted",
    ]
    assert (rows[1].reason_code, rows[1].external_id, rows[1].id) == (
        "score_out_of_range",
        "F-2",
        None,
    )
    assert rows[1].reason is not None and "nps must be from 0 to 10" in rows[1].reason
    assert rows[3].reason_code == "invalid_date"
    assert rows[4].external_id is not None and rows[4].external_id.startswith("auto-")
    with kz.session() as session:
        one = session.get(Feedback, rows[0].id)
        six = session.get(Feedback, rows[5].id)
        kept = session.scalars(
            select(ImportRejection.reason_code).where(
                ImportRejection.run_id == answer.summary.run_id
            )
        )
        assert sorted(kept) == ["invalid_date", "score_out_of_range"]
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.workspace_id == ws.workspace.id, AuditEvent.action == "import.run"
            )
        ).all()
    assert [(a.actor, a.target, a.details) for a in audit] == [
        (
            "test",
            f"import:{answer.summary.run_id}",
            {"read": 6, "inserted": 4, "updated": 0, "rejected": 2},
        )
    ]
    assert audit[0].occurred_at is not None
    assert one is not None and (one.channel, one.properties) == ("sns", {"store": "渋谷"})
    assert six is not None and (six.nps, six.channel) == (8, "other")
    assert six.properties == {"channel_raw": "伝書鳩"}
    japanese = run_batch(kz, ws.workspace, "feedback", _voices(records[1:2]), "ja", "survey")
    reason = _answer(japanese.body).rows[0].reason
    assert reason is not None and "0〜10" in reason


def test_sent_again_nothing_changes_and_only_changed_records_are_announced(kz: Kizuna, ws) -> None:
    records = [{**VOICE, "external_id": f"F-{i}"} for i in range(5)]
    first = _answer(run_batch(kz, ws.workspace, "feedback", _voices(records), "en").body)
    again = _answer(run_batch(kz, ws.workspace, "feedback", _voices(records), "en").body)
    assert {r.status for r in again.rows} == {"unchanged"}
    assert [r.id for r in again.rows] == [r.id for r in first.rows]
    records[2] = {**records[2], "text": "やっぱり普通"}
    edited = _answer(run_batch(kz, ws.workspace, "feedback", _voices(records), "en").body)
    assert [r.status for r in edited.rows].count("updated") == 1
    assert edited.rows[2].status == "updated" and edited.rows[2].id == first.rows[2].id
    # One event per call that changed something, naming exactly the rows it changed.
    assert _announced(kz, ws.workspace.id) == [
        [r.id for r in first.rows],
        [first.rows[2].id],
    ]


def test_the_same_key_twice_in_one_call_keeps_the_later_record(kz: Kizuna, ws) -> None:
    records = [
        {**VOICE, "external_id": "F-1", "nps": 9},
        {**VOICE, "external_id": "F-1", "nps": 3},
    ]
    answer = _answer(run_batch(kz, ws.workspace, "feedback", _voices(records), "en").body)
    assert [r.status for r in answer.rows] == ["inserted", "updated"]
    assert answer.rows[0].id == answer.rows[1].id
    with kz.session() as session:
        stored = session.get(Feedback, answer.rows[0].id)
    assert stored is not None and stored.nps == 3


def test_a_call_stores_what_the_general_path_stores(kz: Kizuna, make_workspace) -> None:
    """The same records through the batch API and through `ingest_records`: same rows."""
    fast, general = make_workspace("fast"), make_workspace("general")
    records = [
        {**VOICE, "external_id": f"F-{i}", "customer_ref": f"C{i % 3}", "csat": 1 + i % 5}
        for i in range(40)
    ]
    records += [
        {**VOICE, "external_id": "Ｆ－９９", "rating": 4.5, "touchpoint": "checkout"},
        {**VOICE, "external_id": None, "received_at": "2025/4/1 10:30", "nps": None},
        {**VOICE, "external_id": "F-nan", "rating": float("nan")},
        {**VOICE, "external_id": "F-bool", "nps": True},
        {**VOICE, "external_id": "F-nul", "text": "a\u0000b"},
        {**VOICE, "external_id": "F-deep", "properties": {"a": {"b": {"c": 1}}}, "language": "ja"},
    ]
    models = _voices(records)
    for handle in (fast, general):
        customers = [{"external_id": f"C{i}", "name": f"顧客{i}"} for i in range(2)]
        ingest_records(kz, handle.workspace, "customers", customers)
    done = run_batch(kz, fast.workspace, "feedback", models, "en", "review", "test")
    summary, results = ingest_records(
        kz,
        general.workspace,
        "feedback",
        [m.model_dump() for m in models],
        source="review",
        language="en",
        collect_results=True,
        at_once=True,
    )
    assert done.summary.line() == summary.line()
    rows = _answer(done.body).rows
    assert [(r.status, r.external_id, r.reason_code, r.reason) for r in rows] == [
        (r.status, r.external_id, r.reason_code, r.reason) for r in results
    ]
    assert _stored(kz, fast.workspace.id) == _stored(kz, general.workspace.id)
    with kz.session() as session:
        linked = session.scalars(
            select(Feedback.customer_id).where(
                Feedback.workspace_id == fast.workspace.id, Feedback.customer_ref == "C1"
            )
        )
        assert all(customer_id is not None for customer_id in linked)


def test_interactions_take_the_same_road(kz: Kizuna, ws) -> None:
    records = [
        {"external_id": "T-1", "occurred_at": "2025-04-01 10:00", "channel": "店舗"},
        {"external_id": "T-2", "occurred_at": "2025-04-01T10:00:00+09:00", "channel": "web"},
        {"external_id": "T-3", "occurred_at": "いつか", "channel": "web"},
        {
            "external_id": "T-4",
            "occurred_at": "2025-04-02T12:00:00Z",
            "channel": "app",
            "kind": "購入",
            "amount": 1500,
            "direct": False,
        },
    ]
    models = [InteractionCreate.model_validate(r) for r in records]
    answer = _answer(run_batch(kz, ws.workspace, "interactions", models, "en", "pos").body)
    assert [r.status for r in answer.rows] == ["inserted", "inserted", "rejected", "inserted"]
    with kz.session() as session:
        bought = session.get(Interaction, answer.rows[3].id)
    assert bought is not None
    assert (bought.kind, bought.amount, bought.direct, bought.source) == (
        "purchase",
        1500.0,
        False,
        "pos",
    )


def test_records_of_different_shapes_are_taken_one_by_one(kz: Kizuna, ws) -> None:
    records: list[dict[str, Any]] = [
        {"received_at": "2025-04-01", "nps": 9, "external_id": "A"},
        {"external_id": "B", "received_at": "2025-04-01", "text": "順番違い"},
        {"external_id": "C", "received_at": "2025-04-01", "店舗": "渋谷", "nps": 5},
    ]
    answer = _answer(run_batch(kz, ws.workspace, "feedback", records, "en").body)
    assert [r.status for r in answer.rows] == ["inserted"] * 3
    with kz.session() as session:
        shibuya = session.scalar(
            select(Feedback).where(
                Feedback.workspace_id == ws.workspace.id, Feedback.external_id == "C"
            )
        )
    assert shibuya is not None and shibuya.properties == {"店舗": "渋谷"}


@pytest.fixture
def failing_insert(kz: Kizuna, is_postgres: bool):  # type: ignore[no-untyped-def]
    """A real database trigger that refuses feedback whose text is 'boom'."""
    if is_postgres:
        create = [
            "CREATE FUNCTION batch_test_boom() RETURNS trigger AS $$ BEGIN "
            "IF NEW.text = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER batch_test_boom BEFORE INSERT ON feedback FOR EACH ROW "
            "EXECUTE FUNCTION batch_test_boom()",
        ]
        drop = ["DROP TRIGGER batch_test_boom ON feedback", "DROP FUNCTION batch_test_boom()"]
    else:
        create = [
            "CREATE TRIGGER batch_test_boom BEFORE INSERT ON feedback WHEN NEW.text = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
        ]
        drop = ["DROP TRIGGER batch_test_boom"]
    with kz.engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    yield
    with kz.engine.begin() as conn:
        for statement in drop:
            conn.execute(text(statement))


def test_a_call_is_stored_whole_or_not_at_all(kz: Kizuna, ws, failing_insert: None) -> None:
    records = [
        {**VOICE, "external_id": str(i), "text": "boom" if i == 5 else "ok"} for i in range(8)
    ]
    with pytest.raises(ImportInterrupted) as failed:
        run_batch(kz, ws.workspace, "feedback", _voices(records), "en")
    assert "send the same batch again" in failed.value.message("en")
    assert "もう一度送って" in failed.value.message("ja")
    with kz.session() as session:
        stored = session.scalars(
            select(Feedback.id).where(Feedback.workspace_id == ws.workspace.id)
        )
        runs = session.scalars(select(ImportRun).where(ImportRun.workspace_id == ws.workspace.id))
        assert list(stored) == []
        assert [(r.status, r.origin) for r in runs] == [("failed", "api")]
    assert _announced(kz, ws.workspace.id) == []
    records[5]["text"] = "fine"
    answer = _answer(run_batch(kz, ws.workspace, "feedback", _voices(records), "en").body)
    assert answer.summary.inserted == 8
    assert len(_announced(kz, ws.workspace.id)) == 1
