"""Helpers of the topics room's tests: voices recorded through the real write path, the
jobs run as the worker runs them (scoped to one workspace), and counting as the explorer."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))  # web_support

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from web_support import build_web_app, csrf_from, live_server, log_in

# The handlers these tests run, imported here so `get_handler` never imports every feature.
import kizuna.jobs.events
import kizuna.text.service
import kizuna.topics.jobs  # noqa: F401
from job_runner import run_workspace_jobs
from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.feedback.explorer import VoiceFilter, search_voices
from kizuna.feedback.models import FeedbackAnalysis
from kizuna.feedback.service import record_voice

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
    return run_workspace_jobs(
        app, workspace_id, kinds, timeout=120, locked_by="topics-test", fail_fast=True
    )


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
