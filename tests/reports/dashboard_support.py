"""A small analysed demo workspace for the dashboard's tests (the same builder as `kizuna demo`)."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.demo.build import build_demo
from kizuna.text.service import reanalyze_workspace
from kizuna.web import create_app

# The demo's voices run from 2025-05-01 to 2026-10-31.
START = dt.date(2026, 1, 1)
END = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class Demo:
    slug: str
    workspace: Workspace
    email: str
    password: str
    api_key: str


def build_analysed_demo(kz: Kizuna, prefix: str = "dash") -> Demo:
    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    summary = build_demo(kz, slug=slug, seed=3, customers=300, interactions=3000, feedback=1500)
    with kz.session() as session:
        workspace = kz.workspace(session, slug)
    reanalyze_workspace(kz, workspace)
    return Demo(slug, workspace, summary.admin_email, summary.password, summary.api_key)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_app(kz: Kizuna) -> FastAPI:
    """The app over the test database, the job worker off."""
    settings = kz.settings.model_copy(update={"embedded_worker": False})
    return create_app(Kizuna(settings, engine=kz.engine))


def csrf_from(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str) -> None:
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Uvicorn serving `app` on a free loopback port, in a thread; yields its base URL."""
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
