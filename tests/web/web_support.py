"""Helpers for the web tests: an app without the embedded worker, a live server for the
browser tests, logins and feedback rows."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from kizuna import Kizuna
from kizuna.feedback.models import Feedback
from kizuna.web import create_app

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def build_web_app(kz: Kizuna, **overrides: Any) -> FastAPI:
    """The app over the test database; the job worker stays off unless asked for."""
    settings = kz.settings.model_copy(update={"embedded_worker": False, **overrides})
    return create_app(Kizuna(settings, engine=kz.engine))


@contextmanager
def live_server(app: FastAPI, **options: Any) -> Iterator[str]:
    """Uvicorn serving `app` on a free loopback port, in a thread; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    server = uvicorn.Server(config)
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


def csrf_from(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str) -> None:
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def insert_feedback(
    kz: Kizuna,
    workspace_id: int,
    scores: Sequence[tuple[dt.date, str, int | None]],
    source: str = "survey",
) -> None:
    """Feedback rows (day, channel, nps) straight into the table, as imports would leave them."""
    rows = [
        {
            "workspace_id": workspace_id,
            "source": source,
            "external_id": uuid.uuid4().hex,
            "channel": channel,
            "received_at": dt.datetime(day.year, day.month, day.day, 3, tzinfo=dt.UTC),
            "received_on": day,
            "nps": nps,
            "csat": None if nps is None else min(5, 1 + nps // 2),
            "ces": None if nps is None else min(7, 1 + nps * 6 // 10),
            "properties": {},
        }
        for day, channel, nps in scores
    ]
    with kz.session() as session:
        session.execute(insert(Feedback), rows)


def recent_day(months_ago: int = 0, day: int = 10) -> dt.date:
    """A day `months_ago` whole months before this month, so it is inside the home window."""
    today = dt.date.today()
    index = today.year * 12 + today.month - 1 - months_ago
    return dt.date(index // 12, index % 12 + 1, min(day, today.day if months_ago == 0 else day))
