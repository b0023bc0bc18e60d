"""Helpers of the topics room's tests: voices recorded through the real write path, the
jobs run as the worker runs them (scoped to one workspace), and counting as the explorer."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select, update

# The handlers these tests run, imported here so `get_handler` never imports every feature.
import kizuna.jobs.events
import kizuna.text.service
import kizuna.topics.jobs  # noqa: F401
from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.feedback.explorer import VoiceFilter, search_voices
from kizuna.feedback.models import FeedbackAnalysis
from kizuna.feedback.service import record_voice
from kizuna.jobs.models import Job
from kizuna.jobs.queue import get_handler

__all__ = [
    "KINDS",
    "build_web_app",
    "csrf_from",
    "explorer_count",
    "explorer_topics",
    "live_server",
    "log_in",
    "record_voices",
    "run_jobs",
]

KINDS = ("event.deliver", "topics.relabel", "topics.discover")


def record_voices(kz: Kizuna, workspace: Workspace, texts: Sequence[str], day: str = "") -> None:
    """Record the voices as the API does and run their delivery: the engine analyses them."""
    received = day or utcnow().date().isoformat()
    with kz.session() as session:
        ws = session.merge(workspace)
        start = session.scalar(select(func.count()).where(FeedbackAnalysis.workspace_id == ws.id))
        for n, text in enumerate(texts):
            record_voice(
                session,
                ws,
                {
                    "external_id": f"v{start}-{n}-{time.monotonic_ns()}",
                    "received_at": f"{received}T10:00:00+09:00",
                    "channel": "web",
                    "text": text,
                },
                source="review",
            )
    run_jobs(kz, workspace.id)


def run_jobs(app: Kizuna, workspace_id: int, kinds: tuple[str, ...] = KINDS) -> int:
    """Run this workspace's jobs of `kinds` until none is left (a failure fails the test)."""
    ran = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with app.session() as session:
            job = session.scalars(
                select(Job)
                .where(
                    Job.workspace_id == workspace_id,
                    Job.kind.in_(kinds),
                    Job.state == "queued",
                )
                .order_by(Job.priority.desc(), Job.id)
                .limit(1)
            ).first()
            if job is None:
                return ran
            job.state = "running"
            job.attempts += 1
            session.flush()
            session.expunge(job)
        spec = get_handler(job.kind)
        spec.run(app, job, spec.parse(job))
        with app.session() as session:
            session.execute(
                update(Job).where(Job.id == job.id).values(state="done", finished_at=utcnow())
            )
        ran += 1
    raise AssertionError(f"{kinds} jobs still waiting")


def explorer_voices(kz: Kizuna, workspace: Workspace, **wanted: Any) -> list[Any]:
    """Every voice the explorer finds for the filter, page after page."""
    found: list[Any] = []
    cursor = None
    with kz.session() as session:
        while True:
            page = search_voices(
                session, workspace, VoiceFilter(**wanted), limit=200, cursor=cursor
            )
            found += page.voices
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor


def explorer_count(kz: Kizuna, workspace: Workspace, **wanted: Any) -> int:
    return len(explorer_voices(kz, workspace, **wanted))


def explorer_topics(kz: Kizuna, workspace: Workspace) -> dict[str, list[str]]:
    """Text -> topic keys, as the explorer shows each voice."""
    return {v.text: [t["topic"] for t in v.topics] for v in explorer_voices(kz, workspace)}


def build_web_app(kz: Kizuna) -> Any:
    """The web app over the test database, the embedded job worker off."""
    from kizuna.web import create_app

    settings = kz.settings.model_copy(update={"embedded_worker": False})
    return create_app(Kizuna(settings, engine=kz.engine))


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: Any, email: str, password: str) -> None:
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Uvicorn serving `app` on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
