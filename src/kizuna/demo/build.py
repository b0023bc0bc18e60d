"""Build the demo workspace into the configured database: `build_demo(kz, ...)`.

Generation is pure Python on seeded random streams (one per part, so changing one part
never shifts another); writing uses SQLAlchemy Core bulk inserts of plain dicts in chunks,
all in one transaction, so a failed build leaves nothing behind. Other rooms' tests call
`build_demo` with small sizes and their own slug.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.accounts.service import init_workspace, record_audit
from kizuna.app import Kizuna
from kizuna.customers.models import Customer, Identity, Interaction
from kizuna.db.base import utcnow
from kizuna.demo.activity import Event, generate_activity
from kizuna.demo.people import Person, generate_people, identity_rows
from kizuna.demo.timeline import day_of, utc_moment
from kizuna.demo.voices import Voice, generate_employee_voices, generate_voices
from kizuna.errors import InvalidInput
from kizuna.feedback.models import Feedback, FeedbackAnalysis

__all__ = [
    "DEMO_EMAIL",
    "DEMO_NAME",
    "DEMO_PASSWORD",
    "DEMO_SLUG",
    "DemoSummary",
    "ProgressFn",
    "build_demo",
]

DEMO_SLUG = "demo"
DEMO_NAME = "絆ホテル&ストア (デモ)"
DEMO_EMAIL = "demo@kizuna.example"
DEMO_PASSWORD = "kizuna-demo"  # documented on purpose: the demo holds no real data
CHUNK = 5000

# progress(stage, done, total): stages are "generate", "customers", "interactions", "feedback".
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    """What `build_demo` found or made. `api_key` is None when the workspace already existed."""

    slug: str
    workspace_id: int
    built: bool
    customers: int
    identities: int
    interactions: int
    feedback: int
    employee_answers: int
    admin_email: str
    password: str
    api_key: str | None
    seconds: float


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _hash(row: dict[str, Any]) -> str:
    """A stable 32-hex digest of a row's content (ids and timestamps of writing left out)."""
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _insert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    stage: str,
    progress: ProgressFn | None,
) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), list(rows[start : start + CHUNK]))
        if progress is not None:
            progress(stage, min(start + CHUNK, len(rows)), len(rows))
    if not rows and progress is not None:
        progress(stage, 0, 0)


def _ids(conn: Connection, table: Table, workspace_id: int) -> dict[tuple[str, str], int]:
    query = select(table.c.source, table.c.external_id, table.c.id).where(
        table.c.workspace_id == workspace_id
    )
    return {(source, ext): id_ for source, ext, id_ in conn.execute(query)}


def _check_sizes(customers: int, interactions: int, feedback: int) -> None:
    if min(customers, interactions, feedback) < 0 or (customers == 0 and interactions > 0):
        raise InvalidInput(
            "Demo sizes must be zero or more, and interactions need at least one customer.",
            "デモの件数は0以上にしてください。インタラクションを作るには顧客が1人以上必要です。",
            customers=customers,
            interactions=interactions,
            feedback=feedback,
        )


def _delete_workspace(session: Session, workspace: Workspace) -> None:
    """Delete the workspace and every row it owns (children first: SQLite checks each
    foreign key row by row, and feedback.interaction_id has no index)."""
    conn = session.connection()
    for model in (FeedbackAnalysis, Feedback, Interaction, Identity, Customer):
        conn.execute(delete(model).where(model.workspace_id == workspace.id))
    session.delete(workspace)  # the database cascades to the rest (memberships, keys, ...)
    session.flush()


def _count(session: Session, model: Any, workspace_id: int, *where: Any) -> int:
    query = select(func.count()).select_from(model).where(model.workspace_id == workspace_id)
    return int(session.scalar(query.where(*where)) or 0)


def _existing_summary(session: Session, workspace: Workspace, started: float) -> DemoSummary:
    employee = Feedback.source == "employee"
    return DemoSummary(
        slug=workspace.slug,
        workspace_id=workspace.id,
        built=False,
        customers=_count(session, Customer, workspace.id),
        identities=_count(session, Identity, workspace.id),
        interactions=_count(session, Interaction, workspace.id),
        feedback=_count(session, Feedback, workspace.id, ~employee),
        employee_answers=_count(session, Feedback, workspace.id, employee),
        admin_email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        api_key=None,
        seconds=time.perf_counter() - started,
    )


def _customer_rows(
    people: list[Person], workspace_id: int, now: dt.datetime
) -> list[dict[str, Any]]:
    rows = []
    for person in people:
        row = person.row()
        row["content_hash"] = _hash(row)
        rows.append({**row, "workspace_id": workspace_id, "created_at": now, "updated_at": now})
    return rows


def _identity_rows(
    people: list[Person], customer_ids: list[int], workspace_id: int, now: dt.datetime
) -> list[dict[str, Any]]:
    return [
        {
            "workspace_id": workspace_id,
            "customer_id": customer_id,
            "kind": kind,
            "value_normalized": value,
            "source": person.source,
            "created_at": now,
        }
        for person, customer_id in zip(people, customer_ids, strict=True)
        for kind, value in identity_rows(person)
    ]


def _interaction_rows(
    events: Iterable[Event],
    people: list[Person],
    customer_ids: list[int],
    workspace_id: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    rows = []
    for e in events:
        row: dict[str, Any] = {
            "source": e.source,
            "external_id": e.external_id,
            "customer_ref": people[e.person].external_id,
            "occurred_at": utc_moment(e.day),
            "occurred_on": day_of(e.day),
            "channel": e.channel,
            "touchpoint": e.touchpoint,
            "kind": e.kind,
            "direct": e.direct,
            "amount": e.amount,
            "properties": e.properties,
        }
        row["content_hash"] = _hash(row)
        row.update(
            workspace_id=workspace_id,
            customer_id=customer_ids[e.person],
            created_at=now,
        )
        rows.append(row)
    return rows


def _feedback_rows(
    voices: Iterable[Voice],
    people: list[Person],
    customer_ids: list[int],
    interaction_ids: list[int],
    workspace_id: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    rows = []
    for v in voices:
        row: dict[str, Any] = {
            "source": v.source,
            "external_id": v.external_id,
            "channel": v.channel,
            "touchpoint": v.touchpoint,
            "customer_ref": people[v.person].external_id
            if v.person is not None
            else v.customer_ref,
            "received_at": utc_moment(v.day),
            "received_on": day_of(v.day),
            "text": v.text,
            "language": v.language,
            "nps": v.nps,
            "csat": v.csat,
            "ces": v.ces,
            "rating": v.rating,
            "properties": v.properties,
        }
        row["content_hash"] = _hash(row)
        row.update(
            workspace_id=workspace_id,
            customer_id=customer_ids[v.person] if v.person is not None else None,
            interaction_id=interaction_ids[v.event] if v.event is not None else None,
            created_at=now,
        )
        rows.append(row)
    return rows


def build_demo(
    kz: Kizuna,
    *,
    seed: int = 7,
    slug: str = DEMO_SLUG,
    customers: int = 5000,
    interactions: int = 100_000,
    feedback: int = 20_000,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    employee_answers: int | None = None,
) -> DemoSummary:
    """Build the demo workspace `slug` (migrations must have run: `kz.upgrade_db()`).

    Skips when the workspace exists, unless `rebuild`, which deletes it and its rows
    first. `feedback` counts customers' voices; the employees' eNPS answers come on top
    (`employee_answers`, by default 1.5% of `feedback`, so 300 for the default size).
    The same seed and sizes give the same rows on every engine.
    """
    _check_sizes(customers, interactions, feedback)
    started = time.perf_counter()
    employees = round(feedback * 0.015) if employee_answers is None else employee_answers
    with kz.session() as session:
        existing = session.scalar(select(Workspace).where(Workspace.slug == slug))
        if existing is not None and not rebuild:
            return _existing_summary(session, existing, started)
        if existing is not None:
            _delete_workspace(session, existing)

        def step(done: int) -> None:
            if progress is not None:
                progress("generate", done, 3)

        step(0)
        people = generate_people(random.Random(f"{seed}:people"), customers)
        step(1)
        events = generate_activity(random.Random(f"{seed}:activity"), people, interactions)
        step(2)
        voices = generate_voices(random.Random(f"{seed}:voices"), people, events, feedback)
        voices += generate_employee_voices(random.Random(f"{seed}:employees"), employees)
        step(3)

        made = init_workspace(
            session, slug, DEMO_EMAIL, password=DEMO_PASSWORD, name=DEMO_NAME, timezone="Asia/Tokyo"
        )
        ws_id, now, conn = made.workspace.id, utcnow(), session.connection()
        customer_table, interaction_table = _table(Customer), _table(Interaction)
        _insert(conn, customer_table, _customer_rows(people, ws_id, now), "customers", progress)
        by_key = _ids(conn, customer_table, ws_id)
        customer_ids = [by_key[(p.source, p.external_id)] for p in people]
        identities = _identity_rows(people, customer_ids, ws_id, now)
        _insert(conn, _table(Identity), identities, "customers", None)
        rows = _interaction_rows(events, people, customer_ids, ws_id, now)
        _insert(conn, interaction_table, rows, "interactions", progress)
        by_key = _ids(conn, interaction_table, ws_id)
        interaction_ids = [by_key[(e.source, e.external_id)] for e in events]
        rows = _feedback_rows(voices, people, customer_ids, interaction_ids, ws_id, now)
        _insert(conn, _table(Feedback), rows, "feedback", progress)
        record_audit(
            session,
            made.workspace,
            actor="system:demo",
            action="demo.build",
            seed=seed,
            customers=customers,
            interactions=interactions,
            feedback=feedback,
        )
        summary = DemoSummary(
            slug=slug,
            workspace_id=ws_id,
            built=True,
            customers=len(people),
            identities=len(identities),
            interactions=len(events),
            feedback=len(voices) - employees,
            employee_answers=employees,
            admin_email=DEMO_EMAIL,
            password=made.password,
            api_key=made.api_key,
            seconds=0.0,
        )
    return replace(summary, seconds=time.perf_counter() - started)  # committed by now
