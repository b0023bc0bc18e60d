"""Benchmark: the batch API through the real HTTP server, and what survives SIGKILL.

1. Rows/s: `uvicorn` serving Kizuna's app in its own process(es) on a fresh database
   (SQLite file, then PostgreSQL), the embedded job worker off. A load generator in this
   process keeps 8 keep-alive connections busy, each posting 500 feedback records per
   request to `POST /api/v1/feedback/batch` with the workspace's API key (every record a
   new key; the bodies are made before the clock starts). Reported: rows/s (records of
   2xx answers per wall second), p50/p99 latency per request, the server's CPU per 1,000
   rows, the load average. Target: at least 20,000 rows/s on SQLite with p99 under 1 s,
   and the PostgreSQL figure beside it.
2. Durability, on each database: the same load; the server is killed with SIGKILL after a
   few seconds and started again at once, and the generator sends a batch that got no
   answer again (same keys). Every record of a 2xx answer must be stored, and every stored
   voice announced once (`voice.recorded`). Then two `kizuna worker` processes deliver
   those events (text analysis, rules); one is killed with SIGKILL mid-run and another
   started. Every job must end done, each delivery be recorded once, and each voice be
   analysed once. (A killed `kizuna import` is `bench.ingest_pg`'s second part.)

    .venv/bin/python -m bench.batch_api            # full runs, writes bench/results/batch_api.md
    .venv/bin/python -m bench.batch_api --quick    # a short look, writes nothing
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.batch_api_report import BATCH, CLIENTS, PATH, http_row, report
from bench.surveys import SECRET, Server, environment, fresh_postgres

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work" / "batch_api"
RESULTS = ROOT / "results" / "batch_api.md"
KIZUNA = Path(sys.executable).parent / "kizuna"
TEXTS = (
    "スタッフの対応がとても丁寧で感動しました。",
    "待ち時間が長くて残念でした。",
    "アプリが使いやすくなって助かります。",
    "電話がつながりにくいのを改善してほしい。",
    "The staff were kind and the room was clean.",
)
CHANNELS = ("web", "app", "store", "call_center", "email")


def loads() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


# --- set-up -------------------------------------------------------------------------------


def fresh_sqlite(name: str) -> str:
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return f"sqlite:///{folder / 'kizuna.db'}"


def prepare(url: str) -> str:
    """Migrate and make a workspace; its admin API key."""
    from kizuna import Kizuna, Settings
    from kizuna.accounts.service import init_workspace

    with Kizuna(Settings(env="production", secret_key=SECRET, database_url=url)) as kz:
        kz.upgrade_db()
        with kz.session() as session:
            made = init_workspace(session, "bench", "bench@example.com", "correct horse battery")
            return made.api_key


def bodies(rows: int, prefix: str) -> list[tuple[list[str], bytes]]:
    """Each request's keys and body: 500 voices with a score and a comment."""
    rng = random.Random(prefix)
    made = []
    for start in range(0, rows, BATCH):
        keys = [f"{prefix}-{n:08d}" for n in range(start, min(rows, start + BATCH))]
        records = [
            {
                "external_id": key,
                "customer_ref": f"C{rng.randrange(50_000):06d}",
                "received_at": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+09:00",
                "channel": rng.choice(CHANNELS),
                "text": rng.choice(TEXTS),
                "nps": rng.randint(0, 10),
                "csat": rng.randint(1, 5),
            }
            for key in keys
        ]
        made.append((keys, json.dumps({"records": records}, ensure_ascii=False).encode()))
    return made


# --- the load generator -------------------------------------------------------------------


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    refused: int = 0
    cut: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.acknowledged) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _client(
    port: int, api_key: str, queue: list[tuple[list[str], bytes]], deadline: float, load: Load
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    pending: tuple[list[str], bytes] | None = None
    while time.monotonic() < deadline and (pending is not None or queue):
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                load.refused += 1
                await asyncio.sleep(0.05)
            continue  # another client may have taken the last batch meanwhile
        assert reader is not None
        if pending is None:  # a batch that got no answer is sent again, the same keys
            pending = queue.pop()
        keys, body = pending
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"X-API-Key: {api_key}\r\nAccept-Language: en\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        started = time.perf_counter()
        try:
            writer.write(head.encode() + body)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            answer = await reader.readexactly(length)
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
            writer.close()
            reader = writer = None
            load.cut += 1
            await asyncio.sleep(0.05)
            continue
        elapsed = time.perf_counter() - started
        if status == 200:
            rows = json.loads(answer)["rows"]
            stored = [r["external_id"] for r in rows if r["status"] != "rejected"]
            assert len(stored) == len(keys), f"records rejected: {rows[:3]}"
            load.latencies.append(elapsed)
            load.acknowledged.extend(stored)
            pending = None
        else:  # 5xx while the database is busy: counted, and the batch is sent again
            load.failed += 1
            await asyncio.sleep(0.05)


def generate(
    port: int, api_key: str, work: list[tuple[list[str], bytes]], seconds: float = 900
) -> Load:
    load = Load()
    queue = list(reversed(work))
    deadline = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(
            *(_client(port, api_key, queue, deadline, load) for _ in range(CLIENTS))
        )

    started = time.perf_counter()
    asyncio.run(main())
    load.seconds = time.perf_counter() - started
    return load


# --- 1. rows per second -------------------------------------------------------------------


@dataclass
class HttpRun:
    database: str
    workers: int
    load: Load
    cpu_ms: float  # server CPU per 1,000 rows
    loadavg: str


def http_run(url: str, database: str, workers: int, rows: int) -> HttpRun:
    api_key = prepare(url)
    warm = bodies(20 * BATCH, f"warm{uuid.uuid4().hex[:6]}")
    work = bodies(rows, f"b{uuid.uuid4().hex[:6]}")
    server = Server(url, workers)
    server.start()
    try:
        generate(server.port, api_key, warm)
        cpu_before = server.cpu_seconds()
        load = generate(server.port, api_key, work)
        cpu = server.cpu_seconds() - cpu_before
        average = loads()
    finally:
        server.stop()
    assert len(load.acknowledged) == rows, (len(load.acknowledged), rows)
    stored, _, _ = stored_voices(url)
    assert stored == rows + len(warm) * BATCH, (stored, rows)
    return HttpRun(database, workers, load, 1e6 * cpu / rows, average)


# --- 2. durability ------------------------------------------------------------------------


def stored_voices(url: str) -> tuple[int, set[str], tuple[int, int]]:
    """(voices stored, their keys, (ids announced by voice.recorded, distinct ones))."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            keys = {
                str(k) for k in conn.execute(text("SELECT external_id FROM feedback")).scalars()
            }
            stored = int(conn.execute(text("SELECT count(*) FROM feedback")).scalar_one())
            announced: list[int] = []
            for payload in conn.execute(
                text("SELECT payload FROM domain_event WHERE kind = 'voice.recorded'")
            ).scalars():
                data = json.loads(payload) if isinstance(payload, str) else payload
                announced.extend(data["feedback_ids"])
    finally:
        engine.dispose()
    return stored, keys, (len(announced), len(set(announced)))


@dataclass
class Jobs:
    seconds: float = 0.0
    killed_at: int = 0  # jobs done when a worker was killed
    states: dict[str, int] = field(default_factory=dict)
    deliveries: int = 0
    distinct_deliveries: int = 0
    analyses: int = 0
    analysed_voices: int = 0
    retried: int = 0  # jobs claimed more than once: the killed worker's, taken over


@dataclass
class Durability:
    database: str
    acknowledged: int
    stored: int
    missing: int
    announced: int
    announced_distinct: int
    cut: int
    refused: int
    failed: int
    jobs: Jobs


def _job_counts(url: str) -> Callable[[], dict[str, int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT state, count(*) FROM job GROUP BY state")).all()
        return {str(state): int(n) for state, n in rows}

    counts.engine = engine  # type: ignore[attr-defined]
    return counts


def work_jobs(url: str, timeout: float) -> Jobs:
    """Two workers deliver every queued event; one is killed with SIGKILL a third of the way."""
    from sqlalchemy import create_engine, text

    env = environment(url, KIZUNA_JOB_LEASE_SECONDS="5", KIZUNA_WORKER_POLL_SECONDS="0.2")
    command = [str(KIZUNA), "worker"]
    quiet = subprocess.DEVNULL
    counts = _job_counts(url)
    total = sum(counts().values())
    result = Jobs()
    started = time.perf_counter()
    workers = [subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet) for _ in range(2)]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            now = counts()
            done = now.get("done", 0)
            if not result.killed_at and done >= total / 3:
                workers[0].send_signal(signal.SIGKILL)  # mid-job: its transaction is lost
                workers[0].wait()
                result.killed_at = done
                workers[0] = subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet)
            if not now.get("queued", 0) and not now.get("running", 0) and result.killed_at:
                break
            time.sleep(0.25)
        result.seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    result.states = counts()
    counts.engine.dispose()  # type: ignore[attr-defined]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:

            def one(sql: str) -> int:
                return int(conn.execute(text(sql)).scalar_one())

            result.deliveries = one("SELECT count(*) FROM event_delivery")
            result.distinct_deliveries = one(
                "SELECT count(*) FROM (SELECT DISTINCT event_id, subscriber FROM event_delivery) d"
            )
            result.analyses = one("SELECT count(*) FROM feedback_analysis")
            result.analysed_voices = one(
                "SELECT count(DISTINCT feedback_id) FROM feedback_analysis"
            )
            result.retried = one("SELECT count(*) FROM job WHERE attempts > 1")
    finally:
        engine.dispose()
    return result


def durability_run(url: str, database: str, rows: int, kill_after: float) -> Durability:
    api_key = prepare(url)
    work = bodies(rows, f"d{uuid.uuid4().hex[:6]}")
    server = Server(url, 1)
    server.start()
    result: dict[str, Load] = {}

    def run_load() -> None:
        result["load"] = generate(server.port, api_key, work)

    thread = threading.Thread(target=run_load)
    thread.start()
    time.sleep(kill_after)
    server.kill()  # SIGKILL: no shutdown; batches in flight are cut mid-transaction
    server.start()  # the same port: the generator reconnects to the new process
    thread.join()
    server.stop()
    load = result["load"]
    stored, keys, (announced, distinct) = stored_voices(url)
    jobs = work_jobs(url, timeout=1800)
    return Durability(
        database,
        acknowledged=len(load.acknowledged),
        stored=stored,
        missing=len(set(load.acknowledged) - keys),
        announced=announced,
        announced_distinct=distinct,
        cut=load.cut,
        refused=load.refused,
        failed=load.failed,
        jobs=jobs,
    )


# --- report -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs; writes no results")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-durability", action="store_true")
    parser.add_argument("--only-durability", action="store_true", help="writes no results")
    args = parser.parse_args()
    rows = 40_000 if args.quick else 200_000
    repeat = 1 if args.quick else args.repeat
    WORK.mkdir(parents=True, exist_ok=True)
    load_before = loads()
    databases = ["SQLite"] + ([] if args.no_postgres else ["PostgreSQL"])
    runs: list[HttpRun] = []
    lines: list[str] = []
    for database in [] if args.only_durability else databases:
        for workers in args.workers:
            for i in range(repeat):
                if database == "SQLite":
                    run = http_run(fresh_sqlite("http"), database, workers, rows)
                else:
                    url, drop = fresh_postgres()
                    try:
                        run = http_run(url, database, workers, rows)
                    finally:
                        drop()
                runs.append(run)
                lines.append(http_row(f"run {i + 1}", run))
                print(lines[-1], flush=True)
    durable: list[Durability] = []
    if not args.no_durability:
        for database in databases:
            durable_rows = 10_000 if args.quick else 50_000
            if database == "SQLite":
                durable.append(
                    durability_run(fresh_sqlite("durability"), database, durable_rows, 1.5)
                )
            else:
                url, drop = fresh_postgres()
                try:
                    durable.append(durability_run(url, database, durable_rows, 1.5))
                finally:
                    drop()
            print(durable[-1], flush=True)
    text = report(runs, lines, durable, rows, repeat, load_before, args)
    if not (args.quick or args.only_durability or args.no_durability):
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("\n".join(text) + "\n", encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
