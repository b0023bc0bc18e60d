"""Validation, idempotence, updates, rejections, isolation and whole-batch transactions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from kizuna import Kizuna
from kizuna.customers.models import Customer, Interaction
from kizuna.feedback.models import Feedback
from kizuna.ingest.models import ImportRejection, ImportRun
from kizuna.ingest.service import (
    ImportInterrupted,
    import_file,
    ingest_records,
    write_rejections_csv,
)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def _count(kz: Kizuna, model: type, workspace_id: int) -> int:
    with kz.session() as session:
        query = select(func.count()).select_from(model).where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]
        return int(session.scalar(query) or 0)


def _small_batches(kz: Kizuna, size: int) -> Kizuna:
    return Kizuna(kz.settings.model_copy(update={"import_batch_size": size}), engine=kz.engine)


BAD_FEEDBACK = [
    ["id", "customer_id", "date", "channel", "nps", "csat", "comment"],
    ["1", "C1", "2025-04-01 09:00", "web", "10", "5", "great"],
    ["2", "C2", "2025-04-01 09:05", "store", "11", "4", "score eleven"],
    ["3", "C3", "yesterday", "app", "8", "", "bad date"],
    ["4", "C4", "2025-04-01 09:15", "carrier pigeon", "7", "", "odd channel"],
    ["5", "C5", "", "web", "6", "", "no date"],
    ["6", "C6", "2025-04-01 09:25", "email", "", "6", "csat six"],
    ["7", "C7", "2025-04-01 09:30", "web", "", "", ""],
]


def test_each_bad_row_is_kept_with_its_line_reason_code_and_both_languages(
    kz: Kizuna, ws, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "voices.csv", BAD_FEEDBACK)
    summary = import_file(kz, ws.slug, "feedback", path, language="en")
    assert summary.line() == "read 7, inserted 2, updated 0, unchanged 0, rejected 5"
    assert summary.read == summary.inserted + summary.updated + summary.unchanged + summary.rejected
    with kz.session() as session:
        rejected = session.execute(
            select(
                ImportRejection.line,
                ImportRejection.reason_code,
                ImportRejection.reason,
                ImportRejection.raw,
            )
            .where(ImportRejection.run_id == summary.run_id)
            .order_by(ImportRejection.line)
        ).all()
        run = session.get(ImportRun, summary.run_id)
        odd = session.scalar(
            select(Feedback).where(
                Feedback.workspace_id == ws.workspace.id, Feedback.external_id == "4"
            )
        )
    assert [(r.line, r.reason_code) for r in rejected] == [
        (3, "score_out_of_range"),
        (4, "invalid_date"),
        (6, "missing_field"),
        (7, "score_out_of_range"),
        (8, "empty_feedback"),
    ]
    assert "NPS" in rejected[0].reason and "nps must be from 0 to 10" in rejected[0].reason
    assert rejected[0].raw["comment"] == "score eleven"
    assert (run.status, run.read, run.inserted, run.rejected) == ("done", 7, 2, 5)  # type: ignore[union-attr]
    # An unknown channel is not a reason to lose the voice: it is "other", the name kept.
    assert odd is not None and odd.channel == "other"
    assert odd.properties["channel_raw"] == "carrier pigeon"

    report = tmp_path / "rejected.csv"
    assert write_rejections_csv(kz, summary.run_id, report) == 5
    with report.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["line", "reason_code", "reason", *BAD_FEEDBACK[0]]
    assert lines[1][:2] == ["3", "score_out_of_range"]
    assert lines[1][3:] == BAD_FEEDBACK[2]


def test_reimport_changes_nothing_and_edits_are_updates(kz: Kizuna, ws, tmp_path: Path) -> None:
    rows = [
        BAD_FEEDBACK[0],
        BAD_FEEDBACK[1],
        ["6", "C6", "2025-04-01 09:25", "email", "", "4", "ok"],
    ]
    path = _csv(tmp_path / "voices.csv", rows)
    assert import_file(kz, ws.slug, "feedback", path).inserted == 2
    again = import_file(kz, ws.slug, "feedback", path)
    assert again.line() == "read 2, inserted 0, updated 0, unchanged 2, rejected 0"
    edited = [
        rows[0],
        ["1", "C1", "2025-04-01 09:00", "web", "9", "5", "great, now 9"],
        rows[2],
        ["8", "C8", "2025-04-02", "web", "3", "", "new one"],
    ]
    summary = import_file(kz, ws.slug, "feedback", _csv(tmp_path / "edited.csv", edited))
    assert summary.line() == "read 3, inserted 1, updated 1, unchanged 1, rejected 0"
    with kz.session() as session:
        first = session.scalar(
            select(Feedback).where(
                Feedback.workspace_id == ws.workspace.id, Feedback.external_id == "1"
            )
        )
    assert first is not None and (first.nps, first.text) == (9, "great, now 9")
    assert _count(kz, Feedback, ws.workspace.id) == 3


def test_rows_without_an_id_are_keyed_by_content(kz: Kizuna, ws, tmp_path: Path) -> None:
    rows = [
        ["顧客ID", "日時", "コメント", "満足度"],
        ["C1", "2025/4/1 10:00", "良かった", "5"],
        ["C2", "2025/4/1 11:00", "普通", "3"],
        ["C2", "2025/4/1 11:00", "普通", "3"],
    ]
    first = import_file(kz, ws.slug, "feedback", _csv(tmp_path / "a.csv", rows))
    assert first.line() == "read 3, inserted 2, updated 0, unchanged 1, rejected 0"
    # The same rows saved again with other date formats and column order are the same rows.
    resaved = [
        ["満足度", "コメント", "日時", "顧客ID"],
        ["5", "良かった", "2025-04-01T10:00:00+09:00", "C1"],
        ["3", "普通", "令和7年4月1日 11:00", "C2"],
    ]
    again = import_file(kz, ws.slug, "feedback", _csv(tmp_path / "b.csv", resaved))
    assert again.inserted == 0 and again.read == 2
    assert _count(kz, Feedback, ws.workspace.id) == 2


def test_same_external_id_in_two_workspaces_is_two_rows(
    kz: Kizuna, make_workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    one, two = make_workspace(), make_workspace()
    path = _csv(tmp_path / "customers.csv", [["顧客ID", "氏名"], ["C1", "山田太郎"]])
    assert import_file(kz, one.slug, "customers", path).inserted == 1
    assert import_file(kz, two.slug, "customers", path).inserted == 1
    with kz.session() as session:
        owners = session.scalars(select(Customer.workspace_id).where(Customer.external_id == "C1"))
        assert {one.workspace.id, two.workspace.id} <= set(owners)


def test_customers_fields_and_references_from_interactions_and_feedback(kz: Kizuna, ws) -> None:
    customers = [
        {
            "external_id": "C1",
            "name": "山田花子",
            "email": " Hanako@Example.JP ",
            "gender": "女性",
            "interests": "旅行|グルメ、ワイン",
            "consent_email": "はい",
            "会員ランク": "ゴールド",
            "birthday": "平成2年5月6日",
        },
        {"external_id": "", "name": "no id"},
        {"external_id": "C3", "email": "not-an-address"},
    ]
    summary, results = ingest_records(
        kz, ws.workspace, "customers", customers, collect_results=True, language="en"
    )
    assert (summary.inserted, summary.rejected) == (1, 2)
    assert [r.status for r in results] == ["inserted", "rejected", "rejected"]
    assert [r.reason_code for r in results] == [None, "missing_field", "invalid_email"]
    assert results[1].reason is not None and "external_id is empty" in results[1].reason
    with kz.session() as session:
        hanako = session.get(Customer, results[0].id)
    assert hanako is not None
    assert (hanako.email, hanako.gender, hanako.consent_email) == (
        "hanako@example.jp",
        "female",
        True,
    )
    assert hanako.interests == ["旅行", "グルメ", "ワイン"]
    assert hanako.attributes == {"会員ランク": "ゴールド"}
    assert str(hanako.birthday) == "1990-05-06"

    visits = [
        {
            "customer_ref": "C1",
            "occurred_at": "2025-04-01 10:00",
            "channel": "店舗",
            "kind": "購入",
            "amount": "1,500",
        },
        {"customer_ref": "nobody", "occurred_at": "2025-04-01 11:00", "channel": "web"},
    ]
    _, done = ingest_records(
        kz, ws.workspace, "interactions", visits, source="pos", collect_results=True
    )
    with kz.session() as session:
        bought = session.get(Interaction, done[0].id)
        stranger = session.get(Interaction, done[1].id)
    assert bought is not None and stranger is not None
    assert (bought.customer_id, bought.kind, bought.amount, bought.source) == (
        hanako.id,
        "purchase",
        1500.0,
        "pos",
    )
    assert (stranger.customer_id, stranger.customer_ref, stranger.kind) == (None, "nobody", "visit")
    assert bought.external_id.startswith("auto-")


def test_api_results_follow_the_batch_order_and_repeat_keys_in_one_batch(kz: Kizuna, ws) -> None:
    records = [
        {"external_id": "F1", "received_at": "2025-04-01T10:00:00+09:00", "nps": 9, "text": "a"},
        {"external_id": "F1", "received_at": "2025-04-01T10:00:00+09:00", "nps": 3, "text": "b"},
        {"external_id": "F2", "received_at": "2025-04-01T11:00:00+09:00", "csat": 6},
        "not an object",
        {
            "external_id": "F3",
            "received_at": "2025-04-01T12:00:00+09:00",
            "nps": "7",
            "properties": {"store": "渋谷"},
            "channel": "LINE",
        },
    ]
    summary, results = ingest_records(
        kz,
        ws.workspace,
        "feedback",
        records,  # type: ignore[arg-type]
        collect_results=True,
        source="survey",
    )
    assert summary.line() == "read 5, inserted 2, updated 1, unchanged 0, rejected 2"
    assert [(r.line, r.status) for r in results] == [
        (1, "inserted"),
        (2, "updated"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "inserted"),
    ]
    assert results[0].id == results[1].id is not None
    assert results[2].reason is not None and "満足度" in results[2].reason
    with kz.session() as session:
        f1 = session.get(Feedback, results[0].id)
        f3 = session.get(Feedback, results[4].id)
    assert f1 is not None and (f1.nps, f1.text, f1.source) == (3, "b", "survey")
    assert f3 is not None and (f3.channel, f3.properties) == ("sns", {"store": "渋谷"})


def test_mapping_file_names_columns_the_vocabulary_does_not_know(kz: Kizuna, ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _csv(
        tmp_path / "survey.csv", [["No.", "いつ", "推薦", "声"], ["101", "2025/4/1", "8", "よい"]]
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "external_id: No.\nreceived_at: いつ\nnps: 推薦\ntext: 声\n", encoding="utf-8"
    )
    summary = import_file(kz, ws.slug, "feedback", path, mapping_path=mapping)
    assert summary.inserted == 1
    with kz.session() as session:
        got = session.scalar(select(Feedback).where(Feedback.workspace_id == ws.workspace.id))
    assert got is not None and (got.external_id, got.nps, got.text) == ("101", 8, "よい")


@pytest.fixture
def failing_insert(kz: Kizuna, is_postgres: bool):  # type: ignore[no-untyped-def]
    """A real database trigger that refuses feedback whose text is 'boom'."""
    if is_postgres:
        create = [
            "CREATE FUNCTION ingest_test_boom() RETURNS trigger AS $$ BEGIN "
            "IF NEW.text = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER ingest_test_boom BEFORE INSERT ON feedback FOR EACH ROW "
            "EXECUTE FUNCTION ingest_test_boom()",
        ]
        drop = ["DROP TRIGGER ingest_test_boom ON feedback", "DROP FUNCTION ingest_test_boom()"]
    else:
        create = [
            "CREATE TRIGGER ingest_test_boom BEFORE INSERT ON feedback WHEN NEW.text = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
        ]
        drop = ["DROP TRIGGER ingest_test_boom"]
    with kz.engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    yield
    with kz.engine.begin() as conn:
        for statement in drop:
            conn.execute(text(statement))


def test_interrupted_import_leaves_only_whole_batches(
    kz: Kizuna, ws, tmp_path: Path, failing_insert: None
) -> None:
    rows = [["id", "date", "comment"]]
    rows += [
        [str(i), f"2025-04-01 10:{i:02d}", "boom" if i == 5 else f"voice {i}"] for i in range(1, 9)
    ]
    path = _csv(tmp_path / "voices.csv", rows)
    small = _small_batches(kz, 3)
    with pytest.raises(ImportInterrupted) as err:
        import_file(small, ws.slug, "feedback", path)
    assert "lines 5-7" in err.value.message("en")  # data rows 4-6 sit on file lines 5-7
    assert "再実行" in err.value.message("ja")
    with kz.session() as session:
        saved = set(
            session.scalars(
                select(Feedback.external_id).where(Feedback.workspace_id == ws.workspace.id)
            )
        )
        run = session.scalar(select(ImportRun).where(ImportRun.workspace_id == ws.workspace.id))
    assert saved == {"1", "2", "3"}  # batch 1 whole; nothing of batch 2 (rows 4-6)
    assert run is not None and (run.status, run.read, run.inserted) == ("failed", 3, 3)


def test_an_api_batch_is_stored_whole_or_not_at_all(kz: Kizuna, ws, failing_insert: None) -> None:
    """One API call is one transaction, however many import batches its records make."""
    records = [
        {"external_id": str(i), "received_at": "2025-04-01", "text": "boom" if i == 5 else "ok"}
        for i in range(1, 9)
    ]
    small = _small_batches(kz, 3)
    with pytest.raises(ImportInterrupted):
        ingest_records(small, ws.workspace, "feedback", records, collect_results=True, at_once=True)
    assert _count(kz, Feedback, ws.workspace.id) == 0  # batch 1 (rows 1-3) was not kept
    with kz.session() as session:
        runs = list(
            session.scalars(select(ImportRun).where(ImportRun.workspace_id == ws.workspace.id))
        )
    assert [(r.status, r.inserted) for r in runs] == [("failed", 0)]
    records[4]["text"] = "fine"
    summary, rows = ingest_records(
        small, ws.workspace, "feedback", records, collect_results=True, at_once=True
    )
    assert (summary.inserted, len(rows), _count(kz, Feedback, ws.workspace.id)) == (8, 8, 8)


def test_after_an_interruption_the_same_import_finishes_the_job(
    kz: Kizuna, ws, tmp_path: Path
) -> None:
    rows = [["id", "date", "comment"]] + [[str(i), "2025-04-01", f"v{i}"] for i in range(1, 8)]
    path = _csv(tmp_path / "voices.csv", rows)
    small = _small_batches(kz, 3)

    def stop_after_four():  # type: ignore[no-untyped-def]
        for n, record in enumerate(
            [{"id": r[0], "date": r[1], "comment": r[2]} for r in rows[1:]], start=1
        ):
            if n == 5:
                raise KeyboardInterrupt
            yield record

    with pytest.raises(KeyboardInterrupt):
        ingest_records(small, ws.workspace, "feedback", stop_after_four())
    assert _count(kz, Feedback, ws.workspace.id) == 3
    summary = import_file(small, ws.slug, "feedback", path)
    assert summary.line() == "read 7, inserted 4, updated 0, unchanged 3, rejected 0"
