"""CPU per survey answer in-process: the ASGI app called directly, no HTTP, no other process.

A short look for profiling between full runs of `bench.surveys` (whose rates move with the
machine's load): `--requests` answers (`POST /s/{key}` JSON, as `bench.surveys` sends them)
from `--concurrency` coroutines into Kizuna's app on a fresh SQLite file (or PostgreSQL with
`--postgres`); reported: CPU of every thread of this process per answer, the answer writer's
mean group size, and the load average. `--profile` prints the event loop thread's profile
(CPU time of that thread only; the writer thread is not in it).

    .venv/bin/python -m bench.surveys_cpu --requests 3200
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import time
import uuid
from typing import Any

from bench.surveys import (
    answer_body,
    environment,
    fresh_postgres,
    fresh_sqlite,
    loads,
    make_app,
    prepare_survey,
)


async def _post(app: Any, key: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/s/{key}",
        "raw_path": f"/s/{key}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)  # the app never reads past the body
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


def _load(app: Any, key: str, requests: int, concurrency: int) -> None:
    async def one_client(count: int) -> None:
        for _ in range(count):
            status = await _post(app, key, answer_body(uuid.uuid4().hex[:16]))
            assert status == 200, status

    async def main() -> None:
        await asyncio.gather(*(one_client(requests // concurrency) for _ in range(concurrency)))

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    url, drop = fresh_postgres() if args.postgres else (fresh_sqlite("cpu"), None)
    try:
        os.environ.update(environment(url))
        key = prepare_survey(url)
        app = make_app()
        _load(app, key, args.requests // 10, args.concurrency)  # warm up
        profile = cProfile.Profile(time.thread_time) if args.profile else None
        done = args.requests // args.concurrency * args.concurrency
        started = time.process_time()
        if profile is not None:
            profile.enable()
        _load(app, key, done, args.concurrency)
        if profile is not None:
            profile.disable()
        cpu = time.process_time() - started
        from kizuna.surveys.writer import writer_for

        writer = writer_for(app.state.kz)
        group = writer.items / max(1, writer.batches)
        print(
            f"{'PostgreSQL' if args.postgres else 'SQLite'}: {1000 * cpu / done:.2f} ms CPU per "
            f"answer (all threads), {done:,} answers, mean group {group:.1f}, load {loads()}"
        )
        if profile is not None:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(50)
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
