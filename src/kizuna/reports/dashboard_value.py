"""Value and engagement of the dashboard's customers for a period: CLV, repeat rate, revenue
of promoters against detractors, active customers and participation in events and community.

Whose figures: the customers of the chosen segment or persona (every surviving customer
without one); a voice filter (channel, touchpoint, store, language, source, survey) narrows
them to the customers who gave a voice matching it in the period, so the card speaks of the
same people as the satisfaction cards.

- CLV: mean and total of their latest `customer_score.clv_12m` (12 months, discounted; the
  customers room scores it), over those who have one; not tied to the period.
- Repeat rate: of the customers with a purchase in the period, the share with two or more.
  A purchase is an interaction of kind purchase or stay, several on one day counting once,
  as the customers room's scores count them (`kizuna.customers.scores`).
- Revenue of promoters and detractors: the amounts of the period's purchases of customers
  whose latest NPS answer on or before the period's end is 9-10, and 0-6.
- Active: customers with any interaction or voice in the period.
- Participation: active customers with an interaction in the period whose kind or channel is
  an event (event_attendance, channel event) or community activity (community_post, channel
  community), the demo's and the import format's names.

Purchases, NPS answers, activity and participation are read from the customer days
(`kizuna.reports.customer_days`: per day and part, the customers' ids), which the rollups'
refresh keeps: a period is a few hundred small rows and numpy set operations, where reading
its voices and interactions took 3.4 s at 1 M voices. CLV and a voice filter's respondents
are read from their tables. Cached per filter in `dashboard_cache` for its TTL (five
minutes): the figures may be that old, and a page view within it reads nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer, CustomerScore
from kizuna.feedback.models import Feedback
from kizuna.reports.customer_days import (
    COMMUNITY_CHANNELS,
    COMMUNITY_KINDS,
    EVENT_CHANNELS,
    EVENT_KINDS,
    read_part,
)
from kizuna.reports.dashboard import DashboardFilter
from kizuna.reports.dashboard_cache import cached
from kizuna.reports.dashboard_segment import group_customers
from kizuna.reports.driver_rows import driver_rows
from kizuna.reports.id_sets import Members, distinct, last_of, tally
from kizuna.reports.rollup_counts import has_dimensions
from kizuna.reports.rollups import EMPLOYEE_SOURCE, voice_rows

__all__ = [
    "COMMUNITY_CHANNELS",
    "COMMUNITY_KINDS",
    "EVENT_CHANNELS",
    "EVENT_KINDS",
    "ValueMeasures",
    "value_measures",
]


@dataclass(frozen=True)
class ValueMeasures:
    """The card's figures; `scope` says whose: "all", "group" or "respondents"."""

    scope: str
    customers: int | None
    clv_n: int
    clv_mean: float | None
    clv_total: float | None
    buyers: int
    repeat_buyers: int
    revenue: float
    promoters: int
    promoter_revenue: float
    detractors: int
    detractor_revenue: float
    active: int
    participants: int
    event_participants: int
    community_participants: int

    @property
    def repeat_rate(self) -> float | None:
        return 100.0 * self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def participation_rate(self) -> float | None:
        return 100.0 * self.participants / self.active if self.active else None

    def rows(self) -> list[tuple[str, float | int | None]]:
        """(measure, value) pairs, the card's table and CSV."""
        return [
            ("customers", self.customers),
            ("clv_customers", self.clv_n),
            ("clv_mean", self.clv_mean),
            ("clv_total", self.clv_total),
            ("buyers", self.buyers),
            ("repeat_buyers", self.repeat_buyers),
            ("repeat_rate", self.repeat_rate),
            ("revenue", self.revenue),
            ("promoters", self.promoters),
            ("promoter_revenue", self.promoter_revenue),
            ("detractors", self.detractors),
            ("detractor_revenue", self.detractor_revenue),
            ("active", self.active),
            ("participants", self.participants),
            ("participation_rate", self.participation_rate),
            ("event_participants", self.event_participants),
            ("community_participants", self.community_participants),
        ]


def _respondents(session: Session, workspace_id: int, chosen: DashboardFilter) -> set[int]:
    """Customers with a voice in the period matching the filter's dimensions.

    Channel, touchpoint and source are columns, matched in SQL; survey, store and language
    (which falls back to the analysis's) are read as the rollups read them. The newest
    analysis is joined only when the language is asked for.
    """
    wanted = chosen.dimensions()
    found: set[int] = set()
    conditions = [
        Feedback.received_on >= chosen.start,
        Feedback.received_on <= chosen.end,
        Feedback.customer_id.is_not(None),
        *(
            getattr(Feedback, n) == wanted[n]
            for n in ("channel", "touchpoint", "source")
            if n in wanted
        ),
    ]
    if not set(wanted) - {"channel", "touchpoint", "source"}:
        query = (
            select(Feedback.customer_id)
            .where(
                Feedback.workspace_id == workspace_id,
                Feedback.source != EMPLOYEE_SOURCE,
                *conditions,
            )
            .distinct()
        )
        return {int(c) for (c,) in driver_rows(session, query)}
    rows: Iterable[Any]
    if "language" in wanted:
        rows = voice_rows(session, workspace_id, *conditions)
    else:
        rows = session.execute(
            select(
                Feedback.customer_id,
                Feedback.channel,
                Feedback.touchpoint,
                Feedback.language,
                Feedback.source,
                Feedback.properties,
                literal(None).label("analysed_language"),
            ).where(
                Feedback.workspace_id == workspace_id,
                Feedback.source != EMPLOYEE_SOURCE,
                *conditions,
            )
        )
    for row in rows:
        if row.customer_id is not None and has_dimensions(
            wanted,
            row.channel,
            row.touchpoint,
            row.language or row.analysed_language,
            row.source,
            row.properties,
        ):
            found.add(int(row.customer_id))
    return found


def _scope(
    session: Session, workspace_id: int, chosen: DashboardFilter
) -> tuple[str, set[int] | None]:
    members = group_customers(session, workspace_id, chosen)
    scope: set[int] | None = None if members is None else set(members)
    if chosen.dimensions():
        respondents = _respondents(session, workspace_id, chosen)
        scope = respondents if scope is None else scope & respondents
        return "respondents", scope
    return ("all" if members is None else "group"), scope


def _clv(
    session: Session, workspace_id: int, scope: Members | None
) -> tuple[int, float | None, float | None]:
    where = (CustomerScore.workspace_id == workspace_id, CustomerScore.clv_12m.is_not(None))
    if scope is None:
        n, total = driver_rows(
            session, select(func.count(), func.sum(CustomerScore.clv_12m)).where(*where)
        )[0]
        n = int(n or 0)
        return n, (float(total) / n if n else None), (float(total) if n else None)
    rows = driver_rows(
        session, select(CustomerScore.customer_id, CustomerScore.clv_12m).where(*where)
    )
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))[scope.of(ids)]
    if not len(values):
        return 0, None, None
    total = float(values.sum())
    return len(values), total / len(values), total


def _purchases(
    session: Session, workspace_id: int, chosen: DashboardFilter, scope: Members | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The buyers in scope (ascending), their purchase days and revenue in the period."""
    part = read_part(session, workspace_id, "purchase", chosen.start, chosen.end)
    assert part.numbers is not None
    customers, amounts = part.customers, part.numbers
    if scope is not None:
        keep = scope.of(customers)
        customers, amounts = customers[keep], amounts[keep]
    return tally(customers, amounts)  # a buyer appears once per purchase day


def _latest_nps(
    session: Session, workspace_id: int, chosen: DashboardFilter, buyers: np.ndarray
) -> np.ndarray:
    """Each buyer's latest NPS answer on or before the period's end (the newest
    `received_at`, then the highest id), aligned with `buyers`; NaN for none.

    Each day's part holds a customer's last answer of that day and the days come oldest
    first, so a customer's last entry is the latest answer."""
    part = read_part(session, workspace_id, "nps", None, chosen.end)
    assert part.numbers is not None
    latest = np.full(len(buyers), np.nan)
    if not len(buyers) or not len(part.customers):
        return latest
    wanted = Members(buyers).of(part.customers)
    answered, last = last_of(part.customers[wanted])
    scores = part.numbers[wanted][last]
    latest[np.searchsorted(buyers, answered)] = scores  # every answered one is a buyer
    return latest


def _engagement(
    session: Session, workspace_id: int, chosen: DashboardFilter, scope: Members | None
) -> tuple[int, np.ndarray, np.ndarray]:
    """Active customers, and those who took part in events and in the community."""

    def who(part: str) -> np.ndarray:
        return read_part(session, workspace_id, part, chosen.start, chosen.end).unique(scope)

    active = distinct(np.concatenate([who("voiced"), who("interacted")]))
    return len(active), who("event"), who("community")


def _count_customers(session: Session, workspace_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Customer.workspace_id == workspace_id, Customer.merged_into_id.is_(None)
            )
        )
        or 0
    )


def compute_value_measures(
    session: Session, workspace_id: int, chosen: DashboardFilter
) -> ValueMeasures:
    """The figures, read now (`value_measures` caches them) from the customer days as the
    last refresh left them (`kizuna.reports.rollups.refresh_rollups`)."""
    kind, scope = _scope(session, workspace_id, chosen)
    within = None if scope is None else Members(np.fromiter(sorted(scope), dtype=np.int64))
    clv_n, clv_mean, clv_total = _clv(session, workspace_id, within)
    buyers, days, revenue = _purchases(session, workspace_id, chosen, within)
    nps = _latest_nps(session, workspace_id, chosen, buyers)
    promoters, detractors = nps >= 9, nps <= 6
    active, events, community = _engagement(session, workspace_id, chosen, within)
    return ValueMeasures(
        scope=kind,
        customers=_count_customers(session, workspace_id) if scope is None else len(scope),
        clv_n=clv_n,
        clv_mean=clv_mean,
        clv_total=clv_total,
        buyers=len(buyers),
        repeat_buyers=int(np.count_nonzero(days >= 2)),
        revenue=float(revenue.sum()),
        promoters=int(promoters.sum()),
        promoter_revenue=float(revenue[promoters].sum()),
        detractors=int(detractors.sum()),
        detractor_revenue=float(revenue[detractors].sum()),
        active=active,
        participants=len(distinct(np.concatenate([events, community]))),
        event_participants=len(events),
        community_participants=len(community),
    )


def value_measures(session: Session, workspace_id: int, chosen: DashboardFilter) -> ValueMeasures:
    """The card's figures for the filter, cached per filter for the cache's TTL.

    Not keyed by the rollup version, which moves with every new voice: interactions and
    scores move without it anyway, and on a busy workspace the card would be read again on
    every view. The figures are at most `dashboard_cache.TTL` seconds old.
    """
    return cached(
        ("value", workspace_id, chosen),
        lambda: compute_value_measures(session, workspace_id, chosen),
    )
