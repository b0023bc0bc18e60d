"""DuckDB over Parquet exports: one process database, a connection per caller, SQL compiled once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizuna.analytics.metrics import compute_metric_frame, count_metric
from kizuna.engines import compiled_sql, connect_parquet, execute_frame, scoped_table
from kizuna.errors import InvalidInput


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
    pq.write_table(table, folder / "feedback.parquet")
    return folder


def nps_by_channel(folder: Path, workspace_id: int = 1) -> dict[str, tuple[int, float]]:
    backend = connect_parquet(folder)
    try:
        table = scoped_table(backend, "feedback", workspace_id)
        frame = compute_metric_frame(table, "nps", by=["channel"], execute=execute_frame)
    finally:
        backend.disconnect()
    return {row.channel: (int(row.n), float(row.value)) for row in frame.itertuples()}


def test_two_exports_open_at_once_each_count_their_own_answers(tmp_path: Path) -> None:
    early = write_export(tmp_path / "early", [10, 0, 9, 9])
    late = write_export(tmp_path / "late", [10, 0, 9, 9, 3, 3, None, 7])
    first, second = connect_parquet(early), connect_parquet(late)
    try:
        shapes = [
            count_metric(scoped_table(backend, "feedback", 1), "nps", by=["channel"])
            for backend in (first, second)
        ]
        # Same shape of query, so the same compiled SQL, run on each caller's own views.
        assert compiled_sql(first, shapes[0]) is compiled_sql(second, shapes[1])
        counts = [execute_frame(shape).set_index("channel")["n"].to_dict() for shape in shapes]
    finally:
        first.disconnect()
        second.disconnect()
    assert counts == [{"app": 2, "web": 2}, {"app": 3, "web": 4}]


def test_repeated_reports_follow_a_rewritten_export(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [10, 10, 10, 10])
    assert nps_by_channel(folder) == {"app": (2, 100.0), "web": (2, 100.0)}
    write_export(folder, [0, 0, 0, 10, 10, 10])
    after = nps_by_channel(folder)
    assert after == {"app": (3, pytest.approx(-100 / 3)), "web": (3, pytest.approx(100 / 3))}


def test_a_connection_sees_only_its_own_export(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [9, 9])
    backend = connect_parquet(folder)
    backend.disconnect()
    other = connect_parquet(write_export(tmp_path / "other", [1], workspace_id=2))
    try:
        assert nps_by_channel(folder, workspace_id=2) == {}
        assert scoped_table(other, "feedback", 1).count().execute() == 0
    finally:
        other.disconnect()


def test_a_folder_without_an_export_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="kizuna export --workspace SLUG"):
        connect_parquet(tmp_path)
