"""Engines: DuckDB over Parquet exports (connections lent per export) and SQL kept per query."""

from __future__ import annotations

import datetime as dt
import os
from functools import partial
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ibis.backends import BaseBackend

from kizuna import Kizuna
from kizuna.analytics.metrics import compute_metric_frame, count_metric, finish_metric
from kizuna.engines import execute_keyed, open_operational, open_parquet, scoped_table
from kizuna.errors import InvalidInput
from kizuna.feedback.models import Feedback


def write_export(folder: Path, scores: list[int | None], workspace_id: int = 1) -> Path:
    """A feedback.parquet as `kizuna export` writes it, one answer per day from 2024-01-01."""
    folder.mkdir(parents=True, exist_ok=True)
    first = dt.date(2024, 1, 1)
    table = pa.table(
        {
            "workspace_id": pa.array([workspace_id] * len(scores), pa.int64()),
            "source": ["survey"] * len(scores),
            "channel": ["web" if i % 2 else "app" for i in range(len(scores))],
            "received_on": [first + dt.timedelta(days=i) for i in range(len(scores))],
            "nps": pa.array(scores, pa.int16()),
        }
    )
    # Written beside the final name and renamed, as `kizuna export` does.
    partial_file = folder / ".feedback.parquet.partial"
    pq.write_table(table, partial_file)
    os.replace(partial_file, folder / "feedback.parquet")
    return folder


def nps_by_channel(folder: Path, workspace_id: int = 1) -> dict[str, tuple[int, float]]:
    with open_parquet(folder) as backend:
        table = scoped_table(backend, "feedback", workspace_id)
        frame = compute_metric_frame(
            table, "nps", by=["channel"], run=partial(execute_keyed, backend)
        )
    return {row.channel: (int(row.n), float(row.value)) for row in frame.itertuples()}


def test_two_exports_open_at_once_each_count_their_own_answers(tmp_path: Path) -> None:
    early = write_export(tmp_path / "early", [10, 0, 9, 9])
    late = write_export(tmp_path / "late", [10, 0, 9, 9, 3, 3, None, 7])
    built: list[BaseBackend] = []

    def answers_by_channel(backend: BaseBackend) -> ir.Table:
        built.append(backend)
        return count_metric(scoped_table(backend, "feedback", 1), "nps", by=["channel"])

    with open_parquet(early) as first, open_parquet(late) as second:
        # The same query, built once, run on each caller's own views.
        counts = [
            execute_keyed(backend, ("by channel", 1), partial(answers_by_channel, backend))
            .set_index("channel")["n"]
            .to_dict()
            for backend in (first, second)
        ]
    assert counts == [{"app": 2, "web": 2}, {"app": 3, "web": 4}]
    assert built == [first]


def test_a_report_at_a_time_reuses_the_connection_of_an_unchanged_export(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [10, 10, 0])
    with open_parquet(folder) as first:
        pass
    with open_parquet(folder) as again, open_parquet(folder) as meanwhile:
        assert again is first
        # Tables kept with the connection keep each workspace's filter apart.
        assert scoped_table(again, "feedback", 1).count().execute() == 3
        assert scoped_table(again, "feedback", 2).count().execute() == 0
        # A connection is lent to one caller at a time.
        assert meanwhile is not first
        assert scoped_table(meanwhile, "feedback", 1).count().execute() == 3


def test_repeated_reports_follow_a_rewritten_export(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [10, 10, 10, 10])
    assert nps_by_channel(folder) == {"app": (2, 100.0), "web": (2, 100.0)}
    write_export(folder, [0, 0, 0, 10, 10, 10])
    after = nps_by_channel(folder)
    assert after == {"app": (3, pytest.approx(-100 / 3)), "web": (3, pytest.approx(100 / 3))}


def test_a_table_added_to_an_export_is_seen_by_the_next_report(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [9])
    with open_parquet(folder) as backend:
        assert "customer" not in backend.list_tables()
    pq.write_table(
        pa.table({"workspace_id": pa.array([1], pa.int64()), "id": [5]}),
        folder / "customer.parquet",
    )
    with open_parquet(folder) as backend:
        assert scoped_table(backend, "customer", 1).id.to_list() == [5]


def test_a_connection_whose_report_failed_is_not_lent_again(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [9, 9])
    with pytest.raises(RuntimeError), open_parquet(folder) as failed:
        raise RuntimeError("report failed")
    with open_parquet(folder) as backend:
        assert backend is not failed
        assert scoped_table(backend, "feedback", 1).count().execute() == 2


def test_a_connection_sees_only_its_own_export(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [9, 9])
    with open_parquet(folder):
        pass
    with open_parquet(write_export(tmp_path / "other", [1], workspace_id=2)) as other:
        assert nps_by_channel(folder, workspace_id=2) == {}
        assert scoped_table(other, "feedback", 1).count().execute() == 0


def test_a_query_key_seen_before_runs_without_building_the_query(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [10, 0, 9])
    built: list[int] = []

    def answers(backend: BaseBackend, workspace_id: int) -> ir.Table:
        built.append(workspace_id)
        table = scoped_table(backend, "feedback", workspace_id)
        return table.aggregate(n=table.nps.count())

    totals = []
    for workspace_id in (1, 1, 7):
        with open_parquet(folder) as backend:
            build = partial(answers, backend, workspace_id)
            frame = execute_keyed(backend, ("answers", workspace_id), build)
            totals.append(int(frame["n"].iloc[0]))
    assert totals == [3, 3, 0]
    assert built == [1, 7]


def test_a_folder_without_an_export_says_how_to_make_one(tmp_path: Path) -> None:
    with (
        pytest.raises(InvalidInput, match="kizuna export --workspace SLUG"),
        open_parquet(tmp_path),
    ):
        pass


def test_the_operational_database_runs_kept_sql_through_its_driver(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    with kz.session() as session:
        for i, score in enumerate([10, 9, 3, None]):
            session.add(
                Feedback(
                    workspace_id=ws.workspace.id,
                    source="survey",
                    external_id=f"F{i}",
                    channel="web",
                    received_at=dt.datetime(2024, 1, 1 + i, 9, tzinfo=dt.UTC),
                    received_on=dt.date(2024, 1, 1 + i),
                    nps=score,
                )
            )
    built: list[int] = []

    def by_day(backend: BaseBackend) -> ir.Table:
        built.append(1)
        table = scoped_table(backend, "feedback", ws.workspace.id)
        return count_metric(table, "nps", period="day")

    frames = []
    for _ in range(2):
        with open_operational(kz) as backend:
            key = ("nps by day", ws.workspace.id)
            frames.append(execute_keyed(backend, key, partial(by_day, backend)))
    assert built == [1]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    # What the driver returned, finished, is what ibis's own execute gives.
    with open_operational(kz) as backend:
        expected = compute_metric_frame(
            scoped_table(backend, "feedback", ws.workspace.id), "nps", period="day"
        )
    finished = finish_metric(frames[1], "nps", period="day")
    pd.testing.assert_frame_equal(finished, expected, check_exact=True)
    assert finished["n"].tolist() == [1, 1, 1]
