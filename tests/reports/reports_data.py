"""Test data for the reports room, written through SQLAlchemy Core (no other room's code)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, select

from kizuna import Kizuna
from kizuna.customers.models import Customer, Interaction
from kizuna.feedback.models import Feedback

CHANNELS = ("web", "app", "store", "call_center")
TOUCHPOINTS = ("checkout", "delivery", "support", None)
AGE_BANDS = ("20s", "30s", "40s", None)
SOURCES = ("survey", "survey", "review", "employee")


def add_customers(kz: Kizuna, workspace_id: int, count: int, seed: int = 1) -> list[int]:
    """Customers with attributes (some missing) and one e-mail each; returns their ids."""
    rng = random.Random(seed)
    rows = [
        {
            "workspace_id": workspace_id,
            "external_id": f"c{seed}-{i}",
            "name": f"Customer {i}",
            "email": f"c{i}@example.com",
            "age_band": rng.choice(AGE_BANDS),
            "gender": rng.choice(("female", "male", None)),
            "prefecture": rng.choice(("Tokyo", "Osaka")),
            "life_stage": rng.choice(("single", "family")),
        }
        for i in range(count)
    ]
    table = Customer.__table__
    with kz.engine.begin() as conn:
        conn.execute(insert(table), rows)
        found = conn.execute(
            select(table.c.id).where(table.c.workspace_id == workspace_id).order_by(table.c.id)
        )
        return [int(row[0]) for row in found]


def add_feedback(
    kz: Kizuna,
    workspace_id: int,
    count: int,
    customer_ids: list[int] | None = None,
    seed: int = 2,
    first_day: dt.date = dt.date(2024, 1, 1),
    days: int = 100,
) -> list[dict[str, Any]]:
    """Feedback with NPS/CSAT/CES (each sometimes missing) over `days` days; returns the rows."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        day = first_day + dt.timedelta(days=rng.randrange(days))
        at = dt.datetime.combine(day, dt.time(3, 0), tzinfo=dt.UTC)
        rows.append(
            {
                "workspace_id": workspace_id,
                "source": rng.choice(SOURCES),
                "external_id": f"f{seed}-{i}",
                "channel": rng.choice(CHANNELS),
                "touchpoint": rng.choice(TOUCHPOINTS),
                "customer_id": rng.choice(customer_ids) if customer_ids else None,
                "received_at": at,
                "received_on": day,
                "nps": rng.choice([*range(11), None]),
                "csat": rng.choice([1, 2, 3, 4, 5, None]),
                "ces": rng.choice([1, 2, 3, 4, 5, 6, 7, None]),
                "properties": {"note": "テスト"},
            }
        )
    with kz.engine.begin() as conn:
        conn.execute(insert(Feedback.__table__), rows)
    return rows


def add_interactions(kz: Kizuna, workspace_id: int, customer_ids: list[int]) -> int:
    """One purchase per customer; returns how many were written."""
    at = dt.datetime(2024, 2, 1, 1, 0, tzinfo=dt.UTC)
    rows = [
        {
            "workspace_id": workspace_id,
            "source": "shop",
            "external_id": f"o{cid}",
            "customer_id": cid,
            "occurred_at": at,
            "occurred_on": dt.date(2024, 2, 1),
            "channel": "web",
            "kind": "purchase",
            "amount": 1200.5,
        }
        for cid in customer_ids
    ]
    with kz.engine.begin() as conn:
        conn.execute(insert(Interaction.__table__), rows)
    return len(rows)
