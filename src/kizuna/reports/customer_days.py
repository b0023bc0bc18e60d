"""Which customers did what on each day: the value card's figures read from one small row
per day and part instead of the period's voices and interactions.

    count_voice_days(session, workspace_id, days)         # with the rollups' days
    count_interaction_days(session, workspace_id, days)
    refresh_interaction_days(session, state)              # new interactions since the mark
    read_part(session, workspace_id, "purchase", first, last) -> Part

One `dashboard_customer_day` row per workspace, part and day; its ids ascending, each once:

- voiced: customers with a customer voice that day (employee answers left out, as every
  customer metric leaves them out);
- nps: customers with an NPS answer that day, with their last one of the day (the newest
  `received_at`, then the highest id);
- interacted: customers with any interaction that day;
- event, community: customers whose interaction that day was an event or community
  activity (`EVENT_KINDS`, ... below: the demo's and the import format's names);
- purchase: customers with a purchase or stay that day, with the day's amounts summed
  (several on one day are one purchase day, as the customers room's scores count them).

Kept as the rollups are kept: the voice parts are counted again with the rollups' days
(`kizuna.reports.rollups._recount`: new voices, new analyses, days marked dirty), the
interaction parts for the days of interactions above `dashboard_state.interaction_mark` and
of the interactions an `interaction.recorded` event names (changed in place keeps its id).
Merging customers changes no row's customer id (`customer.merged_into_id` only), so no
day changes with it; a row moved to another day in place leaves its old day as it was (the
rollups share that limit), which `kizuna dashboard rebuild` mends.

Why: at 1 M voices, 100,000 customers and 400,000 interactions, the card's first view read
the period's voices and interactions (active customers 1.9 s, each buyer's latest NPS
1.3 s, buyers 0.2 s); the same figures from these rows are a few hundred blobs and numpy
set operations.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from kizuna.customers.lifecycle import PURCHASE_KINDS
from kizuna.customers.models import Interaction
from kizuna.db.guard import TRUSTED
from kizuna.feedback.models import Feedback
from kizuna.reports.driver_rows import driver_rows
from kizuna.reports.id_sets import Members, distinct
from kizuna.reports.models import DashboardCustomerDay, DashboardState

if TYPE_CHECKING:
    from kizuna.app import Kizuna
    from kizuna.customers.events import InteractionsRecorded

__all__ = [
    "COMMUNITY_CHANNELS",
    "COMMUNITY_KINDS",
    "EVENT_CHANNELS",
    "EVENT_KINDS",
    "INTERACTION_PARTS",
    "PARTS",
    "VOICE_PARTS",
    "Part",
    "count_interaction_days",
    "count_voice_days",
    "on_interactions_recorded",
    "read_part",
    "refresh_interaction_days",
]

EMPLOYEE_SOURCE = "employee"  # as `kizuna.reports.rollups` leaves them out
EVENT_KINDS = ("event_attendance",)
EVENT_CHANNELS = ("event",)
COMMUNITY_KINDS = ("community_post",)
COMMUNITY_CHANNELS = ("community",)
VOICE_PARTS = ("voiced", "nps")
INTERACTION_PARTS = ("interacted", "event", "community", "purchase")
PARTS = (*VOICE_PARTS, *INTERACTION_PARTS)
_DAY_CHUNK = 31
_INSERT_CHUNK = 500
_IDS = np.dtype("<i8")
_NUMBERS = np.dtype("<f8")


@dataclass(frozen=True)
class Part:
    """One part over some days: the days' ids one after the other (days ascending, each
    day's ids ascending, so a customer appears once per day) and, for "nps" and "purchase",
    `numbers[i]` the number of `customers[i]` that day."""

    customers: np.ndarray
    numbers: np.ndarray | None

    def unique(self, scope: Members | None = None) -> np.ndarray:
        """The distinct customers, ascending, within `scope` when given."""
        found = distinct(self.customers)
        return found if scope is None else found[scope.of(found)]


def _row(workspace_id: int, part: str, day: dt.date, found: dict[int, float] | set[int]) -> Any:
    ids = sorted(found)
    row: dict[str, Any] = {
        "workspace_id": workspace_id,
        "part": part,
        "day": day,
        "customers": np.asarray(ids, dtype=_IDS).tobytes(),
        "numbers": None,
    }
    if isinstance(found, dict):
        row["numbers"] = np.asarray([found[i] for i in ids], dtype=_NUMBERS).tobytes()
    return row


def _replace(
    session: Session,
    workspace_id: int,
    parts: Sequence[str],
    days: Sequence[dt.date],
    rows: list[dict[str, Any]],
) -> None:
    session.execute(
        delete(DashboardCustomerDay).where(
            DashboardCustomerDay.workspace_id == workspace_id,
            DashboardCustomerDay.part.in_(parts),
            DashboardCustomerDay.day.in_(days),
        )
    )
    statement = insert(cast(Table, DashboardCustomerDay.__table__))
    for at in range(0, len(rows), _INSERT_CHUNK):
        # Counted from stored rows, which the value guard saw when they were written.
        session.execute(statement, rows[at : at + _INSERT_CHUNK], execution_options=TRUSTED)


def _chunks(days: Iterable[dt.date]) -> Iterable[list[dt.date]]:
    ordered = sorted(set(days))
    for start in range(0, len(ordered), _DAY_CHUNK):
        yield ordered[start : start + _DAY_CHUNK]


def count_voice_days(session: Session, workspace_id: int, days: Iterable[dt.date]) -> None:
    """Count the voice parts of these days again (replacing their rows)."""
    for chunk in _chunks(days):
        query = (
            select(Feedback.received_on, Feedback.customer_id, Feedback.nps)
            .where(
                Feedback.workspace_id == workspace_id,
                Feedback.received_on.in_(chunk),
                Feedback.customer_id.is_not(None),
                Feedback.source != EMPLOYEE_SOURCE,
            )
            # Oldest first: a customer's last answer of a day is the one kept.
            .order_by(Feedback.received_on, Feedback.received_at, Feedback.id)
        )
        voiced: dict[dt.date, set[int]] = defaultdict(set)
        nps: dict[dt.date, dict[int, float]] = defaultdict(dict)
        for day, customer, score in session.execute(query):
            who = cast(int, customer)  # not None: the query says so
            voiced[day].add(who)
            if score is not None:
                nps[day][who] = float(score)
        rows = [_row(workspace_id, "voiced", d, found) for d, found in voiced.items()]
        rows += [_row(workspace_id, "nps", d, found) for d, found in nps.items()]
        _replace(session, workspace_id, VOICE_PARTS, chunk, rows)


def count_interaction_days(session: Session, workspace_id: int, days: Iterable[dt.date]) -> None:
    """Count the interaction parts of these days again (replacing their rows)."""
    for chunk in _chunks(days):
        query = select(
            Interaction.occurred_on,
            Interaction.customer_id,
            Interaction.kind,
            Interaction.channel,
            Interaction.amount,
        ).where(
            Interaction.workspace_id == workspace_id,
            Interaction.occurred_on.in_(chunk),
            Interaction.customer_id.is_not(None),
        )
        found: dict[str, dict[dt.date, set[int]]] = {
            p: defaultdict(set) for p in ("interacted", "event", "community")
        }
        bought: dict[dt.date, dict[int, float]] = defaultdict(dict)
        for day, customer, kind, channel, amount in session.execute(query):
            who = cast(int, customer)
            found["interacted"][day].add(who)
            if kind in EVENT_KINDS or channel in EVENT_CHANNELS:
                found["event"][day].add(who)
            if kind in COMMUNITY_KINDS or channel in COMMUNITY_CHANNELS:
                found["community"][day].add(who)
            if kind in PURCHASE_KINDS:
                spent = bought[day]
                spent[who] = spent.get(who, 0.0) + float(amount or 0)
        rows = [
            _row(workspace_id, part, d, ids)
            for part, per_day in found.items()
            for d, ids in per_day.items()
        ]
        rows += [_row(workspace_id, "purchase", d, spent) for d, spent in bought.items()]
        _replace(session, workspace_id, INTERACTION_PARTS, chunk, rows)


def _days_of_interactions(
    session: Session, workspace_id: int, above: int, ids: Sequence[int] = ()
) -> tuple[set[dt.date], int]:
    """Days of the interactions with an id above `above` (and of `ids`), and the highest
    such id (`above` when none)."""
    rows = session.execute(
        select(Interaction.occurred_on, func.max(Interaction.id))
        # `+ 0`: the primary key's range reads the new rows only (as for voices).
        .where(Interaction.id > above, (Interaction.workspace_id + 0) == workspace_id)
        .group_by(Interaction.occurred_on)
    ).all()
    days = {day for day, _ in rows}
    for start in range(0, len(ids), 1000):
        days.update(
            session.scalars(
                select(Interaction.occurred_on)
                .where(
                    Interaction.workspace_id == workspace_id,
                    Interaction.id.in_(list(ids[start : start + 1000])),
                )
                .distinct()
            )
        )
    return days, max((int(top) for _, top in rows), default=above)


def refresh_interaction_days(
    session: Session, state: DashboardState, ids: Sequence[int] = ()
) -> int:
    """Count the interaction parts of the days of new interactions (ids above the state's
    mark, which must be set) and of `ids`. The state row must be locked by the caller.
    Returns the number of days counted."""
    assert state.interaction_mark is not None, "a rebuild counts every day first"
    workspace_id = state.workspace_id
    days, mark = _days_of_interactions(session, workspace_id, state.interaction_mark, ids)
    if days:
        count_interaction_days(session, workspace_id, days)
    state.interaction_mark = mark
    return len(days)


def read_part(
    session: Session, workspace_id: int, part: str, first: dt.date | None, last: dt.date
) -> Part:
    """The part's rows from `first` (None: the first day there is) to `last`, inclusive."""
    conditions = [
        DashboardCustomerDay.workspace_id == workspace_id,
        DashboardCustomerDay.part == part,
        DashboardCustomerDay.day <= last,
    ]
    if first is not None:
        conditions.append(DashboardCustomerDay.day >= first)
    query = (
        select(DashboardCustomerDay.customers, DashboardCustomerDay.numbers)
        .where(*conditions)
        .order_by(DashboardCustomerDay.day)
    )
    ids: list[np.ndarray] = [np.empty(0, dtype=_IDS)]
    numbers: list[np.ndarray] = [np.empty(0, dtype=_NUMBERS)]
    for customers, values in driver_rows(session, query, binary=True):
        ids.append(np.frombuffer(customers, dtype=_IDS))
        if values is not None:
            numbers.append(np.frombuffer(values, dtype=_NUMBERS))
    return Part(
        np.concatenate(ids).astype(np.int64, copy=False),
        np.concatenate(numbers) if part in _NUMBERED else None,
    )


_NUMBERED = ("nps", "purchase")


def on_interactions_recorded(kz: Kizuna, session: Session, event: InteractionsRecorded) -> None:
    """Subscriber of `interaction.recorded`: count the days of the interactions again (new
    or changed in place) once the rollups exist."""
    state = session.scalar(
        select(DashboardState)
        .where(DashboardState.workspace_id == event.workspace_id)
        .with_for_update()
    )
    if state is None or state.interaction_mark is None:
        return  # never built: the first dashboard view or `rebuild` counts everything
    refresh_interaction_days(session, state, list(event.interaction_ids))
    session.flush()
