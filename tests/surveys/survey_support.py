"""Helpers of the surveys room's tests: a live survey with customers, answering through the
real HTTP app, and running this workspace's jobs as the worker would."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

import kizuna.jobs.events
import kizuna.mail.delivery
import kizuna.surveys.jobs
import kizuna.text.service  # noqa: F401
from job_runner import run_workspace_jobs
from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.service import upsert_customer
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
    """Run this workspace's ready survey jobs as the worker would, until none is left.

    `now` lets a test run jobs delayed until then (a trigger's delay)."""
    return run_workspace_jobs(
        app, workspace_id, kinds, now=now, timeout=timeout, max_runs=max_runs,
        locked_by="surveys-test",
    )  # fmt: skip
