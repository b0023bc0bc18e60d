"""`export_workspace`: Parquet files of one workspace with a manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reports_data import add_customers, add_feedback, add_interactions
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.errors import InvalidInput
from kizuna.reports.export import export_workspace, read_manifest


def test_export_holds_only_this_workspace_and_says_so_in_the_manifest(
    kz: Kizuna, make_workspace: Any, tmp_path: Path
) -> None:
    mine, theirs = make_workspace(), make_workspace()
    customers = add_customers(kz, mine.workspace.id, 12)
    rows = add_feedback(kz, mine.workspace.id, 30, customers)
    add_interactions(kz, mine.workspace.id, customers)
    add_feedback(kz, theirs.workspace.id, 25, seed=9)
    add_customers(kz, theirs.workspace.id, 5, seed=9)

    result = export_workspace(kz, mine.workspace, tmp_path, chunk_rows=7)

    assert result.rows == {
        "feedback": 30,
        "interaction": 12,
        "customer": 12,
        "feedback_analysis": 0,
    }
    feedback = pq.read_table(tmp_path / "feedback.parquet").to_pylist()
    assert {row["workspace_id"] for row in feedback} == {mine.workspace.id}
    assert sorted(r["external_id"] for r in feedback) == sorted(r["external_id"] for r in rows)
    manifest = read_manifest(tmp_path)
    assert manifest["workspace"]["slug"] == mine.slug
    assert manifest["tables"]["feedback"]["rows"] == 30
    assert not list(tmp_path.glob(".*partial"))


def test_values_round_trip_with_dates_times_and_json(kz: Kizuna, ws: Any, tmp_path: Path) -> None:
    rows = add_feedback(kz, ws.workspace.id, 5)
    export_workspace(kz, ws.workspace, tmp_path)
    written = {
        r["external_id"]: r for r in pq.read_table(tmp_path / "feedback.parquet").to_pylist()
    }
    for row in rows:
        got = written[row["external_id"]]
        assert got["received_on"] == row["received_on"]
        # Naive UTC, as stored in the operational database.
        assert got["received_at"] == row["received_at"].replace(tzinfo=None)
        assert got["nps"] == row["nps"]
        assert json.loads(got["properties"]) == {"note": "テスト"}


def test_personal_columns_stay_out_unless_asked(kz: Kizuna, ws: Any, tmp_path: Path) -> None:
    add_customers(kz, ws.workspace.id, 3)
    export_workspace(kz, ws.workspace, tmp_path / "plain")
    export_workspace(kz, ws.workspace, tmp_path / "full", include_personal=True)
    plain = pq.read_schema(tmp_path / "plain" / "customer.parquet").names
    full = pq.read_table(tmp_path / "full" / "customer.parquet").to_pylist()
    assert "email" not in plain and "name" not in plain
    assert "age_band" in plain
    assert {row["email"] for row in full} == {"c0@example.com", "c1@example.com", "c2@example.com"}


def test_empty_workspace_exports_empty_tables(kz: Kizuna, ws: Any, tmp_path: Path) -> None:
    result = export_workspace(kz, ws.workspace, tmp_path)
    assert result.rows == {"feedback": 0, "interaction": 0, "customer": 0, "feedback_analysis": 0}
    assert pq.read_schema(tmp_path / "feedback.parquet").field("received_on").type == pa.date32()


def test_the_analysis_of_each_voice_travels_with_the_export(
    kz: Kizuna, ws: Any, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from kizuna.feedback.models import Feedback
    from kizuna.text.service import analyze_feedback

    add_feedback(kz, ws.workspace.id, 6)
    with kz.session() as session:  # the shared rows carry scores only: give them words
        session.execute(
            update(Feedback)
            .where(Feedback.workspace_id == ws.workspace.id)
            .values(text="スタッフの対応がとても丁寧で感動しました")
        )
        mine = select(Feedback.id).where(Feedback.workspace_id == ws.workspace.id)
        ids = list(session.scalars(mine))
    assert analyze_feedback(kz, ws.workspace.id, ids) == 6
    result = export_workspace(kz, ws.workspace, tmp_path / "b")
    assert result.rows["feedback_analysis"] == 6
    analysis = pq.read_table(tmp_path / "b" / "feedback_analysis.parquet").to_pylist()
    assert sorted(r["feedback_id"] for r in analysis) == sorted(ids)
    for row in analysis:
        assert row["workspace_id"] == ws.workspace.id
        assert row["sentiment"] == "positive" and row["delight"] > 0
        assert row["engine_version"]
        assert isinstance(json.loads(row["topics"]), list)
        assert isinstance(json.loads(row["emotions"]), dict)
    assert read_manifest(tmp_path / "b")["tables"]["feedback_analysis"]["rows"] == 6


def test_folder_without_export_is_explained(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_manifest(tmp_path)
    assert "kizuna export" in refused.value.message("ja")
    assert "kizuna export" in refused.value.message("en")
