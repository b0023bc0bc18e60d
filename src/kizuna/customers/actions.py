"""Next best actions for customers: facts from the profile, scores and dates, judged by rules.

The rules are data (`kizuna/analytics/data/actions.yaml`, evaluated by the pure engine in
`kizuna.analytics.actions`); pass `rules=load_action_rules(path)` to use a workspace's own.
Facts per surviving customer, as of `as_of` (default: `scores.default_as_of`):

- nps_last, clv_12m, clv_percentile, churn_probability, p_alive, expected_purchases_90d:
  the latest stored scores (`kizuna customers score`); None before the first scoring.
- lifecycle_stage: stored by the lifecycle run; life_stage from the customer record.
- previous_life_stage: Kizuna keeps no history of attribute values, so a change of life
  stage is read from `attributes["previous_life_stage"]`, which the import (or the CRM
  behind it) sets when it overwrites the life stage. life_stage_changed is true when both
  are known and differ.
- days_to_birthday: days until the next birthday on or after as_of (29 Feb: 28 Feb in
  other years); days_since_first_purchase and purchases_total from purchases and stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.analytics.actions import (
    ActionRule,
    Suggestion,
    evaluate_rules,
    load_action_rules,
    suggestion,
)
from kizuna.customers.lifecycle import PURCHASE_KINDS
from kizuna.customers.merges import customer_group
from kizuna.customers.models import Customer, CustomerScore, Interaction
from kizuna.customers.scores import default_as_of

__all__ = ["Action", "action_worklist", "customer_facts", "next_best_actions"]


@dataclass(frozen=True)
class Action:
    """One suggested action for one customer, with why (Japanese and English)."""

    customer_id: int
    code: str
    title_ja: str
    title_en: str
    reason_ja: str
    reason_en: str
    priority: int
    due_within_hours: int | None


@lru_cache(maxsize=1)
def _builtin_rules() -> tuple[ActionRule, ...]:
    return tuple(load_action_rules())


def next_best_actions(
    session: Session,
    workspace: Workspace,
    customer_id: int,
    *,
    as_of: dt.date | None = None,
    rules: Sequence[ActionRule] | None = None,
) -> list[Action]:
    """What to do for this customer (any record of the person), most urgent first."""
    root = customer_group(session, workspace, customer_id)[0]
    as_of = as_of or default_as_of(session, workspace)
    facts = customer_facts(session, workspace, as_of, [root]).get(root, {})
    return _actions(root, facts, rules)


def action_worklist(
    session: Session,
    workspace: Workspace,
    *,
    as_of: dt.date | None = None,
    limit: int = 100,
    codes: Sequence[str] | None = None,
    rules: Sequence[ActionRule] | None = None,
) -> list[Action]:
    """Actions across all customers: most urgent first, then the most valuable customer.

    Each rule's condition is evaluated once over a frame of every customer's facts
    (`evaluate_frame`, which agrees with the one-customer `matches` row by row); only the
    actions that fire are filled in."""
    from kizuna.analytics.conditions import evaluate_frame

    as_of = as_of or default_as_of(session, workspace)
    facts = customer_facts(session, workspace, as_of, None)
    chosen = [
        r for r in (_builtin_rules() if rules is None else rules) if not codes or r.code in codes
    ]
    if not facts or not chosen:
        return []
    import pandas as pd

    ids = list(facts)
    frame = pd.DataFrame.from_records(list(facts.values()))
    cache: dict[tuple[str, str], Any] = {}
    ranked: list[tuple[tuple[int, int, float, int, str], Action]] = []
    for rule in chosen:
        due = rule.due_within_hours if rule.due_within_hours is not None else 10**6
        for at in evaluate_frame(rule.when, frame, cache).nonzero()[0].tolist():
            cid = ids[at]
            value = float(facts[cid].get("clv_12m") or 0.0)
            action = _action(cid, suggestion(rule, facts[cid]))
            ranked.append(((rule.priority, due, -value, cid, rule.code), action))
    ranked.sort(key=lambda pair: pair[0])
    return [action for _, action in ranked[: max(limit, 0)]]


def _action(customer_id: int, s: Suggestion) -> Action:
    return Action(
        customer_id=customer_id,
        code=s.code,
        title_ja=s.title_ja,
        title_en=s.title_en,
        reason_ja=s.reason_ja,
        reason_en=s.reason_en,
        priority=s.priority,
        due_within_hours=s.due_within_hours,
    )


def _actions(
    customer_id: int, facts: dict[str, Any], rules: Sequence[ActionRule] | None
) -> list[Action]:
    chosen = _builtin_rules() if rules is None else rules
    return [_action(customer_id, s) for s in evaluate_rules(chosen, facts)]


def customer_facts(
    session: Session, workspace: Workspace, as_of: dt.date, customer_ids: list[int] | None
) -> dict[int, dict[str, Any]]:
    """Facts the rules see, per surviving customer (all of them when `customer_ids` is None)."""
    score = CustomerScore
    query = (
        select(
            Customer.id,
            Customer.birthday,
            Customer.life_stage,
            # Read out of the JSON by the database: parsing every customer's attributes
            # in Python cost more than evaluating all the rules.
            Customer.attributes["previous_life_stage"].as_string().label("previous"),
            Customer.lifecycle_stage,
            Customer.consent_email,
            score.nps_last,
            score.clv_12m,
            score.clv_percentile,
            score.churn_probability,
            score.p_alive,
            score.expected_purchases_90d,
        )
        .outerjoin(score, (score.customer_id == Customer.id) & (score.workspace_id == workspace.id))
        .where(Customer.workspace_id == workspace.id, Customer.merged_into_id.is_(None))
    )
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    facts: dict[int, dict[str, Any]] = {}
    for row in session.execute(query):
        previous = row.previous
        facts[int(row.id)] = {
            "nps_last": row.nps_last,
            "clv_12m": row.clv_12m,
            "clv_percentile": row.clv_percentile,
            "churn_probability": row.churn_probability,
            "p_alive": row.p_alive,
            "expected_purchases_90d": row.expected_purchases_90d,
            "lifecycle_stage": row.lifecycle_stage,
            "consent_email": bool(row.consent_email),
            "life_stage": row.life_stage,
            "previous_life_stage": previous,
            "life_stage_changed": bool(previous and row.life_stage and previous != row.life_stage),
            "days_to_birthday": days_to_birthday(row.birthday, as_of),
            "days_since_first_purchase": None,
            "purchases_total": 0,
        }
    _add_purchases(session, workspace, as_of, facts, customer_ids)
    return facts


def _add_purchases(
    session: Session,
    workspace: Workspace,
    as_of: dt.date,
    facts: dict[int, dict[str, Any]],
    only: list[int] | None,
) -> None:
    person = func.coalesce(Customer.merged_into_id, Customer.id)
    query = (
        select(person, func.min(Interaction.occurred_on), func.count())
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(
            Interaction.workspace_id == workspace.id,
            Interaction.kind.in_(PURCHASE_KINDS),
            Interaction.occurred_on <= as_of,
        )
        .group_by(person)
    )
    if only is not None:
        # The records of these people (their own and those merged into them), named by id,
        # so each one's interactions are read through the (workspace, customer) index
        # instead of every purchase of the workspace.
        records = select(Customer.id).where(
            Customer.workspace_id == workspace.id,
            or_(Customer.id.in_(only), Customer.merged_into_id.in_(only)),
        )
        members = list(session.scalars(records))
        if not members:
            return
        query = query.where(Interaction.customer_id.in_(members))
    for cid, first, count in session.execute(query):
        found = facts.get(int(cid))
        if found is not None:
            found["days_since_first_purchase"] = (as_of - first).days
            found["purchases_total"] = int(count)


def days_to_birthday(birthday: dt.date | None, as_of: dt.date) -> int | None:
    """Days from as_of to the next birthday (0 on the day itself)."""
    if birthday is None:
        return None
    for year in (as_of.year, as_of.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:  # 29 February in a common year
            day = dt.date(year, 2, 28)
        if day >= as_of:
            return (day - as_of).days
    return None
