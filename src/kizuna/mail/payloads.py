"""The mail room's job payloads (their handlers are in `kizuna.mail.delivery`).

Kept apart so the service can enqueue without importing the handlers, and the handlers can
call the service without an import cycle. Payloads hold ids only, never an address or a body.
"""

from __future__ import annotations

from typing import ClassVar

from kizuna.jobs.queue import JobPayload

__all__ = ["DeliverMail", "ReleaseHeldMail"]


class DeliverMail(JobPayload):
    """Send one outbox message (one round of its delivery)."""

    kind: ClassVar[str] = "mail.deliver"
    message_id: int


class ReleaseHeldMail(JobPayload):
    """Queue a workspace's held mail again once an SMTP server is set (a recurring job)."""

    kind: ClassVar[str] = "mail.release_held"
