"""Data for the journeys tests: a small hand-made workspace whose journey is known by heart,
and the demo at test size (analysed and scored), as `kizuna demo` builds it."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer, Interaction
from kizuna.feedback.models import Feedback, FeedbackAnalysis

__all__ = [
    "SMALL",
    "Demo",
    "build_demo_workspace",
    "build_web_app",
    "csrf_from",
    "detached",
    "fill_small_workspace",
    "live_server",
    "logged_in",
]

DAY = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)

# customer -> [(day, channel, kind, touchpoint, direct)], in the order they happened.
SMALL: dict[str, list[tuple[int, str, str, str, bool]]] = {
    # through the whole funnel, one support call
    "k1": [
        (0, "sns", "ad_view", "SNS広告", False),
        (2, "web", "visit", "商品ページ", True),
        (3, "web", "purchase", "注文", True),
        (6, "web", "delivery", "配送", True),
        (7, "call_center", "support_ticket", "コールセンター", True),
        (20, "review_site", "review_post", "口コミサイト", True),
    ],
    # saw an ad, looked, bought; never posted
    "k2": [
        (1, "sns", "ad_view", "SNS広告", False),
        (4, "web", "visit", "商品ページ", True),
        (8, "store", "purchase", "レジ", True),
    ],
    # looked first, saw the ad later: "consideration" only counts after "awareness"
    "k3": [
        (0, "web", "visit", "商品ページ", True),
        (5, "email", "email_open", "メールマガジン", True),
    ],
    # only the ad
    "k4": [(2, "web", "ad_view", "ディスプレイ広告", False)],
}
# customer -> [(day, touchpoint, interaction index or None, source, nps, sentiment score)]
VOICES: dict[str, list[tuple[int, str, int | None, str, int | None, float]]] = {
    "k1": [
        (6, "配送", 3, "survey", 9, 0.6),
        (7, "コールセンター", 4, "ticket", None, -0.8),
    ],
    "k2": [(8, "レジ", 2, "survey", 4, -0.4)],
    "k3": [(6, "メールマガジン", None, "sns", None, 0.2)],
}


def _label(score: float) -> str:
    return "positive" if score > 0.1 else ("negative" if score < -0.1 else "neutral")


def fill_small_workspace(kz: Kizuna, workspace: Workspace) -> dict[str, int]:
    """Store SMALL and VOICES; returns customer external id -> customer id."""
    ids: dict[str, int] = {}
    with kz.session() as session:
        for ref, events in SMALL.items():
            customer = Customer(
                workspace_id=workspace.id, source="crm", external_id=ref, age_band="30s"
            )
            session.add(customer)
            session.flush()
            ids[ref] = customer.id
            made = []
            for i, (day, channel, kind, touchpoint, direct) in enumerate(events):
                at = DAY + dt.timedelta(days=day, hours=i)
                row = Interaction(
                    workspace_id=workspace.id,
                    source="test",
                    external_id=f"{ref}-{i}",
                    customer_id=customer.id,
                    occurred_at=at,
                    occurred_on=at.date(),
                    channel=channel,
                    touchpoint=touchpoint,
                    kind=kind,
                    direct=direct,
                    properties={"campaign": "spring"} if kind == "ad_view" else {},
                )
                session.add(row)
                made.append(row)
            session.flush()
            for j, (day, touchpoint, index, source, nps, score) in enumerate(VOICES.get(ref, [])):
                at = DAY + dt.timedelta(days=day, hours=12)
                voice = Feedback(
                    workspace_id=workspace.id,
                    source=source,
                    external_id=f"{ref}-v{j}",
                    channel="web",
                    touchpoint=touchpoint,
                    customer_id=customer.id,
                    interaction_id=None if index is None else made[index].id,
                    received_at=at,
                    received_on=at.date(),
                    text=f"{touchpoint}についての声 {ref}-{j}",
                    nps=nps,
                    properties={},
                )
                session.add(voice)
                session.flush()
                session.add(
                    FeedbackAnalysis(
                        workspace_id=workspace.id,
                        feedback_id=voice.id,
                        engine_version="test",
                        sentiment=_label(score),
                        sentiment_score=score,
                        delight=0.5 if score > 0.5 else 0.0,
                        emotions={"joy": max(0.0, score)},
                        topics=[{"topic": "delivery", "sentiment": _label(score), "score": score}],
                        experience_values=["feel"] if score > 0 else [],
                    )
                )
    return ids


@dataclass
class Demo:
    workspace: Workspace
    slug: str
    api_key: str
    admin_email: str
    password: str


def build_demo_workspace(kz: Kizuna, seed: int, customers: int = 200) -> Demo:
    """The demo at test size, its comments analysed and every customer scored."""
    from kizuna.customers.scores import score_customers
    from kizuna.demo import build_demo
    from kizuna.text.service import reanalyze_workspace

    slug = f"jr-{uuid.uuid4().hex[:8]}"
    summary = build_demo(
        kz, slug=slug, seed=seed, customers=customers, interactions=customers * 10, feedback=500
    )
    assert summary.api_key is not None
    with kz.session() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.slug == slug)).one()
        session.expunge(workspace)
    reanalyze_workspace(kz, workspace)
    score_customers(kz, workspace)
    return Demo(workspace, slug, summary.api_key, summary.admin_email, summary.password)


def detached(kz: Kizuna, workspace_id: int) -> Any:
    with kz.session() as session:
        found = session.get(Workspace, workspace_id)
        session.expunge(found)
    return found


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def build_web_app(kz: Kizuna) -> Any:
    """The web app over the test database, the embedded job worker off."""
    from kizuna.web import create_app

    settings = kz.settings.model_copy(update={"embedded_worker": False})
    return create_app(Kizuna(settings, engine=kz.engine))


def csrf_from(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def logged_in(app: Any, email: str, password: str, language: str = "ja") -> Any:
    """A TestClient logged in as `email`, pages in `language`."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    fresh = csrf_from(client.get("/").text)  # the token changes at login
    client.post("/lang", data={"lang": language, "next": "/", "csrf_token": fresh})
    return client


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Uvicorn serving `app` on a free loopback port, in a thread; yields its base URL."""
    import socket
    import threading
    import time

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
