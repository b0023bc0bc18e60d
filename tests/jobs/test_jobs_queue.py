"""enqueue, the handler registry and job counts (kizuna.jobs.queue)."""

from __future__ import annotations

import datetime as dt

import pytest
from jobs_handlers_fixture import COUNT_KIND, UNKNOWN_KIND, count_run
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.errors import Conflict, InvalidInput
from kizuna.jobs.models import Job
from kizuna.jobs.queue import (
    USE_SETTING,
    UnknownJobKind,
    enqueue,
    get_handler,
    job_counts,
    job_handler,
)


def count_jobs(kz: Kizuna, workspace_id: int) -> int:
    with kz.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Job).where(Job.workspace_id == workspace_id)
            )
            or 0
        )


def test_enqueue_commits_with_the_callers_transaction(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    wid = ws.workspace.id
    with pytest.raises(RuntimeError), kz.session() as session:
        enqueue(session, COUNT_KIND, {"feedback_id": 1}, workspace_id=wid)
        raise RuntimeError("the data the job needed failed to save")
    assert count_jobs(kz, wid) == 0

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with kz.session() as session:
        job = enqueue(session, COUNT_KIND, {"feedback_id": 2}, workspace_id=wid, run_after=later)
    with kz.session() as session:
        stored = session.get_one(Job, job.id)
    assert (stored.state, stored.attempts, stored.payload) == ("queued", 0, {"feedback_id": 2})
    assert stored.max_attempts == USE_SETTING
    assert abs(stored.run_after - later) < dt.timedelta(milliseconds=1)
    assert count_jobs(kz, wid) == 1


def test_enqueue_refuses_what_it_cannot_store(kz: Kizuna) -> None:
    with kz.session() as session:
        with pytest.raises(InvalidInput) as not_json:
            enqueue(session, COUNT_KIND, {"when": dt.date(2024, 4, 1)})
        with pytest.raises(InvalidInput):
            enqueue(session, COUNT_KIND, {}, run_after=dt.datetime(2024, 4, 1))
        with pytest.raises(InvalidInput):
            enqueue(session, COUNT_KIND, {}, max_attempts=0)
        with pytest.raises(InvalidInput):
            enqueue(session, "", {})
    assert "ISO" in not_json.value.message_en
    assert "JSON" in not_json.value.message_ja


def test_registry_finds_handlers_and_refuses_a_rival(kz: Kizuna) -> None:
    assert get_handler(COUNT_KIND) is count_run
    with pytest.raises(UnknownJobKind) as unknown:
        get_handler(UNKNOWN_KIND)
    assert "--import" in unknown.value.message_en
    with pytest.raises(Conflict):

        @job_handler(COUNT_KIND)
        def rival(kz: Kizuna, job: Job) -> None:
            pass

    assert get_handler(COUNT_KIND) is count_run


def test_job_counts_by_state_per_workspace(kz: Kizuna, make_workspace) -> None:  # type: ignore[no-untyped-def]
    one, other = make_workspace(), make_workspace()
    with kz.session() as session:
        for _ in range(3):
            enqueue(session, COUNT_KIND, {}, workspace_id=one.workspace.id)
        enqueue(session, COUNT_KIND, {}, workspace_id=other.workspace.id)
    with kz.session() as session:
        counts = job_counts(session, one.workspace.id)
        everywhere = job_counts(session)
    assert counts == {"queued": 3, "running": 0, "done": 0, "failed": 0, "dead": 0}
    assert everywhere["queued"] >= 4
