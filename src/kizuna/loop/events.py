"""Events of the loop room: a case opened or changed, an improvement shipped.

Raised in the transaction that wrote the rows they name (`kizuna.jobs.events`); webhooks
and "you said, we did" are their subscribers.
"""

from __future__ import annotations

from typing import ClassVar

from kizuna.jobs.events import Event

__all__ = ["CaseChanged", "CaseOpened", "ImprovementShipped"]


class CaseOpened(Event):
    """A case was opened (by a rule or a person)."""

    kind: ClassVar[str] = "case.opened"
    case_id: int
    rule_id: int | None = None
    feedback_id: int | None = None


class CaseChanged(Event):
    """A case's status, owner, department or priority changed."""

    kind: ClassVar[str] = "case.changed"
    case_id: int
    status: str
    change: str


class ImprovementShipped(Event):
    """An improvement shipped: its contributors are told once."""

    kind: ClassVar[str] = "improvement.shipped"
    improvement_id: int
