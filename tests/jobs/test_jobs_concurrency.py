"""Many workers, one queue: every job runs exactly once (threads, and worker processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from jobs_handlers_fixture import COUNT_KIND, TEST_KINDS, Count
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.accounts.models import AuditEvent
from kizuna.jobs import claim
from kizuna.jobs.models import Job
from kizuna.jobs.queue import enqueue

REPO = Path(__file__).resolve().parents[2]
KIZUNA = Path(sys.executable).parent / "kizuna"
JOBS = 200


def enqueue_many(kz: Kizuna, workspace_id: int, count: int, sleep: float = 0.0) -> set[int]:
    with kz.session() as session:
        return {
            enqueue(session, Count(sleep=sleep, customer="山田 花子"), workspace_id=workspace_id).id
            for _ in range(count)
        }


def runs_per_job(kz: Kizuna, workspace_id: int) -> dict[int, int]:
    with kz.session() as session:
        rows = session.execute(
            select(AuditEvent.actor, func.count())
            .where(AuditEvent.workspace_id == workspace_id, AuditEvent.action == COUNT_KIND)
            .group_by(AuditEvent.actor)
        )
        return {int(actor.removeprefix("job:")): count for actor, count in rows}


def states_of(kz: Kizuna, job_ids: set[int]) -> dict[str, int]:
    with kz.session() as session:
        rows = session.execute(
            select(Job.state, func.count()).where(Job.id.in_(job_ids)).group_by(Job.state)
        )
        return {state: count for state, count in rows}


def work_in_threads(kz: Kizuna, threads: int) -> list[int]:
    from kizuna.jobs.worker import Worker

    ran = [0] * threads
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            ran[index] = Worker(kz, f"thread-{index}", kinds=TEST_KINDS).run_burst()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    assert not errors, errors
    return ran


def test_threads_run_every_job_exactly_once(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    job_ids = enqueue_many(kz, ws.workspace.id, JOBS)
    ran = work_in_threads(kz, threads=4)
    assert sum(ran) == JOBS
    assert runs_per_job(kz, ws.workspace.id) == dict.fromkeys(job_ids, 1)
    assert states_of(kz, job_ids) == {"done": JOBS}


def test_claiming_without_returning_is_exactly_once_too(
    kz: Kizuna,
    ws,  # type: ignore[no-untyped-def]
    is_postgres: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if is_postgres:
        pytest.skip("the compare-and-set claim is SQLite's path for versions before 3.35")
    monkeypatch.setattr(claim, "sqlite_has_returning", lambda: False)
    job_ids = enqueue_many(kz, ws.workspace.id, 60)
    ran = work_in_threads(kz, threads=3)
    assert sum(ran) == 60
    assert runs_per_job(kz, ws.workspace.id) == dict.fromkeys(job_ids, 1)


def test_worker_processes_run_every_job_exactly_once(kz: Kizuna, ws, database_url: str) -> None:  # type: ignore[no-untyped-def]
    job_ids = enqueue_many(kz, ws.workspace.id, JOBS, sleep=0.002)
    env = {**os.environ, "KIZUNA_DATABASE_URL": database_url, "KIZUNA_ENV": "test"}
    command = [
        str(KIZUNA),
        "worker",
        "--burst",
        "--import",
        "tests.jobs.jobs_handlers_fixture",
        "--kind",
        COUNT_KIND,
    ]
    procs = [
        subprocess.Popen(
            [*command, "--name", f"proc-{i}"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert runs_per_job(kz, ws.workspace.id) == dict.fromkeys(job_ids, 1)
    assert states_of(kz, job_ids) == {"done": JOBS}
    printed = "".join(outputs)
    assert sum(line.startswith("done ") for line in printed.splitlines()) == JOBS
    assert f"{COUNT_KIND} #{min(job_ids)} " in printed
    assert "山田" not in printed, "payloads may hold personal data and are never printed"
