"""Helpers of the surveys room's tests: a live survey with customers, answering through the
real HTTP app, and running this workspace's jobs as the worker would."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

import kizuna.jobs.events
import kizuna.mail.delivery
import kizuna.surveys.jobs
import kizuna.text.service  # noqa: F401
from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.service import upsert_customer
from kizuna.db.base import utcnow
from kizuna.jobs.models import Job
from kizuna.jobs.queue import effective_max_attempts, get_handler
from kizuna.surveys.service import create_survey, publish_survey, update_policy
from kizuna.web import create_app

SURVEY_KINDS = (
    "event.deliver",
    "text.analyze",
    "mail.deliver",
    "surveys.send_invitation",
    "surveys.invite",
)
RK = re.compile(r'name="rk" value="([^"]+)"')


@dataclass
class SurveyWorld:
    kz: Kizuna
    workspace: Workspace
    slug: str
    survey_id: int
    key: str
    customers: dict[str, int] = field(default_factory=dict)  # name -> id
    emails: dict[str, str] = field(default_factory=dict)
    admin_email: str = ""
    password: str = ""
    api_key: str = ""


def add_customer(
    kz: Kizuna, workspace: Workspace, name: str, *, consent: bool = True, email: str | None = None
) -> tuple[int, str]:
    address = email or f"{name}-{uuid.uuid4().hex[:8]}@example.jp"
    with kz.session() as session:
        written = upsert_customer(
            session,
            session.merge(workspace),
            {
                "external_id": f"C-{name}-{uuid.uuid4().hex[:6]}",
                "name": name,
                "email": address,
                "consent_email": "yes" if consent else "no",
            },
        )
    return written.id, address


def make_world(kz: Kizuna, handle: Any, template: str = "relationship_nps") -> SurveyWorld:
    with kz.session() as session:
        workspace = session.merge(handle.workspace)
        survey = create_survey(session, workspace, template=template)
        publish_survey(session, workspace, survey.id)
        # Tests run at any hour: no quiet hours unless a test sets them.
        update_policy(
            session, workspace, quiet_start="00:00", quiet_end="00:00", rate_limit_per_minute=0
        )
        survey_id, key = survey.id, survey.key
    world = SurveyWorld(
        kz,
        handle.workspace,
        handle.slug,
        survey_id,
        key,
        admin_email=handle.admin_email,
        password=handle.password,
        api_key=handle.api_key,
    )
    for name in ("hanako", "taro", "jiro"):
        world.customers[name], world.emails[name] = add_customer(kz, handle.workspace, name)
    return world


def web_client(kz: Kizuna, **settings: Any) -> TestClient:
    values = {"embedded_worker": False, **settings}
    app = create_app(Kizuna(kz.settings.model_copy(update=values), engine=kz.engine))
    return TestClient(app)


def response_key(html: str) -> str:
    found = RK.search(html)
    assert found, "the answering page has no response key"
    return found.group(1)


def run_jobs(
    app: Kizuna,
    workspace_id: int,
    kinds: tuple[str, ...] = SURVEY_KINDS,
    *,
    now: dt.datetime | None = None,
    timeout: float = 60.0,
    max_runs: int | None = None,
) -> int:
    """Run this workspace's ready jobs of `kinds` as the worker would, until none is left.

    Scoped to one workspace: the suite shares one database, and other rooms' work is
    theirs to run. `now` lets a test run jobs delayed until then (a trigger's delay)."""
    deadline = time.monotonic() + timeout
    ran = 0
    while time.monotonic() < deadline:
        if max_runs is not None and ran >= max_runs:
            return ran
        moment = max(now or utcnow(), utcnow())
        with app.session() as session:
            ready = session.scalars(
                select(Job.id)
                .where(
                    Job.workspace_id == workspace_id,
                    Job.kind.in_(kinds),
                    Job.state.in_(("queued", "failed")),
                    Job.run_after <= moment,
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
                        locked_by="surveys-test",
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
                        Job.run_after <= moment + dt.timedelta(seconds=1),  # a retry's backoff
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
