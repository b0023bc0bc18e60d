"""Benchmark: server time of the dashboard (the workspace home) at the demo's size and at
1,000,000 voices, on SQLite and PostgreSQL.

For each database and size, a fresh database is migrated and filled:
- demo: `build_demo` at its default sizes (20,000 voices) and every comment analysed by the
  text engine, as `kizuna demo` leaves it;
- 1m: 1,000,000 generated voices over two years (six channels, eight touchpoints, two
  languages, four sources, three surveys, five stores) with one analysis each (sentiment,
  delight, expectation, one to three topics of twelve), bulk-inserted; 100,000 customers
  (with a CLV score each) give 60% of the voices and have 400,000 interactions (purchases,
  stays, visits, event attendances, community posts) for the value and engagement card.
The rollups are then counted once (`rebuild_rollups`, timed; PostgreSQL is then analysed,
as autovacuum would after a bulk load), and the dashboard is requested
through the app (FastAPI TestClient, in-process, so the time is the server's: routing,
the rollup freshness check, every widget's queries and the HTML) `--repeat` times for: the
default page (last 12 months), the same page filtered by a channel, by a channel and a
language at once (the "full" grain), by a segment (its customers' voices counted on request
and cached; timed warm and with every cache cleared before each request) and one widget's
CSV, and the default page with every cache cleared (value card, drivers, notable voices
computed again).
Reported: p50 and p95 of wall time and the process CPU time per request; then the time to
take in 1,000 new voices incrementally (`refresh_rollups`, what the subscribers run).

    .venv/bin/python -m bench.dashboard                        # demo and 1m, SQLite (+ PG)
    .venv/bin/python -m bench.dashboard --sizes demo --repeat 30
    # SQLite: fill and count 1 M once, then measure again on a copy of it
    .venv/bin/python -m bench.dashboard --sizes 1m --databases sqlite --keep bench/work/dashboard
    KIZUNA_BENCH_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.dashboard

PostgreSQL runs when KIZUNA_BENCH_POSTGRES (an admin URL) is set, or the default local
server answers; each run creates and drops its own database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from kizuna import Kizuna, Settings
from kizuna.accounts.service import init_workspace
from kizuna.customers.models import Customer, CustomerScore, Interaction
from kizuna.customers.segments import create_segment
from kizuna.db.guard import TRUSTED
from kizuna.feedback.models import Feedback, FeedbackAnalysis
from kizuna.reports.dashboard_cache import clear_cache
from kizuna.reports.rollups import rebuild_rollups, refresh_rollups
from kizuna.web import create_app

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "dashboard.md"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery"
CHANNELS = ("web", "app", "store", "call_center", "email", "sns")
TOUCHPOINTS = (
    "checkout",
    "delivery",
    "support",
    "front_desk",
    "room",
    "app_login",
    "returns",
    None,
)
SOURCES = ("survey", "survey", "review", "ticket")
SURVEYS = ("post_stay", "post_purchase", "post_support")
STORES = ("S01", "S02", "S03", "S04", "S05")
TOPICS = (
    "staff", "cleanliness", "room", "food", "price_value", "delivery",
    "wait_time", "checkout", "usability", "support", "billing", "location",
)  # fmt: skip
SENTIMENTS = ("positive", "neutral", "negative", "mixed")
CHUNK = 20_000
CUSTOMERS = 100_000
INTERACTIONS = 400_000
AGE_BANDS = ("20s", "30s", "40s", "50s", "60s")
# kind, channel, share of interactions, amount range (None: no amount)
KINDS = (
    ("purchase", "web", 0.25, (1000, 20000)),
    ("stay", "store", 0.1, (10000, 80000)),
    ("visit", "app", 0.55, None),
    ("event_attendance", "event", 0.05, None),
    ("community_post", "community", 0.05, None),
)


@dataclass
class Timing:
    label: str
    wall: list[float]
    cpu: list[float]

    def p(self, q: float, values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="kizuna-bench-") as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextlib.contextmanager
def postgres_url(admin_url: str) -> Iterator[str]:
    name = f"kizuna_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill_demo(kz: Kizuna) -> tuple[str, str, str]:
    from kizuna.demo.build import build_demo
    from kizuna.text.service import reanalyze_workspace

    summary = build_demo(kz, slug="demo")
    with kz.session() as session:
        workspace = kz.workspace(session, "demo")
    reanalyze_workspace(kz, workspace)
    return "demo", summary.admin_email, summary.password


def _voice(rng: random.Random, i: int, days: int, today: dt.date) -> dict[str, Any]:
    day = today - dt.timedelta(days=int(days * rng.random() ** 0.8))
    source = rng.choice(SOURCES)
    q = rng.random()
    props: dict[str, Any] = {"store": rng.choice(STORES)}
    if source == "survey":
        props["survey"] = rng.choice(SURVEYS)
    return {
        "source": source,
        "external_id": f"b{i}",
        "channel": rng.choice(CHANNELS),
        "touchpoint": rng.choice(TOUCHPOINTS),
        "received_at": dt.datetime(day.year, day.month, day.day, 3, tzinfo=dt.UTC),
        "received_on": day,
        "text": "ベンチマークの声",
        "language": "ja" if rng.random() < 0.85 else "en",
        "nps": min(10, int(q * 11)) if rng.random() < 0.8 else None,
        "csat": 1 + min(4, int(q * 5)) if rng.random() < 0.6 else None,
        "ces": 1 + min(6, int(q * 7)) if source == "ticket" else None,
        "properties": props,
        "content_hash": "",
    }


def _analysis(rng: random.Random, feedback_id: int, nps: int | None) -> dict[str, Any]:
    mood = (nps if nps is not None else rng.randrange(11)) / 10
    sentiment = "positive" if mood > 0.7 else "negative" if mood < 0.4 else rng.choice(SENTIMENTS)
    topics = [
        {"topic": t, "sentiment": rng.choice(SENTIMENTS) if rng.random() < 0.3 else sentiment}
        for t in rng.sample(TOPICS, rng.randint(1, 3))
    ]
    return {
        "feedback_id": feedback_id,
        "engine_version": "bench",
        "language": "ja",
        "sentiment": sentiment,
        "sentiment_score": round(2 * mood - 1, 3),
        "delight": round(max(0.0, mood - 0.5) * 2 * rng.random(), 3),
        "expectation": "exceeded" if mood > 0.85 else "below" if mood < 0.3 else "met",
        "emotions": {},
        "topics": topics,
        "experience_values": [],
        "cues": [],
    }


def fill_customers(kz: Kizuna, workspace_id: int, rng: random.Random, count: int) -> list[int]:
    """Customers with an age band and a CLV score, and their interactions over two years."""
    today = dt.date.today()
    with kz.engine.begin() as conn:
        for start in range(0, count, CHUNK):
            rows = [
                {
                    "workspace_id": workspace_id,
                    "source": "bench",
                    "external_id": f"c{i}",
                    "age_band": rng.choice(AGE_BANDS),
                    "content_hash": "",
                }
                for i in range(start, min(count, start + CHUNK))
            ]
            conn.execute(insert(Customer), rows, execution_options=TRUSTED)
        ids = list(
            conn.scalars(
                select(Customer.id)
                .where(Customer.workspace_id == workspace_id)
                .order_by(Customer.id)
            )
        )
        scores = [
            {
                "workspace_id": workspace_id,
                "customer_id": cid,
                "as_of": today,
                "model_version": "bench",
                "clv_12m": round(rng.lognormvariate(10, 1), 0),
                "clv_percentile": round(100 * rng.random(), 1),
            }
            for cid in ids
        ]
        for start in range(0, len(scores), CHUNK):
            conn.execute(insert(CustomerScore), scores[start : start + CHUNK])
        weights = [k[2] for k in KINDS]
        interactions = INTERACTIONS * count // CUSTOMERS
        for start in range(0, interactions, CHUNK):
            rows = []
            for i in range(start, min(interactions, start + CHUNK)):
                kind, channel, _, amounts = rng.choices(KINDS, weights)[0]
                day = today - dt.timedelta(days=int(730 * rng.random() ** 0.8))
                rows.append(
                    {
                        "workspace_id": workspace_id,
                        "source": "bench",
                        "external_id": f"i{i}",
                        "customer_id": rng.choice(ids),
                        "occurred_at": dt.datetime(day.year, day.month, day.day, 3, tzinfo=dt.UTC),
                        "occurred_on": day,
                        "channel": channel,
                        "kind": kind,
                        "amount": rng.randint(*amounts) if amounts else None,
                        "content_hash": "",
                    }
                )
            conn.execute(insert(Interaction), rows, execution_options=TRUSTED)
    return ids


def fill_generated(kz: Kizuna, voices: int, seed: int = 12) -> tuple[str, str, str]:
    rng = random.Random(seed)
    slug = "bench"
    email = f"owner-{slug}@example.com"
    with kz.session() as session:
        ws = init_workspace(session, slug, email, password=PASSWORD).workspace
    customers = fill_customers(kz, ws.id, rng, min(CUSTOMERS, max(100, voices // 10)))
    today = dt.date.today()
    last = 0
    for start in range(0, voices, CHUNK):
        rows = [
            {
                **_voice(rng, i, 730, today),
                "workspace_id": ws.id,
                "customer_id": rng.choice(customers) if rng.random() < 0.6 else None,
            }
            for i in range(start, min(voices, start + CHUNK))
        ]
        with kz.engine.begin() as conn:
            conn.execute(insert(Feedback), rows, execution_options=TRUSTED)
            # One writer: the new rows are the ids above the last chunk's.
            found = conn.execute(
                select(Feedback.id, Feedback.nps)
                .where(Feedback.id > last, Feedback.workspace_id == ws.id)
                .order_by(Feedback.id)
            ).all()
            assert len(found) == len(rows)
            last = found[-1][0]
            analyses = [{**_analysis(rng, fid, nps), "workspace_id": ws.id} for fid, nps in found]
            conn.execute(insert(FeedbackAnalysis), analyses, execution_options=TRUSTED)
        print(f"  {min(voices, start + CHUNK):,} voices", file=sys.stderr, flush=True)
    return slug, email, PASSWORD


def _time(call: Callable[[], Any], repeat: int, label: str) -> Timing:
    call()  # warm: templates compiled, first refresh done
    wall, cpu = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        call()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return Timing(label, wall, cpu)


def _kept(keep: Path | None, size: str) -> Path | None:
    """Where a kept SQLite database of this size lives (`--keep DIR`)."""
    return None if keep is None else keep / f"dashboard-{size}.db"


def measure(url: str, size: str, repeat: int, keep: Path | None = None) -> dict[str, Any]:
    """Fill (or, with `keep` holding a database of this size, copy it), rebuild, time."""
    kept = _kept(keep, size) if url.startswith("sqlite") else None
    reused = kept is not None and kept.exists()
    if reused:
        assert kept is not None
        shutil.copyfile(kept, make_url(url).database or "")
    settings = Settings(database_url=url, run_schedules=False, embedded_worker=False)
    kz = Kizuna(settings)
    kz.upgrade_db()
    started = time.perf_counter()
    if reused:
        slug, email, password = "bench", "owner-bench@example.com", PASSWORD
    elif size == "demo":
        slug, email, password = fill_demo(kz)
    else:
        slug, email, password = fill_generated(kz, 1_000_000 if size == "1m" else int(size))
    filled: float | None = None if reused else time.perf_counter() - started
    with kz.session() as session:
        ws = kz.workspace(session, slug)
        voices = session.scalar(select(func.count()).where(Feedback.workspace_id == ws.id))
    rebuild: tuple[float, float] | None = None
    days = 0
    if not reused:
        c0, w0 = time.process_time(), time.perf_counter()
        with kz.session() as session:
            days = rebuild_rollups(session, ws.id)
        rebuild = (time.perf_counter() - w0, time.process_time() - c0)
    if kz.engine.dialect.name == "postgresql":
        # Statistics as autovacuum leaves them a minute after a bulk load (this server may
        # run without it): without them the planner takes a period of voices for 3 rows.
        with kz.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    if kept is not None and not reused:  # filled and counted: kept for the next run
        kept.parent.mkdir(parents=True, exist_ok=True)
        with kz.engine.connect() as conn:
            conn.exec_driver_sql("VACUUM INTO ?", (str(kept),))
    app = create_app(kz)
    client = TestClient(app)
    token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def get(path: str, cold: bool = False, **params: str) -> Callable[[], None]:
        def call() -> None:
            if cold:
                clear_cache()
            answer = client.get(path, params=params)
            assert answer.status_code == 200, answer.text[:500]

        return call

    segment = _segment_id(kz, slug)
    some = max(3, repeat // 3)
    home = f"/w/{slug}/"
    timings = [
        _time(get(home), repeat, "dashboard, last 12 months"),
        _time(get(home, channel="web"), repeat, "dashboard, channel = web"),
        _time(get(home, months="24", language="ja"), repeat, "dashboard, 24 months, ja"),
        _time(get(home, channel="web", language="ja"), repeat, "dashboard, channel = web and ja"),
        _time(get(home, segment=segment), repeat, "dashboard, segment (warm cache)"),
        _time(get(home, True, segment=segment), some, "dashboard, segment (cold caches)"),
        _time(get(home, True), some, "dashboard, last 12 months (cold caches)"),
        _time(get(f"/w/{slug}/dashboard/topics.csv"), repeat, "topics CSV"),
    ]
    # 1,000 new voices, then what the subscribers run to take them in.
    rng = random.Random(99)
    rows = [
        {**_voice(rng, 10_000_000 + i, 30, dt.date.today()), "workspace_id": ws.id}
        for i in range(1000)
    ]
    with kz.engine.begin() as conn:
        conn.execute(insert(Feedback), rows)
    c0, w0 = time.process_time(), time.perf_counter()
    with kz.session() as session:
        refreshed_days = refresh_rollups(session, ws.id)
    refresh = (time.perf_counter() - w0, time.process_time() - c0, refreshed_days)
    kz.close()
    return {
        "size": size,
        "voices": voices,
        "filled": filled,
        "days": days,
        "rebuild": rebuild,
        "timings": timings,
        "refresh": refresh,
    }


def _segment_id(kz: Kizuna, slug: str) -> str:
    """A segment on age bands (30s and 40s), made for the bench."""
    with kz.session() as session:
        workspace = kz.workspace(session, slug)
        conditions = [{"field": "age_band", "op": "in", "value": ["30s", "40s"]}]
        return str(create_segment(session, workspace, "30s and 40s", conditions).id)


def _postgres_admin() -> str | None:
    url = os.environ.get("KIZUNA_BENCH_POSTGRES", DEFAULT_PG)
    try:
        engine = create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return url
    except Exception:  # any failure means: no server to use
        return None


def render(results: list[dict[str, Any]], command: str, before: str, after: str) -> str:
    lines = [
        "# Dashboard: server time at the demo's size and at 1 M voices",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}  ",
        f"Load average before: {before}; after: {after}  ",
        f"Run: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        "",
        "Server time of one request (in-process, routing + rollup freshness check + every "
        "widget's queries + HTML), over the repeated requests; CPU is this process's CPU time "
        "per request, the fairer figure on a shared, loaded machine. Goals: demo p95 < 300 ms, "
        "1 M voices < 1 s.",
        "",
        "| database | size | voices | request | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for t in r["timings"]:
            lines.append(
                f"| {r['database']} | {r['size']} | {r['voices']:,} | {t.label} "
                f"| {1000 * statistics.median(t.wall):.0f} | {1000 * t.p(0.95, t.wall):.0f} "
                f"| {1000 * statistics.median(t.cpu):.0f} | {1000 * t.p(0.95, t.cpu):.0f} |"
            )
    lines += [
        "",
        "Keeping the rollups: a full rebuild (`kizuna dashboard rebuild`), and taking in 1,000 "
        "new voices (what the `voice.recorded` / `voice.analyzed` subscribers run).",
        "",
        "| database | size | data load s | rebuild s (CPU s) | days | refresh after 1,000 new voices ms (CPU ms) | days recounted |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rw, rc, rd = r["refresh"]
        filled = "kept" if r["filled"] is None else f"{r['filled']:.0f}"
        rebuilt = "kept" if r["rebuild"] is None else "{:.1f} ({:.1f})".format(*r["rebuild"])
        lines.append(
            f"| {r['database']} | {r['size']} | {filled} | {rebuilt} "
            f"| {r['days'] or 'kept'} | {1000 * rw:.0f} ({1000 * rc:.0f}) | {rd} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="demo,1m", help="demo, 1m or a number, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument(
        "--keep",
        type=Path,
        help="SQLite: a folder keeping each size's filled and counted database; a later run "
        "with the same folder copies it instead of filling and counting again",
    )
    args = parser.parse_args()
    before = _loadavg()
    results = []
    pg_admin = _postgres_admin() if "postgresql" in args.databases else None
    for database in args.databases.split(","):
        if database == "postgresql" and pg_admin is None:
            print("PostgreSQL not reachable: skipped", file=sys.stderr)
            continue
        for size in args.sizes.split(","):
            print(f"{database} / {size} ...", file=sys.stderr, flush=True)
            context = sqlite_url() if database == "sqlite" else postgres_url(pg_admin or "")
            with context as url:
                result = measure(url, size, args.repeat, args.keep)
            result["database"] = "SQLite" if database == "sqlite" else "PostgreSQL"
            results.append(result)
            print(render([result], "", "", ""), file=sys.stderr, flush=True)
    command = ".venv/bin/python -m bench.dashboard " + shlex.join(sys.argv[1:])
    table = render(results, command.strip(), before, _loadavg())
    print(table)
    if not args.no_write:
        RESULTS.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
