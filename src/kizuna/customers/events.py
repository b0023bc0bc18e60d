"""Events of the customers room: records written, people merged, scores recomputed.

Raised in the transaction that wrote the rows they name (`kizuna.jobs.events`).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from kizuna.jobs.events import Event

__all__ = ["CustomersMerged", "CustomersRecorded", "InteractionsRecorded", "ScoresChanged"]


class CustomersRecorded(Event):
    """New or changed customer records were stored (`upsert_customer`, imports, the API)."""

    kind: ClassVar[str] = "customer.recorded"
    customer_ids: list[int] = Field(min_length=1)


class InteractionsRecorded(Event):
    """New or changed interactions were stored (a stay, an order, a ticket, ...)."""

    kind: ClassVar[str] = "interaction.recorded"
    interaction_ids: list[int] = Field(min_length=1)


class CustomersMerged(Event):
    """Records were merged into people: absorbed id -> surviving id (`undone`: split again,
    each restored id -> the survivor it left)."""

    kind: ClassVar[str] = "customer.merged"
    merged: dict[int, int] = Field(min_length=1)
    undone: bool = False


class ScoresChanged(Event):
    """Scores (CLV, churn risk, lifecycle) were recomputed for the workspace as of a day."""

    kind: ClassVar[str] = "customer.scored"
    as_of: dt.date
    customers: int
