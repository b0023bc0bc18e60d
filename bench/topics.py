"""Topics benchmark: relabelling past voices after a change, and the topics page's counts.

N analysed voices are inserted as imports leave them (a voice and its analysis, topics of
the built-in taxonomy). Each round merges two topics (staff and food, about half the
voices) and runs the relabel to its end (`kizuna.topics.relabel.run_relabel`, batches of
1,000 in one transaction each), then undoes the merge and runs the relabel again (every
voice gets its engine topics back), then runs a relabel with nothing to change (the
re-run a worker delivering twice would make). Also `topic_rows` (the page's counts: all
voices and the last 30 days, latest analysis per voice). Medians of the rounds; wall and
CPU seconds of this process (the database is in-process SQLite, or a PostgreSQL server
whose CPU is not counted).

    python -m bench.topics [--voices 20000] [--repeat 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import insert

RESULTS = Path(__file__).parent / "results" / "topics.md"
TEXTS = [
    ("スタッフの対応がとても丁寧でした。", [("staff", "positive", 0.7)], 0.7),
    ("朝食がおいしかったです。", [("food", "positive", 0.5)], 0.5),
    (
        "部屋が汚くて、スタッフの態度も悪かった。",
        [("room", "negative", -0.6), ("staff", "negative", -0.5)],
        -0.6,
    ),
    ("駐輪場がいつも満車で困ります。", [], -0.5),
    (
        "The breakfast was cold and the staff rude.",
        [("food", "negative", -0.4), ("staff", "negative", -0.5)],
        -0.5,
    ),
    ("チェックインで30分も待たされました。", [("wait_time", "negative", -0.6)], -0.6),
]


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _seed(kz: Any, voices: int) -> Any:
    from kizuna.accounts.service import init_workspace
    from kizuna.customers.bulk import table_of
    from kizuna.feedback.models import Feedback, FeedbackAnalysis

    slug = f"bench-topics-{uuid.uuid4().hex[:6]}"
    with kz.session() as session:
        workspace = init_workspace(session, slug, f"owner-{slug}@example.com").workspace
        session.expunge(workspace)
    today = dt.date.today()
    for start in range(0, voices, 5000):
        rows, analyses = [], []
        for n in range(start, min(voices, start + 5000)):
            text, topics, score = TEXTS[n % len(TEXTS)]
            day = today - dt.timedelta(days=n % 120)
            rows.append(
                {
                    "workspace_id": workspace.id,
                    "source": "import",
                    "external_id": f"b{n}",
                    "channel": "web",
                    "received_at": dt.datetime(day.year, day.month, day.day, 3, tzinfo=dt.UTC),
                    "received_on": day,
                    "text": text,
                    "properties": {},
                }
            )
        with kz.session() as session:
            ids = session.scalars(
                insert(table_of(Feedback)).returning(table_of(Feedback).c.id), rows
            ).all()
            for fid, n in zip(ids, range(start, start + len(rows)), strict=True):
                text, topics, score = TEXTS[n % len(TEXTS)]
                analyses.append(
                    {
                        "workspace_id": workspace.id,
                        "feedback_id": fid,
                        "engine_version": "bench",
                        "language": "en" if text.isascii() else "ja",
                        "sentiment": "negative" if score < 0 else "positive",
                        "sentiment_score": score,
                        "emotions": {},
                        "topics": [{"topic": t, "sentiment": s, "score": v} for t, s, v in topics],
                        "experience_values": [],
                        "cues": [],
                        "truncated": False,
                    }
                )
            session.execute(insert(table_of(FeedbackAnalysis)), analyses)
    return workspace


def _relabel(
    kz: Any, workspace: Any, change: Callable[[Any, Any], Any]
) -> tuple[float, float, int]:
    from kizuna.topics.relabel import latest_relabel, run_relabel

    with kz.session() as session:
        change(session, session.merge(workspace))
        run_id = latest_relabel(session, workspace.id).id  # type: ignore[union-attr]
    wall, cpu, run = _timed(lambda: run_relabel(kz, run_id))
    return wall, cpu, run.changed


def _round(kz: Any, workspace: Any) -> dict[str, tuple[float, float, int]]:
    """Merge and relabel, undo and relabel, relabel with nothing to change."""
    from kizuna.topics.relabel import start_relabel
    from kizuna.topics.service import merge_topics, undo_change

    merged: list[int] = []

    def merge(session: Any, ws: Any) -> None:
        merged.append(merge_topics(session, ws, ["staff", "food"], "hospitality").id)

    return {
        "merge": _relabel(kz, workspace, merge),
        "undo": _relabel(kz, workspace, lambda s, w: undo_change(s, w, merged[0])),
        "again": _relabel(kz, workspace, lambda s, w: start_relabel(s, w.id, None, "apply")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("KIZUNA_SECRET_KEY", "bench-secret-for-kizuna-topics-0123456789")
    from kizuna import Kizuna, Settings

    folder = tempfile.mkdtemp(prefix="kizuna-bench-topics-")
    url = args.database_url or f"sqlite:///{folder}/kizuna.db"
    with _private_database(url) as url:
        _run(args, Kizuna(Settings(env="test", database_url=url, run_schedules=False)))


@contextmanager
def _private_database(url: str) -> Iterator[str]:
    """On PostgreSQL, a database of this run's own (created, then dropped): the server's
    other databases are left alone."""
    if not url.startswith("postgresql"):
        yield url
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"kizuna_bench_topics_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(args: argparse.Namespace, kz: Any) -> None:
    from kizuna.topics.counts import topic_rows

    kz.upgrade_db()
    load_before = _load()
    workspace = _seed(kz, args.voices)
    rounds: dict[str, list[tuple[float, float, int]]] = {"merge": [], "undo": [], "again": []}
    counts: list[tuple[float, float, Any]] = []
    for _ in range(args.repeat):
        for step, timing in _round(kz, workspace).items():
            rounds[step].append(timing)
        with kz.session() as session:
            ws = session.merge(workspace)
            counts.append(_timed(lambda: topic_rows(session, ws)))  # noqa: B023
    load_after = _load()
    dialect = kz.engine.dialect.name
    kz.close()
    lines = [
        "# Topics benchmark: relabelling past voices, and the topics page's counts",
        "",
        f"Date: {dt.date.today()}. Command: `python -m bench.topics --voices {args.voices} "
        f"--repeat {args.repeat}`{' --database-url (PostgreSQL)' if args.database_url else ''}. "
        f"Database: {dialect}. Machine: 2 cores shared with other engineers' runs; load (1-minute "
        f"average) {load_before:.1f} before, {load_after:.1f} after. Medians of {args.repeat} "
        "rounds; CPU is this process's (the relabel's Python side; SQLite runs in-process).",
        "",
        "| step | voices | changed | wall (s) | voices/s | CPU (s) | voices per CPU-second |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for step, label in (
        ("merge", "merge staff + food -> hospitality, relabel"),
        ("undo", "undo the merge, relabel"),
        ("again", "relabel again, nothing to change"),
    ):
        wall = statistics.median(r[0] for r in rounds[step])
        cpu = statistics.median(r[1] for r in rounds[step])
        changed = int(statistics.median(r[2] for r in rounds[step]))
        lines.append(
            f"| {label} | {args.voices:,} | {changed:,} | {wall:.2f} | {args.voices / wall:,.0f} "
            f"| {cpu:.2f} | {args.voices / max(cpu, 1e-9):,.0f} |"
        )
    wall = statistics.median(c[0] for c in counts)
    cpu = statistics.median(c[1] for c in counts)
    # On PostgreSQL the count is the server's work: this process's CPU says nothing of it.
    per_cpu = f"{args.voices / max(cpu, 1e-9):,.0f}" if dialect == "sqlite" else "- (server)"
    lines.append(
        f"| topics page counts (`topic_rows`: all + last 30 days) | {args.voices:,} | - "
        f"| {wall:.2f} | {args.voices / wall:,.0f} | {cpu:.2f} | {per_cpu} |"
    )
    table = "\n".join(lines) + "\n"
    if dialect == "sqlite":
        RESULTS.write_text(table, encoding="utf-8")
    else:  # after the SQLite run: its table, then this one
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + table.replace("# Topics benchmark", "## PostgreSQL", 1))
    print(table)


if __name__ == "__main__":
    main()
