"""Test-only job handlers, importable by `kizuna worker --import tests.jobs.jobs_handlers_fixture`.

`jobs-test.count` writes one audit row per run (actor `job:<id>`), so a test can tell how
many times each job ran; `jobs-test.fail` always fails; `jobs-test.interrupt` acts as if
the person pressed Ctrl+C mid-job; `jobs-test.overtaken` acts as if its lease ran out
and another worker took the job while it ran.
"""

from __future__ import annotations

import time
from typing import ClassVar

from sqlalchemy import update

from kizuna.accounts.models import AuditEvent
from kizuna.app import Kizuna
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, job_handler

COUNT_KIND = "jobs-test.count"
FAIL_KIND = "jobs-test.fail"
INTERRUPT_KIND = "jobs-test.interrupt"
OVERTAKEN_KIND = "jobs-test.overtaken"
UNKNOWN_KIND = "jobs-test.nobody-handles-this"
TEST_KINDS = (COUNT_KIND, FAIL_KIND, INTERRUPT_KIND, OVERTAKEN_KIND, UNKNOWN_KIND)


class Count(JobPayload):
    kind: ClassVar[str] = COUNT_KIND
    sleep: float = 0.0
    customer: str = ""


class Fail(JobPayload):
    kind: ClassVar[str] = FAIL_KIND
    customer: str = ""


class Interrupt(JobPayload):
    kind: ClassVar[str] = INTERRUPT_KIND
    customer: str = ""


class Overtaken(JobPayload):
    kind: ClassVar[str] = OVERTAKEN_KIND
    customer: str = ""


class Unknown(JobPayload):
    """A kind no handler is registered for."""

    kind: ClassVar[str] = UNKNOWN_KIND
    customer: str = ""


PAYLOADS: dict[str, type[JobPayload]] = {
    p.kind: p for p in (Count, Fail, Interrupt, Overtaken, Unknown)
}


@job_handler(Count)
def count_run(kz: Kizuna, job: Job, payload: Count) -> None:
    time.sleep(payload.sleep)
    with kz.session() as session:
        session.add(
            AuditEvent(
                workspace_id=job.workspace_id,
                actor=f"job:{job.id}",
                action=COUNT_KIND,
                details={"attempt": job.attempts},
            )
        )


@job_handler(Fail)
def fail_always(kz: Kizuna, job: Job, payload: Fail) -> None:
    raise ValueError(f"cannot reach the mail server (attempt {job.attempts})")


@job_handler(Interrupt)
def interrupt(kz: Kizuna, job: Job, payload: Interrupt) -> None:
    raise KeyboardInterrupt


@job_handler(Overtaken)
def overtaken(kz: Kizuna, job: Job, payload: Overtaken) -> None:
    with kz.session() as session:
        session.execute(update(Job).where(Job.id == job.id).values(locked_by="other-worker"))
