"""Lifecycle stages of a workspace's customers: computed, stored, snapshotted per month.

`update_lifecycle` aggregates purchases per person in the database, stages them with
the pure rules of `kizuna.analytics.lifecycle`, stores the stage on each surviving
customer and writes the month's snapshot; `lifecycle_flows` compares two months.

- A purchase is an interaction of kind "purchase" or "stay" (hotels and travel sell
  stays, not orders); other kinds are engagement, not buying.
- A person is a surviving customer: interactions of merged records count for the
  survivor (`coalesce(merged_into_id, id)`); absorbed customers carry no stage.
- The previous stage (for "won-back") is the person's stage in the latest snapshot of an
  earlier month, so months can be computed in any order and re-runs give the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Subquery, and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.analytics.lifecycle import STAGES, LifecycleRules, assign_stages
from kizuna.customers.bulk import column_frame, table_of
from kizuna.customers.models import Customer, Interaction, LifecycleSnapshot

__all__ = [
    "PURCHASE_KINDS",
    "LifecycleFlow",
    "LifecycleResult",
    "lifecycle_flows",
    "month_start",
    "stage_counts",
    "today_in",
    "update_lifecycle",
]

PURCHASE_KINDS = ("purchase", "stay")
_CHUNK = 5_000


@dataclass
class LifecycleResult:
    """Customers per stage on `as_of`, and the snapshot month written."""

    as_of: dt.date
    month: dt.date
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LifecycleFlow:
    """How many customers moved from one stage to another (None: not in that month)."""

    from_stage: str | None
    to_stage: str | None
    customers: int


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def today_in(workspace: Workspace) -> dt.date:
    """Today's date in the workspace's time zone."""
    return dt.datetime.now(ZoneInfo(workspace.timezone)).date()


def update_lifecycle(
    session: Session,
    workspace: Workspace,
    as_of: dt.date | None = None,
    rules: LifecycleRules | None = None,
    p_alive: Mapping[int, float] | None = None,
) -> LifecycleResult:
    """Stage every surviving customer on `as_of` (default: today in the workspace's zone)."""
    as_of = as_of or today_in(workspace)
    month = month_start(as_of)
    frame = _purchase_frame(session, workspace, as_of)
    if p_alive is not None:
        frame["p_alive"] = frame["customer_id"].map(pd.Series(p_alive, dtype="float64"))
    frame["stage"] = assign_stages(frame, as_of, rules)
    _store_stages(session, workspace, frame, as_of)
    session.execute(
        delete(LifecycleSnapshot).where(
            LifecycleSnapshot.workspace_id == workspace.id, LifecycleSnapshot.month == month
        )
    )
    snapshot = [
        {
            "workspace_id": workspace.id,
            "month": month,
            "customer_id": cid,
            "stage": stage,
            "as_of": as_of,
        }
        for cid, stage in zip(frame["customer_id"].tolist(), frame["stage"].tolist(), strict=True)
    ]
    for start in range(0, len(snapshot), 50_000):
        session.execute(insert(table_of(LifecycleSnapshot)), snapshot[start : start + 50_000])
    counts = frame["stage"].value_counts()
    return LifecycleResult(as_of, month, {s: int(counts.get(s, 0)) for s in STAGES})


def _purchase_frame(session: Session, workspace: Workspace, as_of: dt.date) -> pd.DataFrame:
    """One row per surviving customer: first/last purchase, counts, gap, previous stage."""
    person = func.coalesce(Customer.merged_into_id, Customer.id).label("person")
    bought = and_(
        Interaction.workspace_id == workspace.id,
        Interaction.kind.in_(PURCHASE_KINDS),
        Interaction.occurred_on <= as_of,
    )
    year_ago = as_of - dt.timedelta(days=365)
    agg = (
        select(
            person,
            func.min(Interaction.occurred_on).label("first"),
            func.max(Interaction.occurred_on).label("last"),
            func.count().label("total"),
            func.sum(case((Interaction.occurred_on > year_ago, 1), else_=0)).label("recent"),
        )
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(bought)
        .group_by(person)
        .subquery()
    )
    before_last = (
        select(person, func.max(Interaction.occurred_on).label("previous"))
        .join(Customer, Customer.id == Interaction.customer_id)
        .join(agg, agg.c.person == func.coalesce(Customer.merged_into_id, Customer.id))
        .where(bought, Interaction.occurred_on < agg.c.last)
        .group_by(person)
    )
    purchases = column_frame(
        session.execute(select(agg)).all(), ["customer_id", "first", "last", "total", "recent"]
    )
    previous_purchase = column_frame(
        session.execute(before_last).all(), ["customer_id", "previous_purchase"]
    )
    customers = column_frame(
        session.execute(
            select(Customer.id).where(
                Customer.workspace_id == workspace.id, Customer.merged_into_id.is_(None)
            )
        ).all(),
        ["customer_id"],
    )
    earlier = _previous_stages(session, workspace, month_start(as_of))
    frame = (
        customers.merge(purchases, on="customer_id", how="left")
        .merge(previous_purchase, on="customer_id", how="left")
        .merge(earlier, on="customer_id", how="left")
    )
    last = pd.to_datetime(frame["last"])
    gap = (last - pd.to_datetime(frame["previous_purchase"])).dt.days
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(np.int64),
            "first_purchase": pd.to_datetime(frame["first"]),
            "last_purchase": last,
            "purchases_365d": pd.to_numeric(frame["recent"]).fillna(0).astype(np.int64),
            "purchases_total": pd.to_numeric(frame["total"]).fillna(0).astype(np.int64),
            "previous_stage": frame["previous_stage"].astype(object),
            "gap_before_last_days": gap.astype("float64"),
        }
    )


def _previous_stages(session: Session, workspace: Workspace, month: dt.date) -> pd.DataFrame:
    latest = (
        select(func.max(LifecycleSnapshot.month))
        .where(LifecycleSnapshot.workspace_id == workspace.id, LifecycleSnapshot.month < month)
        .scalar_subquery()
    )
    rows = session.execute(
        select(LifecycleSnapshot.customer_id, LifecycleSnapshot.stage).where(
            LifecycleSnapshot.workspace_id == workspace.id, LifecycleSnapshot.month == latest
        )
    ).all()
    return column_frame(rows, ["customer_id", "previous_stage"])


def _store_stages(
    session: Session, workspace: Workspace, frame: pd.DataFrame, as_of: dt.date
) -> None:
    """Stage on the customer row, unless a later date was already stored (a backfill)."""
    table = table_of(Customer)
    c = table.c
    not_newer = c.lifecycle_at.is_(None) | (c.lifecycle_at <= as_of)
    keep_time = {"updated_at": c.updated_at}  # a stage is derived, not an edit
    for stage, ids in frame.groupby("stage")["customer_id"]:
        values = [int(i) for i in ids]
        for start in range(0, len(values), _CHUNK):
            session.execute(
                update(table)
                .where(c.workspace_id == workspace.id, c.id.in_(values[start : start + _CHUNK]))
                .where(not_newer)
                .values(lifecycle_stage=str(stage), lifecycle_at=as_of, **keep_time)
            )
    session.execute(
        update(table)
        .where(c.workspace_id == workspace.id, c.merged_into_id.is_not(None))
        .where(c.lifecycle_stage.is_not(None))
        .values(lifecycle_stage=None, lifecycle_at=None, **keep_time)
    )


def stage_counts(session: Session, workspace: Workspace) -> dict[str, int]:
    """Surviving customers per stored stage (every stage listed, zeros included)."""
    rows = session.execute(
        select(Customer.lifecycle_stage, func.count())
        .where(Customer.workspace_id == workspace.id, Customer.merged_into_id.is_(None))
        .where(Customer.lifecycle_stage.is_not(None))
        .group_by(Customer.lifecycle_stage)
    ).all()
    found = {str(stage): int(n) for stage, n in rows}
    return {stage: found.get(stage, 0) for stage in STAGES}


def _stages_in(workspace: Workspace, month: dt.date) -> Subquery:
    """Each customer's stage in the snapshot of `month`'s first day."""
    return (
        select(LifecycleSnapshot.customer_id, LifecycleSnapshot.stage)
        .where(
            LifecycleSnapshot.workspace_id == workspace.id,
            LifecycleSnapshot.month == month_start(month),
        )
        .subquery()
    )


def lifecycle_flows(
    session: Session, workspace: Workspace, month_from: dt.date, month_to: dt.date
) -> list[LifecycleFlow]:
    """Customers per (stage in `month_from`, stage in `month_to`), from the snapshots."""
    before = _stages_in(workspace, month_from)
    after = _stages_in(workspace, month_to)
    arrived = (
        select(before.c.stage, after.c.stage, func.count())
        .select_from(after.outerjoin(before, before.c.customer_id == after.c.customer_id))
        .group_by(before.c.stage, after.c.stage)
    )
    left = (
        select(before.c.stage, func.count())
        .select_from(before.outerjoin(after, before.c.customer_id == after.c.customer_id))
        .where(after.c.customer_id.is_(None))
        .group_by(before.c.stage)
    )
    flows = [LifecycleFlow(a, b, int(n)) for a, b, n in session.execute(arrived).all()]
    flows += [LifecycleFlow(a, None, int(n)) for a, n in session.execute(left).all()]
    order = {stage: i for i, stage in enumerate(STAGES)}
    return sorted(
        flows, key=lambda f: (order.get(f.from_stage or "", -1), order.get(f.to_stage or "", -1))
    )
