"""Domain events: written with the data, delivered to every subscriber once.

A feature that writes (record a voice, merge customers, score them) raises a typed event
in the same transaction as its data:

    raise_event(session, VoicesRecorded(workspace_id=ws.id, feedback_ids=ids), key=...)

`raise_event` stores a `domain_event` row and queues one `event.deliver` job per
subscriber that the feature registry lists for the event's kind (`Feature.subscriptions`).
Both commit or roll back with the data (the outbox pattern), so a crash between the commit
and the delivery loses nothing: the jobs are already in the table.

Delivery runs the subscriber `handler(kz, session, event)` inside one transaction that
also records the `event_delivery` row (event, subscriber). A delivery that was already
recorded is skipped, so a job run twice (the worker delivers at least once) has its
effect once; a subscriber's writes and its delivery record commit together or not at all.
A `key` makes raising idempotent: an event already raised under the same kind and key is
not raised again (a re-sent voice that changed nothing raises nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.errors import NotFound
from kizuna.jobs.models import DomainEvent, EventDelivery, Job
from kizuna.jobs.queue import JobPayload, KeyedJob, enqueue_keyed, job_handler
from kizuna.registry import load_object

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = ["DeliverEvent", "Event", "event_type", "raise_event"]

_types: dict[str, type[Event]] = {}
_EVENT = cast(Table, DomainEvent.__table__)
_INSERT_EVENT = insert(_EVENT).returning(_EVENT.c.id)


class Event(BaseModel):
    """A typed domain event about one workspace; subclasses set `kind` and their fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]
    workspace_id: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if isinstance(kind, str):
            _types[kind] = cls


def event_type(kind: str) -> type[Event]:
    """The event class of a kind (its module must have been imported)."""
    try:
        return _types[kind]
    except KeyError:
        raise NotFound(
            f"No event type '{kind}' is loaded; import the module that defines it.",
            f"イベント種別「{kind}」が読み込まれていません。定義しているモジュールを読み込んでください。",
            kind=kind,
        ) from None


class DeliverEvent(JobPayload):
    """Run one subscriber for one event."""

    kind: ClassVar[str] = "event.deliver"
    event_id: int
    subscriber: str


def raise_event(
    session: Session | Connection, event: Event, *, key: str | None = None, priority: int = 0
) -> int | None:
    """Store the event and queue its deliveries in the caller's transaction.

    Returns the event's id, or None when an event of this kind and key was raised before.
    Core statements on the session's connection (no ORM objects): one INSERT of the event
    and one multi-row INSERT of its deliveries, whatever the payload's size.
    """
    from kizuna.features import subscriptions

    if isinstance(session, Session):
        session.flush()  # what the caller added first is written first, as autoflush did
        conn = session.connection()
    else:
        conn = session
    if key is not None:
        known = conn.scalar(
            select(_EVENT.c.id).where(
                _EVENT.c.workspace_id == event.workspace_id,
                _EVENT.c.kind == event.kind,
                _EVENT.c.key == key,
            )
        )
        if known is not None:
            return None
    values = {
        "workspace_id": event.workspace_id,
        "kind": event.kind,
        "key": key,
        "payload": event.model_dump(mode="json", exclude={"workspace_id"}),
        "occurred_at": utcnow(),
    }
    event_id = conn.execute(_INSERT_EVENT, values).scalar_one()
    # One multi-row INSERT for every subscriber's delivery (keys are new: the event is).
    enqueue_keyed(
        conn,
        [
            KeyedJob(
                DeliverEvent(event_id=event_id, subscriber=subscription.name),
                key=f"event:{event_id}:{subscription.name}",
                workspace_id=event.workspace_id,
                priority=priority,
            )
            for subscription in subscriptions(event.kind)
        ],
    )
    return int(event_id)


@job_handler(DeliverEvent)
def deliver_event(kz: Kizuna, job: Job, payload: DeliverEvent) -> None:
    """Run the subscriber and record the delivery in one transaction; once per subscriber."""
    from kizuna.features import subscriptions

    found = [s for s in subscriptions() if s.name == payload.subscriber]
    if not found:
        raise NotFound(
            f"No subscriber named '{payload.subscriber}' is registered; it was removed or "
            "renamed. Retry the job after restoring it, or leave it dead.",
            f"購読者「{payload.subscriber}」が登録されていません。削除または改名されたようです。",
            subscriber=payload.subscriber,
        )
    handler = load_object(found[0].handler)
    with kz.session() as session:
        stored = session.get(DomainEvent, payload.event_id)
        if stored is None:  # its workspace was deleted meanwhile: nothing to do
            return
        done = session.scalar(
            select(EventDelivery.id).where(
                EventDelivery.event_id == payload.event_id,
                EventDelivery.subscriber == payload.subscriber,
            )
        )
        if done is not None:
            return
        event = event_type(stored.kind).model_validate(
            {**stored.payload, "workspace_id": stored.workspace_id}
        )
        handler(kz, session, event)
        session.add(
            EventDelivery(
                workspace_id=stored.workspace_id,
                event_id=stored.id,
                subscriber=payload.subscriber,
            )
        )
