"""The customer days (which customers did what on each day) behind the value card: its
figures equal a count made directly from the voices and interactions, for periods and a
segment, and follow interactions recorded, changed in place and inserted in bulk."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from reports_data import add_customers
from sqlalchemy import delete, insert, select, update

from kizuna import Kizuna
from kizuna.customers.models import Customer, Interaction
from kizuna.customers.segments import create_segment
from kizuna.customers.service import record_interaction
from kizuna.feedback.models import Feedback
from kizuna.jobs.worker import Worker
from kizuna.reports.dashboard import DashboardFilter
from kizuna.reports.dashboard_cache import clear_cache
from kizuna.reports.dashboard_value import ValueMeasures, compute_value_measures
from kizuna.reports.models import DashboardCustomerDay, DashboardState
from kizuna.reports.rollups import rebuild_rollups, refresh_rollups

KINDS = (
    ("purchase", "web"),
    ("purchase", "store"),
    ("stay", "store"),
    ("visit", "web"),
    ("event_attendance", "event"),
    ("visit", "event"),
    ("community_post", "community"),
    ("review", "community"),
)
FIRST = dt.date(2026, 2, 1)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=dt.UTC)


def _fill(kz: Kizuna, workspace_id: int, seed: int = 7) -> list[int]:
    """40 customers, 400 interactions and 300 voices over four months, at random; voices
    fall on 20 days at two hours (several a day, ties in time), some are employees' and
    some have no score."""
    rng = random.Random(seed)
    customers = add_customers(kz, workspace_id, 40, seed=seed)
    interactions, voices = [], []
    for n in range(400):
        day = FIRST + dt.timedelta(days=rng.randrange(120))
        kind, channel = rng.choice(KINDS)
        interactions.append(
            {
                "workspace_id": workspace_id,
                "source": "test",
                "external_id": f"i{n}",
                "customer_id": rng.choice(customers) if rng.random() < 0.9 else None,
                "occurred_at": _at(day, rng.randrange(24)),
                "occurred_on": day,
                "channel": channel,
                "kind": kind,
                "amount": rng.choice((None, 500.0, 1250.5, 30000.0)),
            }
        )
    for n in range(300):  # on 20 days: a customer often answers twice a day
        day = FIRST + dt.timedelta(days=6 * rng.randrange(20))
        voices.append(
            {
                "workspace_id": workspace_id,
                "source": "employee" if rng.random() < 0.1 else "survey",
                "external_id": f"v{n}",
                "channel": "web",
                "customer_id": rng.choice(customers) if rng.random() < 0.85 else None,
                "received_at": _at(day, rng.choice((9, 12))),
                "received_on": day,
                "nps": rng.randrange(11) if rng.random() < 0.8 else None,
                "properties": {},
            }
        )
    with kz.engine.begin() as conn:
        conn.execute(insert(Interaction.__table__), interactions)
        conn.execute(insert(Feedback.__table__), voices)
    return customers


def _direct(
    kz: Kizuna, workspace_id: int, chosen: DashboardFilter, scope: set[int] | None
) -> dict[str, Any]:
    """The card's definitions counted straight from the stored rows."""
    with kz.session() as session:
        moves = session.execute(
            select(
                Interaction.customer_id,
                Interaction.occurred_on,
                Interaction.kind,
                Interaction.channel,
                Interaction.amount,
            ).where(Interaction.workspace_id == workspace_id)
        ).all()
        said = session.execute(
            select(
                Feedback.id,
                Feedback.customer_id,
                Feedback.received_at,
                Feedback.received_on,
                Feedback.nps,
            ).where(Feedback.workspace_id == workspace_id, Feedback.source != "employee")
        ).all()

    def counted(customer: int | None) -> bool:
        return customer is not None and (scope is None or customer in scope)

    def within(day: dt.date) -> bool:
        return chosen.start <= day <= chosen.end

    days: dict[int, set[dt.date]] = {}
    revenue: dict[int, float] = {}
    for customer, day, kind, _, amount in moves:
        if counted(customer) and within(day) and kind in ("purchase", "stay"):
            days.setdefault(customer, set()).add(day)
            revenue[customer] = revenue.get(customer, 0.0) + (amount or 0.0)
    latest: dict[int, tuple[Any, int, int]] = {}
    for fid, customer, at, day, nps in said:
        if customer is None or nps is None or day > chosen.end:
            continue
        if customer not in latest or (at, fid) > latest[customer][:2]:
            latest[customer] = (at, fid, nps)
    promoters = [c for c in days if c in latest and latest[c][2] >= 9]
    detractors = [c for c in days if c in latest and latest[c][2] <= 6]
    active = {c for c, day, *_ in moves if counted(c) and within(day)}
    active |= {c for _, c, _, day, _ in said if counted(c) and within(day)}
    events = {
        c
        for c, day, kind, channel, _ in moves
        if counted(c) and within(day) and (kind == "event_attendance" or channel == "event")
    }
    community = {
        c
        for c, day, kind, channel, _ in moves
        if counted(c) and within(day) and (kind == "community_post" or channel == "community")
    }
    return {
        "buyers": len(days),
        "repeat_buyers": sum(1 for d in days.values() if len(d) >= 2),
        "revenue": round(sum(revenue.values()), 2),
        "promoters": len(promoters),
        "promoter_revenue": round(sum(revenue[c] for c in promoters), 2),
        "detractors": len(detractors),
        "detractor_revenue": round(sum(revenue[c] for c in detractors), 2),
        "active": len(active),
        "event_participants": len(events),
        "community_participants": len(community),
        "participants": len(events | community),
    }


def _card(v: ValueMeasures) -> dict[str, Any]:
    found = {name: getattr(v, name) for name in _NAMES}
    return {n: round(x, 2) if isinstance(x, float) else x for n, x in found.items()}


_NAMES = (
    "buyers",
    "repeat_buyers",
    "revenue",
    "promoters",
    "promoter_revenue",
    "detractors",
    "detractor_revenue",
    "active",
    "event_participants",
    "community_participants",
    "participants",
)


def _value(kz: Kizuna, workspace_id: int, chosen: DashboardFilter) -> dict[str, Any]:
    clear_cache()
    with kz.session() as session:
        return _card(compute_value_measures(session, workspace_id, chosen))


def test_the_card_equals_a_direct_count_for_periods_and_a_segment(kz: Kizuna, ws: Any) -> None:
    w = ws.workspace.id
    _fill(kz, w)
    with kz.session() as session:
        rebuild_rollups(session, w)
        young = create_segment(
            session, ws.workspace, "young", [{"field": "age_band", "op": "in", "value": ["20s"]}]
        )
        members = set(
            session.scalars(
                select(Customer.id).where(Customer.workspace_id == w, Customer.age_band == "20s")
            )
        )
    assert 0 < len(members) < 40
    periods = [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 2, 1), dt.date(2026, 5, 31)),
        (dt.date(2026, 4, 15), dt.date(2026, 4, 15)),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),  # before any row: all zero
    ]
    for start, end in periods:
        everyone = DashboardFilter(start, end)
        assert _value(kz, w, everyone) == _direct(kz, w, everyone, None), (start, end)
        group = DashboardFilter(start, end, segment=young.id)
        assert _value(kz, w, group) == _direct(kz, w, group, members), (start, end)
    spring = _value(kz, w, DashboardFilter(dt.date(2026, 2, 1), dt.date(2026, 5, 31)))
    assert spring["buyers"] > 10 and spring["promoters"] and spring["detractors"]
    assert spring["event_participants"] and spring["community_participants"]


def _deliver(kz: Kizuna) -> None:
    while Worker(kz, "w-customer-days", kinds=["event.deliver"]).run_burst():
        pass


def test_the_card_follows_interactions_recorded_changed_and_inserted(kz: Kizuna, ws: Any) -> None:
    w = ws.workspace.id
    (alice,) = add_customers(kz, w, 1)
    march = DashboardFilter(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    with kz.session() as session:
        rebuild_rollups(session, w)
        customer = session.get(Customer, alice)
        assert customer is not None and customer.external_id
        ref = customer.external_id
    order = {
        "external_id": "o1",
        "customer_ref": ref,
        "occurred_at": "2026-03-05T10:00:00+09:00",
        "kind": "purchase",
        "channel": "web",
        "amount": 1200,
    }
    with kz.session() as session:
        record_interaction(session, ws.workspace, order, source="shop")
    _deliver(kz)
    seen = _value(kz, w, march)
    assert (seen["buyers"], seen["revenue"], seen["active"]) == (1, 1200.0, 1)
    # The same order again with another amount: changed in place, same id.
    with kz.session() as session:
        record_interaction(session, ws.workspace, {**order, "amount": 900}, source="shop")
    _deliver(kz)
    assert _value(kz, w, march)["revenue"] == 900.0
    # Written in bulk (no event): the next refresh, as a dashboard view runs it, finds it.
    with kz.engine.begin() as conn:
        conn.execute(
            insert(Interaction.__table__),
            [
                {
                    "workspace_id": w,
                    "source": "bulk",
                    "external_id": "e1",
                    "customer_id": alice,
                    "occurred_at": _at(dt.date(2026, 3, 20), 3),
                    "occurred_on": dt.date(2026, 3, 20),
                    "channel": "event",
                    "kind": "event_attendance",
                    "amount": None,
                }
            ],
        )
    assert _value(kz, w, march)["event_participants"] == 0  # not yet counted
    with kz.session() as session:
        refresh_rollups(session, w)
    seen = _value(kz, w, march)
    assert (seen["event_participants"], seen["participants"], seen["revenue"]) == (1, 1, 900.0)


def test_rollups_counted_before_the_customer_days_get_them_at_the_next_refresh(
    kz: Kizuna, ws: Any
) -> None:
    """What an upgraded database holds: rollups, no customer days, no interaction mark."""
    w = ws.workspace.id
    _fill(kz, w, seed=11)
    spring = DashboardFilter(dt.date(2026, 2, 1), dt.date(2026, 5, 31))
    with kz.session() as session:
        rebuild_rollups(session, w)
    before = _value(kz, w, spring)
    with kz.engine.begin() as conn:
        conn.execute(delete(DashboardCustomerDay).where(DashboardCustomerDay.workspace_id == w))
        conn.execute(
            update(DashboardState)
            .where(DashboardState.workspace_id == w)
            .values(interaction_mark=None)
        )
    assert _value(kz, w, spring)["buyers"] == 0
    with kz.session() as session:
        refresh_rollups(session, w)
    assert _value(kz, w, spring) == before == _direct(kz, w, spring, None)
