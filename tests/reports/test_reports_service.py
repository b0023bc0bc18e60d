"""compute_metric on the operational database (SQLite or PostgreSQL) and on DuckDB over Parquet."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from reports_data import add_customers, add_feedback

from kizuna import Kizuna
from kizuna.errors import InvalidInput
from kizuna.reports.export import export_workspace
from kizuna.reports.service import compute_metric

CASES: list[tuple[str, tuple[str, ...], str | None]] = [
    ("nps", (), None),
    ("nps", ("channel", "age_band"), "month"),
    ("csat", ("touchpoint",), "week"),
    ("ces", ("gender",), "month"),
    ("enps", (), "day"),
]


@pytest.fixture
def filled(kz: Kizuna, ws: Any) -> tuple[Any, list[dict[str, Any]]]:
    customers = add_customers(kz, ws.workspace.id, 40)
    rows = add_feedback(kz, ws.workspace.id, 600, customers)
    return ws, rows


@pytest.mark.parametrize(("metric", "by", "period"), CASES)
def test_operational_database_and_parquet_export_give_identical_results(
    kz: Kizuna,
    filled: tuple[Any, list[dict[str, Any]]],
    tmp_path: Path,
    metric: Any,
    by: tuple[str, ...],
    period: Any,
) -> None:
    ws, _ = filled
    export_workspace(kz, ws.workspace, tmp_path)
    start, end = dt.date(2024, 1, 20), dt.date(2024, 3, 31)
    here = compute_metric(kz, ws.workspace, metric, by, period, start, end)
    there = compute_metric(
        kz, ws.workspace, metric, by, period, start, end, engine="parquet", parquet_dir=tmp_path
    )
    assert len(here.frame) > 1 or not (by or period)
    pd.testing.assert_frame_equal(here.frame, there.frame, check_exact=True)
    assert here.to_records() == there.to_records()


def test_counts_match_the_rows_written(
    kz: Kizuna, filled: tuple[Any, list[dict[str, Any]]]
) -> None:
    ws, rows = filled
    answers = [r for r in rows if r["source"] != "employee" and r["nps"] is not None]
    promoters = sum(r["nps"] >= 9 for r in answers)
    detractors = sum(r["nps"] <= 6 for r in answers)
    row = compute_metric(kz, ws.workspace, "nps").frame.iloc[0]
    assert (row["n"], row["promoters"], row["detractors"]) == (len(answers), promoters, detractors)
    assert row["value"] == pytest.approx(100 * (promoters - detractors) / len(answers))
    march = [r for r in answers if dt.date(2024, 3, 1) <= r["received_on"] <= dt.date(2024, 3, 31)]
    only = compute_metric(
        kz, ws.workspace, "nps", start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31)
    )
    assert only.frame.loc[0, "n"] == len(march)


def test_another_workspace_never_counts(kz: Kizuna, make_workspace: Any, tmp_path: Path) -> None:
    mine, theirs = make_workspace(), make_workspace()
    add_feedback(kz, mine.workspace.id, 50, seed=5)
    before = compute_metric(kz, mine.workspace, "csat", by=["channel"]).frame
    add_feedback(kz, theirs.workspace.id, 400, seed=6)
    after = compute_metric(kz, mine.workspace, "csat", by=["channel"]).frame
    pd.testing.assert_frame_equal(before, after)
    export = export_workspace(kz, mine.workspace, tmp_path)
    assert export.rows["feedback"] == 50
    parquet = compute_metric(
        kz, mine.workspace, "csat", by=["channel"], engine="parquet", parquet_dir=tmp_path
    ).frame
    pd.testing.assert_frame_equal(before, parquet)


def test_change_against_previous_week_on_the_database(kz: Kizuna, ws: Any) -> None:
    # Week of 2024-04-01: 30 promoters of 40; next week 8 of 40, then 9 of 40.
    weeks = [(dt.date(2024, 4, 1), 30), (dt.date(2024, 4, 8), 8), (dt.date(2024, 4, 15), 9)]
    for i, (monday, promoters) in enumerate(weeks):
        _write_scores(kz, ws.workspace.id, monday, [10] * promoters + [3] * (40 - promoters), i)
    frame = compute_metric(kz, ws.workspace, "nps", period="week").frame
    assert list(frame["change_significant"]) == [None, True, False]
    assert frame["change"].iloc[1] == pytest.approx(100 * (8 - 32) / 40 - 100 * (30 - 10) / 40)


def _write_scores(kz: Kizuna, workspace_id: int, day: dt.date, scores: list[int], tag: int) -> None:
    from sqlalchemy import insert

    from kizuna.feedback.models import Feedback

    at = dt.datetime.combine(day, dt.time(1), tzinfo=dt.UTC)
    rows = [
        {
            "workspace_id": workspace_id,
            "source": "survey",
            "external_id": f"w{tag}-{i}",
            "channel": "web",
            "received_at": at,
            "received_on": day,
            "nps": score,
        }
        for i, score in enumerate(scores)
    ]
    with kz.engine.begin() as conn:
        conn.execute(insert(Feedback.__table__), rows)


def test_records_are_json_safe(kz: Kizuna, filled: tuple[Any, list[dict[str, Any]]]) -> None:
    ws, _ = filled
    report = compute_metric(kz, ws.workspace, "ces", by=["touchpoint"], period="month")
    records = report.to_records()
    text = json.dumps(records, allow_nan=False)
    assert isinstance(records[0]["period"], str)
    assert dt.date.fromisoformat(records[0]["period"]).day == 1
    assert records[0]["previous_value"] is None
    assert any(r["touchpoint"] is None for r in records)
    assert "NaN" not in text


@pytest.mark.parametrize(
    ("arguments", "listed"),
    [
        ({"metric": "nss"}, "nps, csat, ces, enps"),
        ({"metric": "nps", "by": ["colour"]}, "channel, source"),
        ({"metric": "nps", "period": "year"}, "day, week, month"),
        ({"metric": "nps", "engine": "hadoop"}, "operational, parquet, duckdb, spark"),
    ],
)
def test_unknown_choices_are_refused_in_both_languages(
    kz: Kizuna, ws: Any, arguments: dict[str, Any], listed: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        compute_metric(kz, ws.workspace, **arguments)
    assert listed in refused.value.message("en")
    assert listed in refused.value.message("ja")
    assert "選んでください" in refused.value.message("ja")


def test_parquet_engine_refuses_an_export_of_another_workspace(
    kz: Kizuna, make_workspace: Any, tmp_path: Path
) -> None:
    mine, theirs = make_workspace(), make_workspace()
    export_workspace(kz, theirs.workspace, tmp_path)
    with pytest.raises(InvalidInput) as refused:
        compute_metric(kz, mine.workspace, "nps", engine="parquet", parquet_dir=tmp_path)
    assert f"kizuna export --workspace {mine.slug}" in refused.value.message("en")
    with pytest.raises(InvalidInput):
        compute_metric(kz, mine.workspace, "nps", engine="parquet", parquet_dir=None)


def test_workspace_without_answers_gives_an_empty_report(kz: Kizuna, ws: Any) -> None:
    report = compute_metric(kz, ws.workspace, "nps", by=["channel"], period="month")
    assert report.to_records() == []
    assert report.columns[:4] == ["period", "channel", "n", "value"]
    assert "change_significant" in report.columns
