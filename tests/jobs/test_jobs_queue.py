"""enqueue with typed payloads and keys, the handler registry and job counts."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pytest
from jobs_handlers_fixture import COUNT_KIND, TEST_KINDS, Count, Fail, Unknown, count_run
from sqlalchemy import func, select, update

from kizuna import Kizuna
from kizuna.errors import Conflict, InvalidInput
from kizuna.jobs.models import Job
from kizuna.jobs.queue import (
    USE_SETTING,
    JobPayload,
    UnknownJobKind,
    enqueue,
    get_handler,
    job_counts,
    job_handler,
)
from kizuna.jobs.worker import Worker


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
        enqueue(session, Count(customer="1"), workspace_id=wid)
        raise RuntimeError("the data the job needed failed to save")
    assert count_jobs(kz, wid) == 0

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with kz.session() as session:
        job = enqueue(session, Count(customer="2"), workspace_id=wid, run_after=later)
    with kz.session() as session:
        stored = session.get_one(Job, job.id)
    assert (stored.state, stored.attempts, stored.kind) == ("queued", 0, COUNT_KIND)
    assert stored.payload == {"sleep": 0.0, "customer": "2"}
    assert stored.max_attempts == USE_SETTING
    assert abs(stored.run_after - later) < dt.timedelta(milliseconds=1)
    assert count_jobs(kz, wid) == 1


def test_payloads_are_typed_models_checked_when_made_and_when_run(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):  # pydantic refuses a wrong field at once
        Count(sleep="soon")  # type: ignore[arg-type]
    with kz.session() as session:
        with pytest.raises(InvalidInput):
            enqueue(session, Count(), run_after=dt.datetime(2024, 4, 1))
        with pytest.raises(InvalidInput):
            enqueue(session, Count(), max_attempts=0)
        with pytest.raises(InvalidInput) as no_kind:
            enqueue(session, JobPayload())
        with pytest.raises(InvalidInput):
            enqueue(session, {"kind": COUNT_KIND})  # type: ignore[arg-type]
        # A payload stored by another version that no longer fits its model: dead at once.
        job = enqueue(session, Count(), workspace_id=ws.workspace.id)
        session.execute(update(Job).where(Job.id == job.id).values(payload={"sleep": "later"}))
    assert "kind" in no_kind.value.message_en
    Worker(kz, "w-mismatch", kinds=TEST_KINDS).run_once()
    with kz.session() as session:
        stored = session.get_one(Job, job.id)
    assert stored.state == "dead" and stored.attempts == 1
    assert "PayloadMismatch" in (stored.last_error or "") and "Enqueue" in (stored.last_error or "")


def test_the_same_key_enqueued_twice_is_one_job_run_once(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    wid = ws.workspace.id
    key = f"count:{wid}:2026-12-02"
    with kz.session() as session:
        first = enqueue(session, Count(customer="a"), workspace_id=wid, key=key)
        again = enqueue(session, Count(customer="b"), workspace_id=wid, key=key)
    with kz.session() as session:  # and in a later transaction too
        later = enqueue(session, Count(customer="c"), workspace_id=wid, key=key)
    assert first.id == again.id == later.id
    assert count_jobs(kz, wid) == 1
    worker = Worker(kz, "w-key", kinds=TEST_KINDS)
    assert worker.run_burst() == 1
    with kz.session() as session:  # done: the key still names it, nothing runs again
        assert enqueue(session, Count(), workspace_id=wid, key=key).id == first.id
    assert worker.run_burst() == 0
    with kz.session() as session:
        stored = session.get_one(Job, first.id)
    assert (stored.state, stored.payload["customer"]) == ("done", "a")
    with kz.session() as session, pytest.raises(InvalidInput):
        enqueue(session, Count(), key="k" * 201)


def test_higher_priority_runs_first(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    wid = ws.workspace.id
    with kz.session() as session:
        low = enqueue(session, Count(customer="low"), workspace_id=wid)
        high = enqueue(session, Count(customer="high"), workspace_id=wid, priority=10)
    order: list[int] = []
    worker = Worker(kz, "w-prio", kinds=TEST_KINDS, on_outcome=lambda o: order.append(o.job_id))
    worker.run_burst()
    assert order[:2] == [high.id, low.id]


def test_registry_finds_handlers_and_refuses_a_rival(kz: Kizuna) -> None:
    assert get_handler(COUNT_KIND).run is count_run
    assert get_handler(COUNT_KIND).payload is Count
    with pytest.raises(UnknownJobKind) as unknown:
        get_handler(Unknown.kind)
    assert "--import" in unknown.value.message_en

    class Rival(JobPayload):
        kind: ClassVar[str] = COUNT_KIND

    with pytest.raises(Conflict):

        @job_handler(Rival)
        def rival(kz: Kizuna, job: Job, payload: Rival) -> None:
            pass

    assert get_handler(COUNT_KIND).run is count_run
    # Every feature's handlers are found through the registry, without --import.
    assert get_handler("text.analyze").payload.__name__ == "AnalyzeFeedback"
    assert get_handler("event.deliver").payload.__name__ == "DeliverEvent"


def test_job_counts_by_state_per_workspace(kz: Kizuna, make_workspace) -> None:  # type: ignore[no-untyped-def]
    one, other = make_workspace(), make_workspace()
    with kz.session() as session:
        for _ in range(3):
            enqueue(session, Count(), workspace_id=one.workspace.id)
        enqueue(session, Fail(), workspace_id=other.workspace.id)
    with kz.session() as session:
        counts = job_counts(session, one.workspace.id)
        everywhere = job_counts(session)
    assert counts == {"queued": 3, "running": 0, "done": 0, "failed": 0, "dead": 0}
    assert everywhere["queued"] >= 4
