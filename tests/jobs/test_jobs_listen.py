"""On PostgreSQL a waiting worker is woken by NOTIFY when a job is queued, not by its poll."""

from __future__ import annotations

import time
from typing import Any

import pytest
from jobs_handlers_fixture import TEST_KINDS, Count
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.jobs.models import Job
from kizuna.jobs.queue import enqueue
from kizuna.jobs.worker import EmbeddedWorker, Worker


def test_a_queued_job_wakes_a_listening_worker_long_before_its_poll(
    kz: Kizuna, ws: Any, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite workers poll")
    poll = 120.0  # far longer than the test may take: only a NOTIFY can wake the worker
    slow = Kizuna(kz.settings.model_copy(update={"worker_poll_seconds": poll}), engine=kz.engine)
    embedded = EmbeddedWorker(slow, Worker(slow, "w-listen", kinds=TEST_KINDS))
    embedded.start()
    try:
        time.sleep(1.0)  # let it find the queue empty and start waiting
        with kz.session() as session:
            job_id = enqueue(session, Count(), workspace_id=ws.workspace.id).id
        deadline = time.monotonic() + 20
        state = "queued"
        while time.monotonic() < deadline and state != "done":
            time.sleep(0.1)
            with kz.session() as session:
                state = session.scalar(select(Job.state).where(Job.id == job_id)) or ""
        assert state == "done", "the worker slept through the NOTIFY"
    finally:
        assert embedded.stop(timeout=10)
