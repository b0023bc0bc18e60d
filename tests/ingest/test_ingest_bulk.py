"""The SQLite fast path stores exactly what SQLAlchemy Core would, and real data imports."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select, text

from kizuna import Kizuna
from kizuna.customers.models import Customer
from kizuna.feedback.models import Feedback
from kizuna.ingest.arrow_dates import Days, Instants
from kizuna.ingest.bulk import Same, insert_columns, insert_rows, update_rows
from kizuna.ingest.service import import_file

JST = dt.timezone(dt.timedelta(hours=9))


def _feedback_row(ws_id: int, key: str) -> dict[str, object]:
    return {
        "workspace_id": ws_id,
        "source": "import",
        "external_id": key,
        "content_hash": "0" * 32,
        "created_at": dt.datetime(2025, 4, 1, 12, 0, 0, 123456, tzinfo=dt.UTC),
        "channel": "web",
        "touchpoint": None,
        "customer_ref": "C1",
        "received_at": dt.datetime(2025, 4, 1, 9, 30, tzinfo=JST),
        "received_on": dt.date(2025, 4, 1),
        "text": '「良い」と"悪い"',
        "language": None,
        "nps": 9,
        "csat": None,
        "ces": None,
        "rating": 4.5,
        "properties": {"store": "渋谷", "n": [1, 2]},
        "customer_id": None,
    }


def test_fast_paths_store_exactly_what_sqlalchemy_stores(kz: Kizuna, ws) -> None:
    """SQLite's multi-row statements and PostgreSQL's COPY write the same values, in the
    same storage formats, as a plain SQLAlchemy insert."""
    table = Feedback.__table__
    with kz.engine.begin() as conn:
        conn.execute(insert(table), [_feedback_row(ws.workspace.id, "core")])
        insert_rows(conn, table, [_feedback_row(ws.workspace.id, "fast")])  # type: ignore[arg-type]
        columns = [c.name for c in table.columns if c.name not in ("id", "external_id")]
        raw_sql = f"SELECT external_id, {', '.join(columns)} FROM feedback WHERE workspace_id = :ws"
        stored = {
            row[0]: tuple(row[1:]) for row in conn.execute(text(raw_sql), {"ws": ws.workspace.id})
        }
    # The very values in the file: date and JSON text formats, booleans, floats.
    assert stored["fast"] == stored["core"]
    with kz.session() as session:
        read = session.scalar(
            select(Feedback).where(
                Feedback.external_id == "fast", Feedback.workspace_id == ws.workspace.id
            )
        )
    assert read is not None
    assert read.received_at == dt.datetime(2025, 4, 1, 0, 30, tzinfo=dt.UTC)
    assert read.properties == {"store": "渋谷", "n": [1, 2]}


def test_update_rows_changes_only_the_named_row(kz: Kizuna, ws) -> None:
    table = Customer.__table__
    now = dt.datetime.now(dt.UTC)
    base = {
        "workspace_id": ws.workspace.id,
        "source": "import",
        "content_hash": "",
        "created_at": now,
        "updated_at": now,
        "interests": [],
        "attributes": {},
        "consent_email": False,
        "consent_analysis": True,
        "name": "before",
    }
    with kz.engine.begin() as conn:
        insert_rows(conn, table, [{**base, "external_id": "A"}, {**base, "external_id": "B"}])  # type: ignore[arg-type]
        ids = dict(
            conn.execute(
                select(table.c.external_id, table.c.id).where(
                    table.c.workspace_id == ws.workspace.id
                )
            ).all()
        )
        update_rows(conn, table, [{"id": ids["A"], "name": "after", "interests": ["旅行"]}])  # type: ignore[arg-type]
    with kz.session() as session:
        names = dict(
            session.execute(
                select(Customer.external_id, Customer.name).where(
                    Customer.workspace_id == ws.workspace.id
                )
            ).all()
        )
        a = session.get(Customer, ids["A"])
    assert names == {"A": "after", "B": "before"}
    assert a is not None and a.interests == ["旅行"]


def test_real_airline_posts_import_and_reimport(
    kz: Kizuna, ws, shared_data: Path, tmp_path: Path
) -> None:
    """14,640 real posts re-saved by a spreadsheet: dates as 24-02-2015 11.35, ids rounded."""
    path = shared_data / "feedback" / "airline_tweets_en.csv"
    mapping = tmp_path / "airline.yaml"
    mapping.write_text("received_at: tweet_created\n", encoding="utf-8")
    first = import_file(kz, ws.slug, "feedback", path, source="sns", mapping_path=mapping)
    assert first.read == 14640
    assert first.read == first.inserted + first.updated + first.unchanged + first.rejected
    assert first.rejected == 0
    # No id column the vocabulary knows (tweet_id was rounded): rows are keyed by content.
    again = import_file(kz, ws.slug, "feedback", path, source="sns", mapping_path=mapping)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.read)
    with kz.session() as session:
        sample = session.scalar(
            select(Feedback)
            .where(Feedback.workspace_id == ws.workspace.id)
            .order_by(Feedback.id)
            .limit(1)
        )
    assert sample is not None and sample.text == "@VirginAmerica What @dhepburn said."
    assert sample.properties["airline"] == "Virgin America"
    assert sample.received_on == dt.date(2015, 2, 24)


def test_columns_kept_in_numpy_store_what_sqlalchemy_stores(kz: Kizuna, ws, is_postgres) -> None:  # type: ignore[no-untyped-def]
    """Timestamps of the column path (NumPy) and values the same on every row (written
    into the statement) end up as Core's own inserts store them, on either engine."""
    table = Feedback.__table__
    core = _feedback_row(ws.workspace.id, "core")
    core["source"] = "shop's"  # a quote inside a value written into the statement
    at = core["received_at"].astimezone(dt.UTC).replace(tzinfo=None)  # type: ignore[union-attr]
    names = [n for n in core if n != "external_id"]
    columns: list[object] = [Same(core[n]) for n in names]
    columns[names.index("received_at")] = Instants(np.array([at], dtype="datetime64[us]"))
    columns[names.index("received_on")] = Days(np.array(["2025-04-01"], dtype="datetime64[D]"))
    with kz.engine.begin() as conn:
        conn.execute(insert(table), [core])
        insert_columns(conn, table, [*names, "external_id"], [*columns, ["fast"]], 1)  # type: ignore[list-item]
        chosen = [c for c in table.columns if c.name not in ("id", "external_id")]
        stored = {
            row[0]: tuple(row[1:])
            for row in conn.execute(
                select(table.c.external_id, *chosen).where(table.c.workspace_id == ws.workspace.id)
            )
        }
        if not is_postgres:  # and, on SQLite, the very text in the file
            raw = {
                row[0]: tuple(row[1:])
                for row in conn.execute(
                    text(
                        "SELECT external_id, received_at, received_on, source, properties "
                        "FROM feedback WHERE workspace_id = :ws"
                    ),
                    {"ws": ws.workspace.id},
                )
            }
            assert raw["fast"] == raw["core"]
    assert stored["fast"] == stored["core"]
    assert stored["fast"][chosen.index(table.c.source)] == "shop's"


def test_thousands_of_rows_in_several_statements_store_each_row_as_core(
    kz: Kizuna, ws, is_postgres: bool
) -> None:
    """More rows than one statement binds (SQLite's limit on values): every row, in order."""
    table = Feedback.__table__
    rows = [_feedback_row(ws.workspace.id, f"k{i:05d}") for i in range(7_000)]
    for i, row in enumerate(rows):
        row["nps"] = i % 11
        row["text"] = None if i % 3 else f"コメント {i}"
        row["received_on"] = dt.date(2025, 1, 1) + dt.timedelta(days=i % 90)
    with kz.engine.begin() as conn:
        insert_rows(conn, table, rows)  # type: ignore[arg-type]
        conn.execute(insert(table), [{**rows[0], "external_id": "core"}])
        stored = conn.execute(
            select(table.c.external_id, table.c.nps, table.c.text, table.c.received_on, table.c.id)
            .where(table.c.workspace_id == ws.workspace.id)
            .order_by(table.c.id)
        ).all()
    assert len(stored) == 7_001
    assert [r.external_id for r in stored[:-1]] == [r["external_id"] for r in rows]
    assert [(r.nps, r.text, r.received_on) for r in stored[:-1]] == [
        (r["nps"], r["text"], r["received_on"]) for r in rows
    ]
    assert stored[-1].external_id == "core"


def test_library_imports_leave_the_switch_interval_and_the_cli_restores_it(
    kz: Kizuna, ws, tmp_path: Path
) -> None:
    """The web server and workers import through the library: it must not change the
    process's switch interval. Only `kizuna import` (its own process) shortens it, and puts
    it back even when the import fails."""
    from kizuna.ingest.cli import quick_switches

    before = sys.getswitchinterval()
    path = tmp_path / "answers.csv"
    lines = [f"r{i},2025-04-01,{i % 11}" for i in range(3)]
    path.write_text("id,date,nps\n" + "\n".join(lines) + "\n", encoding="utf-8")
    during: list[float] = []
    summary = import_file(
        kz, ws.slug, "feedback", path, progress=lambda _: during.append(sys.getswitchinterval())
    )
    assert summary.inserted == 3
    assert during and set(during) == {before}
    with pytest.raises(RuntimeError), quick_switches():
        assert sys.getswitchinterval() <= 0.0005 < before
        raise RuntimeError("the import failed")
    assert sys.getswitchinterval() == before


def test_postgres_key_lookup_probes_the_unique_index_whatever_the_statistics(
    kz: Kizuna, ws, is_postgres: bool
) -> None:
    """A first import into a new PostgreSQL database stays as fast at 1 M rows as at the
    start: its key lookup is one index probe per key, never a hash of the workspace's rows
    (what a join to the keys became while the table had no statistics)."""
    if not is_postgres:
        pytest.skip("PostgreSQL's planner")
    import json

    from kizuna.ingest.writer import _PG_EXISTING

    table = Feedback.__table__
    rows = [_feedback_row(ws.workspace.id, f"k{i:05d}") for i in range(3_000)]
    keys = json.dumps([f"k{i:05d}" for i in range(0, 6_000, 2)])
    with kz.engine.begin() as conn:
        insert_rows(conn, table, rows)  # type: ignore[arg-type]
        driver = conn.connection.driver_connection
        plan = "\n".join(
            line
            for (line,) in driver.execute(  # type: ignore[union-attr]
                "EXPLAIN " + _PG_EXISTING.format(table="feedback"),
                (keys, ws.workspace.id, "import"),
                prepare=False,
            ).fetchall()
        )
        found = driver.execute(  # type: ignore[union-attr]
            _PG_EXISTING.format(table="feedback"), (keys, ws.workspace.id, "import")
        ).fetchall()
    assert "Hash" not in plan and "Seq Scan" not in plan, plan
    assert "Index" in plan and "uq_feedback_workspace_id_source_external_id" in plan, plan
    assert len(found) == 1_500
