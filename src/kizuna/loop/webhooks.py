"""Webhooks: loop events POSTed to a workspace's endpoints, signed, retried, visible.

Each endpoint has a secret; each delivery's body is signed with HMAC-SHA256 over
`"<timestamp>.<body>"` and sent with the headers `X-Kizuna-Event`, `X-Kizuna-Delivery`,
`X-Kizuna-Timestamp` and `X-Kizuna-Signature: sha256=<hex>` (receivers recompute it and
refuse old timestamps). A delivery is a row (`loop_webhook_delivery`, keyed so one event
reaches one endpoint once) and a job (`loop.webhook`): an endpoint that is down or answers
an error is retried with the worker's exponential backoff and, after `MAX_ATTEMPTS`,
marked failed. The rule engine only queues deliveries: a slow or dead endpoint never
holds a voice up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput, NotFound
from kizuna.jobs.events import Event
from kizuna.jobs.models import Job
from kizuna.jobs.queue import JobPayload, enqueue, job_handler
from kizuna.loop.models import Webhook, WebhookDelivery
from kizuna.mail.models import insert_once

__all__ = [
    "MAX_ATTEMPTS",
    "WEBHOOK_EVENTS",
    "DeliverWebhook",
    "create_webhook",
    "deliver_webhook",
    "get_webhook",
    "list_deliveries",
    "list_webhooks",
    "on_event",
    "queue_delivery",
    "sign",
]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10.0
WEBHOOK_EVENTS = ("rule.matched", "case.opened", "case.changed", "improvement.shipped")


class DeliverWebhook(JobPayload):
    """POST one stored delivery to its endpoint."""

    kind: ClassVar[str] = "loop.webhook"
    delivery_id: int


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: sha256=HMAC(secret, "<timestamp>.<body>") in hex."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def create_webhook(
    session: Session,
    workspace: Workspace,
    name: str,
    url: str,
    events: Sequence[str] = ("rule.matched",),
    *,
    actor: str = "system",
) -> Webhook:
    """A new endpoint with a fresh secret (shown once, to set up the receiver); audited."""
    url = (url or "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise InvalidInput(
            "A webhook URL starts with https:// (or http:// on a trusted network).",
            "Webhook の URL は https://(信頼できるネットワークなら http://)で始めてください。",
        )
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown or not events:
        raise InvalidInput(
            f"Webhook events are some of {', '.join(WEBHOOK_EVENTS)} (got {list(events)}).",
            f"Webhook のイベントは {', '.join(WEBHOOK_EVENTS)} から選んでください。",
        )
    name = (name or "").strip() or url[:200]
    hook = Webhook(
        workspace_id=workspace.id,
        name=name[:200],
        url=url,
        secret=secrets.token_hex(32),
        events=list(dict.fromkeys(events)),
        active=True,
    )
    session.add(hook)
    session.flush()
    record_audit(session, workspace, actor, "webhook.create", f"webhook:{hook.id}")
    return hook


def get_webhook(session: Session, workspace: Workspace, webhook_id: int) -> Webhook:
    found = session.scalar(
        select(Webhook).where(Webhook.workspace_id == workspace.id, Webhook.id == webhook_id)
    )
    if found is None:
        raise NotFound(
            f"Webhook {webhook_id} does not exist in this workspace.",
            f"Webhook {webhook_id} はこのワークスペースにありません。",
            webhook_id=webhook_id,
        )
    return found


def list_webhooks(session: Session, workspace: Workspace) -> list[Webhook]:
    return list(
        session.scalars(
            select(Webhook).where(Webhook.workspace_id == workspace.id).order_by(Webhook.id)
        )
    )


def list_deliveries(
    session: Session, workspace: Workspace, webhook_id: int | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    """The newest deliveries first (one endpoint's, or all)."""
    query = select(WebhookDelivery).where(WebhookDelivery.workspace_id == workspace.id)
    if webhook_id is not None:
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    return list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def queue_delivery(
    session: Session, hook: Webhook, event: str, payload: dict[str, Any], key: str
) -> None:
    """Store a delivery and queue its job in the caller's transaction (once per key)."""
    values = {
        "workspace_id": hook.workspace_id,
        "webhook_id": hook.id,
        "key": f"{hook.id}:{key}"[:200],
        "event": event,
        "payload": {"event": event, "data": payload},
        "state": "queued",
        "attempts": 0,
        "created_at": utcnow(),
    }
    if not insert_once(session, WebhookDelivery, values, ("workspace_id", "key")):
        return
    delivery_id = session.scalar(
        select(WebhookDelivery.id).where(
            WebhookDelivery.workspace_id == hook.workspace_id, WebhookDelivery.key == values["key"]
        )
    )
    assert delivery_id is not None
    enqueue(
        session,
        DeliverWebhook(delivery_id=delivery_id),
        workspace_id=hook.workspace_id,
        key=f"loop.webhook:{delivery_id}",
        max_attempts=MAX_ATTEMPTS,
    )


def on_event(kz: Kizuna, session: Session, event: Event) -> None:
    """Subscriber: queue the event to every active endpoint that asked for its kind."""
    hooks = session.scalars(
        select(Webhook).where(Webhook.workspace_id == event.workspace_id, Webhook.active.is_(True))
    )
    body = event.model_dump(mode="json", exclude={"workspace_id"})
    for hook in hooks:
        if event.kind in (hook.events or []):
            key = f"{event.kind}:" + ":".join(str(v) for v in body.values())
            queue_delivery(session, hook, event.kind, body, key)


@job_handler(DeliverWebhook)
def deliver_webhook(kz: Kizuna, job: Job, payload: DeliverWebhook) -> None:
    """POST the delivery; raise to be retried, or mark it failed on the last attempt."""
    import httpx

    with kz.session() as session:
        delivery = session.get(WebhookDelivery, payload.delivery_id)
        if delivery is None or delivery.state in ("delivered", "failed"):
            return
        hook = session.get(Webhook, delivery.webhook_id)
        if hook is None or not hook.active:
            delivery.state, delivery.last_error = "failed", "endpoint removed or switched off"
            return
        body = json.dumps(
            {**delivery.payload, "delivery_id": delivery.id}, ensure_ascii=False, sort_keys=True
        ).encode()
        url, secret, event, delivery_id = hook.url, hook.secret, delivery.event, delivery.id
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Kizuna-Webhooks/1",
        "X-Kizuna-Event": event,
        "X-Kizuna-Delivery": str(delivery_id),
        "X-Kizuna-Timestamp": timestamp,
        "X-Kizuna-Signature": sign(secret, timestamp, body),
    }
    status: int | None = None
    error: str | None = None
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        status = answer.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
    last = job.attempts >= max(job.max_attempts, 1)
    with kz.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        if error is None:
            delivery.state, delivery.delivered_at = "delivered", utcnow()
        else:
            delivery.state = "failed" if last else "retrying"
    if error is not None and not last:
        log.warning("webhook delivery #%d attempt %d failed: %s", delivery_id, job.attempts, error)
        raise WebhookFailed(error)


class WebhookFailed(RuntimeError):
    """The endpoint did not take the delivery this time (the job is retried)."""
