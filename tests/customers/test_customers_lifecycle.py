"""Lifecycle stages: the pure rules on hand-made customers, then the stored service."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.analytics.lifecycle import LifecycleRules, assign_stages, load_rules
from kizuna.customers.lifecycle import lifecycle_flows, stage_counts, update_lifecycle
from kizuna.customers.models import Customer, Interaction
from kizuna.customers.resolve import resolve_identities
from kizuna.errors import InvalidInput

AS_OF = dt.date(2025, 6, 30)


def days_ago(n: int | None) -> pd.Timestamp | None:
    return None if n is None else pd.Timestamp(AS_OF - dt.timedelta(days=n))


def row(first: int | None, last: int | None, n365: int, total: int, previous=None, **extra):  # type: ignore[no-untyped-def]
    return {
        "first_purchase": days_ago(first),
        "last_purchase": days_ago(last),
        "purchases_365d": n365,
        "purchases_total": total,
        "previous_stage": previous,
        **extra,
    }


@pytest.mark.parametrize(
    ("customer", "stage"),
    [
        (row(None, None, 0, 0), "prospect"),
        (row(30, 30, 1, 1), "new"),
        (row(400, 100, 2, 3), "active"),
        (row(300, 20, 4, 4), "loyal"),
        (row(1000, 60, 1, 8), "loyal"),  # tenure > 2 years with >= 6 purchases
        (row(500, 200, 1, 2), "at-risk"),
        (row(500, 20, 2, 3, p_alive=0.1), "at-risk"),  # predicted to have left
        (row(900, 400, 0, 2), "lapsed"),
        (row(900, 10, 1, 3, "lapsed"), "won-back"),
        (row(900, 10, 1, 2, gap_before_last_days=500.0), "won-back"),  # no history needed
        (row(900, 40, 2, 4, "won-back"), "won-back"),  # holds while buying again
        (row(900, 10, 4, 8, "lapsed"), "loyal"),  # a returner who buys often is loyal
    ],
)
def test_each_stage_from_its_rule(customer: dict[str, object], stage: str) -> None:
    frame = pd.DataFrame([{"customer_id": 1, **customer}])
    assert assign_stages(frame, AS_OF).tolist() == [stage]


def test_thresholds_are_configurable_from_yaml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame([{"customer_id": 1, **row(120, 120, 1, 1)}])
    assert assign_stages(frame, AS_OF).tolist() == ["active"]
    path = tmp_path / "rules.yaml"
    path.write_text("new_days: 150\n", encoding="utf-8")
    assert assign_stages(frame, AS_OF, load_rules(path)).tolist() == ["new"]
    path.write_text("new_dayz: 150\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="new_dayz") as unknown:
        load_rules(path)
    assert "閾値" in unknown.value.message("ja")
    with pytest.raises(InvalidInput):
        LifecycleRules(at_risk_days=400, lapsed_days=365)


def add_person(kz: Kizuna, workspace, key: str, purchases: list[dt.date], email=None) -> int:  # type: ignore[no-untyped-def]
    with kz.session() as session:
        customer = Customer(workspace_id=workspace.id, source="crm", external_id=key, email=email)
        session.add(customer)
        session.flush()
        for n, day in enumerate(purchases):
            session.add(
                Interaction(
                    workspace_id=workspace.id,
                    source="shop",
                    external_id=f"{key}-{n}",
                    customer_id=customer.id,
                    occurred_at=dt.datetime(day.year, day.month, day.day, 3, tzinfo=dt.UTC),
                    occurred_on=day,
                    channel="store",
                    kind="purchase",
                )
            )
        return customer.id


def test_stages_are_stored_and_flows_compare_months(kz: Kizuna, ws) -> None:
    d = dt.date
    lapsed_then_back = add_person(kz, ws.workspace, "back", [d(2023, 1, 10), d(2024, 6, 5)])
    newcomer = add_person(kz, ws.workspace, "new", [d(2024, 5, 20)])
    prospect = add_person(kz, ws.workspace, "prospect", [])
    with kz.session() as session:
        may = update_lifecycle(session, ws.workspace, d(2024, 5, 31))
    assert may.counts["lapsed"] == 1 and may.counts["new"] == 1 and may.counts["prospect"] == 1
    with kz.session() as session:
        june = update_lifecycle(session, ws.workspace, d(2024, 6, 30))
        stored = dict(
            session.execute(
                select(Customer.id, Customer.lifecycle_stage).where(
                    Customer.workspace_id == ws.workspace.id
                )
            ).all()
        )
        flows = {
            (f.from_stage, f.to_stage): f.customers
            for f in lifecycle_flows(session, ws.workspace, d(2024, 5, 1), d(2024, 6, 1))
        }
        counts = stage_counts(session, ws.workspace)
    assert stored == {lapsed_then_back: "won-back", newcomer: "new", prospect: "prospect"}
    assert june.counts == counts
    assert flows == {("lapsed", "won-back"): 1, ("new", "new"): 1, ("prospect", "prospect"): 1}


def test_merged_records_count_as_one_person(kz: Kizuna, ws) -> None:
    d = dt.date
    first = add_person(kz, ws.workspace, "a", [d(2024, 1, 5), d(2024, 3, 1)], "p@example.jp")
    second = add_person(kz, ws.workspace, "b", [d(2024, 4, 1), d(2024, 5, 1)], "P@example.jp")
    with kz.session() as session:
        resolve_identities(session, ws.workspace)
        result = update_lifecycle(session, ws.workspace, d(2024, 6, 1))
        stages = session.execute(
            select(Customer.id, Customer.lifecycle_stage).where(
                Customer.workspace_id == ws.workspace.id
            )
        ).all()
    assert sum(result.counts.values()) == 1 and result.counts["loyal"] == 1
    assert sorted(stages) == sorted([(first, "loyal"), (second, None)])
