"""Benchmark: the voice explorer at 1 M voices on SQLite and PostgreSQL.

1. Generate 1,000,000 voices (Japanese and English sentences put together from hotel-review
   phrases, about 7 in 10 Japanese) with an analysis row each (sentiment, delight, emotions,
   topics with their polarity and score, experience values), written by a bulk generator
   straight into the tables (not the per-voice path), then build the search index
   (`reindex_workspace`, what `kizuna voices reindex` runs), timed.
2. Search: `search_voices` (a page of 50, what the page and `/api/v1/voices` call) for
   Japanese and English words, rare and common, alone and with filters; each query run
   RUNS times after one warm-up; p50 and p95 in ms. Target: p95 under 200 ms.
3. Export: `write_voices` of all 1 M voices with every analysis column to CSV (what
   `kizuna voices export -o FILE` runs), timed. Target: under 30 s.

PostgreSQL runs in a database of its own (`kizuna_bench_explorer_*`) on the server of
KIZUNA_BENCH_PG_URL (default: the test server), dropped at the end unless `--keep`.

    .venv/bin/python -m bench.explorer --db sqlite            # 1 M voices
    .venv/bin/python -m bench.explorer --db postgresql
    .venv/bin/python -m bench.explorer --db sqlite --rows 50000 --no-write   # a quick look
    # the export alone, generating once and measuring again later:
    .venv/bin/python -m bench.explorer --db sqlite --export-only --exports 0 --keep
    .venv/bin/python -m bench.explorer --db sqlite --export-only --url sqlite:///...db
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from kizuna import Kizuna, Settings
from kizuna.accounts.service import init_workspace
from kizuna.feedback.explorer import VoiceFilter, search_voices
from kizuna.feedback.explorer_export import write_voices
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.feedback.search import reindex_workspace

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work" / "explorer"
RESULTS = ROOT / "results" / "explorer.md"
PG_URL = os.environ.get("KIZUNA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUNS = 15

JA = [
    ("受付の待ち時間が長すぎて疲れました。", "front_desk", "negative"),
    ("チェックインの待ち時間がとても長かった。", "front_desk", "negative"),
    ("朝食が冷めていて残念でした。", "breakfast", "negative"),
    ("朝食のバイキングは種類が多くて美味しかった。", "breakfast", "positive"),
    ("部屋は広くて清潔でした。", "room", "positive"),
    ("部屋が狭く、エアコンの音がうるさかった。", "room", "negative"),
    ("スタッフの心遣いに感動しました。", "staff", "positive"),
    ("フロントの接客がとても丁寧でした。", "staff", "positive"),
    ("駐車場が分かりにくく、案内もなかった。", "access", "negative"),
    ("駅から近くて便利でした。", "access", "positive"),
    ("大浴場の露天風呂が最高でした。", "facilities", "positive"),
    ("Wi-Fiが何度も切れて仕事になりませんでした。", "facilities", "negative"),
    ("料金の割にサービスが物足りない。", "price", "negative"),
    ("また家族で泊まりたいです。", "overall", "positive"),
]
EN = [
    ("The staff were wonderful and very helpful.", "staff", "positive"),
    ("Breakfast was cold and the coffee was weak.", "breakfast", "negative"),
    ("The waiting time at check-in was far too long.", "front_desk", "negative"),
    ("Our room was spotless and quiet.", "room", "positive"),
    ("The room was tiny and the air conditioning was noisy.", "room", "negative"),
    ("Great location, two minutes from the station.", "access", "positive"),
    ("Parking was hard to find and expensive.", "access", "negative"),
    ("The onsen was the highlight of our trip.", "facilities", "positive"),
    ("Wi-Fi kept dropping all evening.", "facilities", "negative"),
    ("We will definitely come back with the kids.", "overall", "positive"),
]
CHANNELS = ("web", "app", "store", "email", "review_site", "call_center")
EMOTIONS = ("joy", "trust", "surprise", "anticipation", "anger", "sadness", "fear", "disgust")
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("待ち時間 (ja, common)", {"q": "待ち時間"}),
    ("朝食 (ja, common)", {"q": "朝食"}),
    ("駐車場 (ja, rare)", {"q": "駐車場"}),
    ("露天風呂 (ja)", {"q": "露天風呂"}),
    ("心遣い 感動 (ja, two words)", {"q": "心遣い 感動"}),
    ("staff (en)", {"q": "staff"}),
    ("waiting time (en, phrase)", {"q": "waiting time"}),
    ("朝食 + negative", {"q": "朝食", "sentiment": "negative"}),
    ("待ち時間 + channel web + NPS ≤ 6", {"q": "待ち時間", "channel": "web", "max_nps": 6}),
    ("部屋 + topic room negative", {"q": "部屋", "topic": "room", "topic_sentiment": "negative"}),
    ("staff + language en + delight ≥ 0.5", {"q": "staff", "language": "en", "min_delight": 0.5}),
    ("no words, sentiment negative", {"sentiment": "negative"}),
    ("no words, channel app + emotion anger", {"channel": "app", "emotion": "anger"}),
    ("駅 (one character: substring)", {"q": "駅"}),
]


def _voice(rng: random.Random, i: int, base: dt.datetime) -> tuple[str, str, str, list[Any]]:
    english = rng.random() < 0.3
    pool = EN if english else JA
    picked = rng.sample(pool, rng.choice((1, 2, 2, 3)))
    sep = " " if english else ""
    return sep.join(p[0] for p in picked), "en" if english else "ja", picked[0][2], picked


def generate(kz: Kizuna, workspace_id: int, rows: int, seed: int = 12) -> float:
    """Bulk-write `rows` voices and their analysis; seconds taken."""
    rng = random.Random(seed)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    chunk = 20_000
    with kz.engine.begin() as conn:
        first = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM feedback")).scalar_one())
    for start in range(0, rows, chunk):
        voices, analyses = [], []
        for i in range(start, min(rows, start + chunk)):
            body, language, sentiment, picked = _voice(rng, i, base)
            at = base + dt.timedelta(seconds=i * 60)
            fid = first + i + 1
            nps = rng.randint(0, 10)
            voices.append(
                {
                    "id": fid,
                    "workspace_id": workspace_id,
                    "source": "survey",
                    "external_id": f"B{i}",
                    "channel": rng.choice(CHANNELS),
                    "touchpoint": None,
                    "customer_ref": None,
                    "customer_id": None,
                    "interaction_id": None,
                    "received_at": at,
                    "received_on": at.date(),
                    "text": body,
                    "language": language,
                    "nps": nps,
                    "csat": None,
                    "ces": None,
                    "rating": None,
                    "properties": {},
                    "content_hash": "",
                    "created_at": now,
                }
            )
            emotions = {e: round(rng.random() * 0.6, 2) for e in rng.sample(EMOTIONS, 3)}
            if sentiment == "negative":
                emotions["anger"] = round(0.5 + rng.random() * 0.5, 2)
            analyses.append(
                {
                    "workspace_id": workspace_id,
                    "feedback_id": fid,
                    "engine_version": "bench-1",
                    "language": language,
                    "sentiment": sentiment,
                    "sentiment_score": round(rng.uniform(-1, 1), 3),
                    "delight": round(rng.random(), 3),
                    "expectation": rng.choice(("exceeded", "met", "below", "unknown")),
                    "emotions": emotions,
                    # Scores as the engine writes them (three decimals): every row's topics
                    # are its own, as in real data.
                    "topics": [
                        {
                            "topic": p[1],
                            "sentiment": p[2],
                            "score": round(
                                rng.uniform(0.2, 1) * (1 if p[2] == "positive" else -1), 3
                            ),
                        }
                        for p in picked
                    ],
                    "experience_values": rng.sample(("sense", "feel", "think", "act"), 1),
                    "cues": [],
                    "truncated": False,
                    "analyzed_at": now,
                }
            )
        with kz.engine.begin() as conn:
            conn.execute(insert(Feedback), voices)
            conn.execute(insert(FeedbackAnalysis), analyses)
    if kz.engine.dialect.name == "postgresql":
        with kz.engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('feedback', 'id'), max(id)) FROM feedback"
                )
            )
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


@contextmanager
def database(kind: str, keep: bool = False) -> Iterator[str]:
    """A new database for the run, removed at the end unless `keep`."""
    if kind == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / f"explorer-{uuid.uuid4().hex[:6]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm") if not keep else ():
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"kizuna_bench_explorer_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _export(session: Any, workspace: Any) -> tuple[int, float, float, int, list[str]]:
    """One export of every voice to CSV: rows, wall s, CPU s, bytes, load after."""
    out = WORK / "export.csv"
    WORK.mkdir(parents=True, exist_ok=True)
    cpu, t0 = _cpu(), time.perf_counter()
    with out.open("wb") as handle:
        written = write_voices(session, workspace, VoiceFilter(), "csv", handle)
    took = (written, time.perf_counter() - t0, _cpu() - cpu, out.stat().st_size)
    out.unlink()
    return (*took, Path("/proc/loadavg").read_text().split()[:3])


def run(
    kind: str,
    rows: int,
    exports: int,
    *,
    export_only: bool = False,
    keep: bool = False,
    url: str | None = None,
) -> dict[str, Any]:
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    generated: float | None = None
    index: tuple[float, float] | None = None
    searches = []
    with nullcontext(url) if url else database(kind, keep) as url:
        kz = Kizuna(Settings(database_url=url, embedded_worker=False))
        if not kz_has_bench(kz):
            kz.upgrade_db()
            with kz.session() as session:
                init_workspace(session, "bench", "bench@example.com")
            with kz.session() as session:
                ws_id = kz.workspace(session, "bench").id
            generated = generate(kz, ws_id, rows)
        with kz.session() as session:
            workspace = kz.workspace(session, "bench")
            ws_id = workspace.id
            rows = session.scalar(
                select(func.count()).select_from(Feedback).where(Feedback.workspace_id == ws_id)
            )
        if not export_only:
            cpu, started = _cpu(), time.perf_counter()
            with kz.engine.begin() as conn:
                reindex_workspace(conn, ws_id)
            if kind == "postgresql":
                with kz.engine.begin() as conn:
                    conn.execute(text("ANALYZE feedback_search"))
            index = (time.perf_counter() - started, _cpu() - cpu)
        with kz.session() as session:
            workspace = kz.workspace(session, "bench")
            for label, wanted in [] if export_only else QUERIES:
                times, found = [], 0
                for n in range(RUNS + 1):
                    t0 = time.perf_counter()
                    page = search_voices(session, workspace, VoiceFilter(**wanted), limit=50)
                    if n:
                        times.append((time.perf_counter() - t0) * 1000)
                    found = len(page.voices)
                searches.append((label, found, _pct(times, 0.5), _pct(times, 0.95)))
            export_load = Path("/proc/loadavg").read_text().split()[:3]
            export_runs = [_export(session, workspace) for _ in range(exports)]
        kz.close()
        if keep:
            print(f"kept: --db {kind} --url {url}")
    return {
        "db": kind,
        "rows": rows,
        "generated_s": generated,
        "index": index,
        "searches": searches,
        "exports": export_runs,
        "export_load": export_load,
        "load": (load_before, Path("/proc/loadavg").read_text().split()[:3]),
    }


def kz_has_bench(kz: Kizuna) -> bool:
    """Whether the database already holds the bench workspace (a kept one, `--url`)."""
    try:
        with kz.session() as session:
            kz.workspace(session, "bench")
    except Exception:  # no tables yet, or no such workspace
        return False
    return True


def table(result: dict[str, Any]) -> str:
    made = (
        f"Generated in {result['generated_s']:.0f} s"
        if result["generated_s"] is not None
        else "Kept database from an earlier run (`--url`)"
    )
    indexed = (
        f"; search index built in {result['index'][0]:.1f} s ({result['index'][1]:.1f} CPU s "
        "in Python)"
        if result["index"]
        else "; no search (`--export-only`)"
    )
    lines = [
        f"### {result['db']}: {result['rows']:,} voices",
        "",
        f"Load average (1, 5, 15 min) before: {' '.join(result['load'][0])}; "
        f"after: {' '.join(result['load'][1])}. {made}{indexed}.",
        "",
    ]
    if result["searches"]:
        lines += [
            "| query (page of 50) | voices on the page | p50 ms | p95 ms |",
            "|---|---:|---:|---:|",
        ]
        for label, found, p50, p95 in result["searches"]:
            lines.append(f"| {label} | {found} | {p50:.1f} | {p95:.1f} |")
        lines.append("")
    lines += [
        f"Exports start at load {' '.join(result['export_load'])}.",
        "",
        "| export to CSV | rows | wall s | CPU s | µs CPU per voice | MB | load after |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for n, (written, wall, cpu, size, load) in enumerate(result["exports"], start=1):
        lines.append(
            f"| run {n} | {written:,} | {wall:.1f} | {cpu:.1f} | {cpu / max(written, 1) * 1e6:.1f} "
            f"| {size / 1e6:.0f} | {' '.join(load)} |"
        )
    if result["exports"]:
        walls = [run[1] for run in result["exports"]]
        cpus = [run[2] for run in result["exports"]]
        lines.append(
            f"| median | | {statistics.median(walls):.1f} | {statistics.median(cpus):.1f} | | | |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--exports", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--export-only", action="store_true", help="no search index, no searches: exports only"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated database and print its URL"
    )
    parser.add_argument("--url", help="a database kept by --keep: measure it, generate nothing")
    args = parser.parse_args()
    result = run(
        args.db,
        args.rows,
        args.exports,
        export_only=args.export_only,
        keep=args.keep,
        url=args.url,
    )
    out = table(result)
    print(out)
    if not args.no_write:
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / f"result-{args.db}.md").write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()
