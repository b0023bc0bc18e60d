"""Helpers of the loop room's tests: people, departments, voices recorded and analysed
through the real write path, and running the loop's jobs with a tiny backoff."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from sqlalchemy import func, select, update

# The handlers these tests run, imported here so `get_handler` never has to import every
# feature's job modules (another room's may be mid-change).
import kizuna.jobs.events
import kizuna.loop.jobs
import kizuna.mail.delivery
import kizuna.text.service  # noqa: F401
from kizuna import Kizuna
from kizuna.accounts.models import User, Workspace
from kizuna.accounts.service import add_member, create_user
from kizuna.db.base import utcnow
from kizuna.feedback.service import record_voice
from kizuna.jobs.models import Job
from kizuna.jobs.queue import effective_max_attempts, get_handler

LOOP_KINDS = (
    "event.deliver",
    "mail.deliver",
    "loop.webhook",
    "loop.notify_contributors",
    "loop.sla_check",
    "loop.timed_rules",
    "loop.praise_digest",
)


def add_person(kz: Kizuna, workspace: Workspace, role: str, name: str = "") -> User:
    with kz.session() as session:
        user = create_user(
            session, f"{role}-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery", name
        )
        add_member(session, session.merge(workspace), user, role)
        return user


def record(
    kz: Kizuna, workspace: Workspace, external_id: str, *, source: str = "review", **fields: Any
) -> int:
    values = {
        "external_id": external_id,
        "received_at": "2026-11-30T10:00:00+09:00",
        "channel": "web",
    }
    values.update(fields)
    with kz.session() as session:
        return record_voice(session, session.merge(workspace), values, source=source).id


def run_jobs(
    app: Kizuna, workspace_id: int, kinds: tuple[str, ...] = LOOP_KINDS, timeout: float = 60.0
) -> int:
    """Run this workspace's jobs of `kinds` as the worker would (claim, run, record, retry
    after a tiny backoff, dead after the last attempt) until none is left; how many ran.

    Scoped to one workspace: the suite shares one database, and other rooms' queued work
    (thousands of imported voices) is theirs to run.
    """
    deadline = time.monotonic() + timeout
    ran = 0
    while time.monotonic() < deadline:
        with app.session() as session:
            ready = session.scalars(
                select(Job.id)
                .where(
                    Job.workspace_id == workspace_id,
                    Job.kind.in_(kinds),
                    Job.state.in_(("queued", "failed")),
                    Job.run_after <= utcnow(),
                )
                .order_by(Job.priority.desc(), Job.id)
                .limit(1)
            ).first()
            if ready is not None:
                session.execute(
                    update(Job)
                    .where(Job.id == ready)
                    .values(
                        state="running",
                        attempts=Job.attempts + 1,
                        locked_by="loop-test",
                        locked_at=utcnow(),
                    )
                )
        if ready is None:
            with app.session() as session:
                waiting = session.scalar(
                    select(func.count()).where(
                        Job.workspace_id == workspace_id,
                        Job.kind.in_(kinds),
                        Job.state.in_(("queued", "failed", "running")),
                    )
                )
            if not waiting:
                return ran
            time.sleep(0.02)
            continue
        with app.session() as session:
            job = session.get_one(Job, ready)
            session.expunge(job)
        spec = get_handler(job.kind)
        limit = effective_max_attempts(job, app.settings.job_max_attempts)
        try:
            spec.run(app, job, spec.parse(job))
            values: dict[str, Any] = {"state": "done", "finished_at": utcnow()}
        except Exception as exc:
            values = {"last_error": f"{type(exc).__name__}: {exc}"[:2000]}
            if job.attempts >= limit:
                values.update(state="dead", finished_at=utcnow())
            else:
                values.update(state="failed", run_after=utcnow() + dt.timedelta(milliseconds=10))
        with app.session() as session:
            session.execute(update(Job).where(Job.id == job.id).values(**values))
        ran += 1
    raise AssertionError(f"{kinds} jobs still waiting after {timeout} s")


def web_app(kz: Kizuna, monkeypatch: Any) -> Any:
    """The web app over the test database, built from the features whose routers import.

    Other rooms' features may be mid-change (registered before their modules exist); they
    are left out here so the loop's pages can be tested meanwhile. With every feature in
    place this is exactly `create_app`.
    """
    import importlib

    import kizuna.features as registry
    import kizuna.web.app as web
    from kizuna.web import create_app

    def loads(feature: Any) -> bool:
        try:
            for target in (*feature.api, *feature.pages):
                importlib.import_module(target.partition(":")[0])
        except ImportError:
            return False
        return True

    working = tuple(f for f in registry.features() if loads(f))
    monkeypatch.setattr(registry, "features", lambda: working)
    monkeypatch.setattr(web, "features", lambda: working)
    settings = kz.settings.model_copy(update={"embedded_worker": False})
    return create_app(Kizuna(settings, engine=kz.engine))
