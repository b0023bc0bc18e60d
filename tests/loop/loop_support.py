"""Helpers of the loop room's tests: people, departments, voices recorded and analysed
through the real write path, and running the loop's jobs with a tiny backoff."""

from __future__ import annotations

import uuid
from typing import Any

# The handlers these tests run, imported here so `get_handler` never has to import every
# feature's job modules (another room's may be mid-change).
import kizuna.jobs.events
import kizuna.loop.jobs
import kizuna.mail.delivery
import kizuna.text.service  # noqa: F401
from job_runner import run_workspace_jobs
from kizuna import Kizuna
from kizuna.accounts.models import User, Workspace
from kizuna.accounts.service import add_member, create_user
from kizuna.feedback.service import record_voice

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
    """Run this workspace's loop jobs as the worker would, until none is left; how many ran."""
    return run_workspace_jobs(app, workspace_id, kinds, timeout=timeout, locked_by="loop-test")


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
