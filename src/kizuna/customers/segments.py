"""Segments: saved filters over customers' attributes, lifecycle, scores and predictions.

A segment is a list of conditions `{"field", "op", "value"}` that must all hold, in the one
condition language of rules, segments and next best actions (`kizuna.analytics.conditions`).
They are validated against `SEGMENT_FIELDS` (bilingual InvalidInput on a bad field, operator
or value) and compiled to SQLAlchemy expressions on customer LEFT JOIN customer_score, so
counts are one SQL COUNT on every engine. Only surviving customers count (a person merged
from several records is one customer). `ne` keeps customers whose value is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.analytics.conditions import compile_sql
from kizuna.analytics.conditions import validate_conditions as check_conditions
from kizuna.customers.models import Customer, CustomerScore, Segment
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "SEGMENT_FIELDS",
    "Segment",
    "count_customers",
    "create_segment",
    "customers_in_segment",
    "delete_segment",
    "get_segment",
    "list_segments",
    "segment_customer_ids",
    "segment_query",
    "update_segment",
    "validate_conditions",
]

SEGMENT_FIELDS: dict[str, str] = {
    "age_band": "text",
    "gender": "text",
    "prefecture": "text",
    "life_stage": "text",
    "lifecycle_stage": "text",
    "interests": "list",
    "consent_email": "bool",
    "consent_analysis": "bool",
    "clv_12m": "number",
    "clv_percentile": "number",
    "churn_probability": "number",
    "p_alive": "number",
    "expected_purchases_90d": "number",
    "nps_last": "number",
    "frequency": "number",
    "recency_days": "number",
    "monetary_value": "number",
    # issue 13: a persona id (kizuna.personas); the customer's row of persona_member
    "persona": "number",
}
_OPS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "in"),
    "bool": ("eq", "ne"),
    "number": ("eq", "ne", "in", "gte", "lte"),
    "list": ("contains",),
}
_SCORE_FIELDS = {
    "clv_12m",
    "clv_percentile",
    "churn_probability",
    "p_alive",
    "expected_purchases_90d",
    "nps_last",
    "frequency",
    "recency_days",
    "monetary_value",
}


def validate_conditions(conditions: Any) -> list[dict[str, Any]]:
    """The conditions, checked and normalised; InvalidInput names the first faulty one.

    The one condition language (`kizuna.analytics.conditions`), limited to a flat list and
    the operators the segment builder offers.
    """
    checked: list[dict[str, Any]] = check_conditions(
        conditions, SEGMENT_FIELDS, ops=_OPS, allow_groups=False
    )
    return checked


def _column(field: str) -> Any:
    if field == "persona":
        return _persona_column()
    return getattr(CustomerScore if field in _SCORE_FIELDS else Customer, field)


def _persona_column() -> Any:
    """The customer's persona id (issue 13), NULL without one: `ne` keeps those, as elsewhere."""
    from kizuna.personas.models import PersonaMember

    return (
        select(PersonaMember.persona_id)
        .where(
            PersonaMember.workspace_id == Customer.workspace_id,
            PersonaMember.customer_id == Customer.id,
        )
        .correlate(Customer)
        .scalar_subquery()
    )


def segment_query(
    session: Session, workspace: Workspace, conditions: Any, what: Any
) -> Select[Any]:
    """SELECT `what` FROM the surviving customers meeting the conditions, scores joined: the
    one query every count, list and filter by segment builds on (the explorer's and the
    dashboard's segment filters too), so they all count the same customers."""
    checked = validate_conditions(conditions)
    dialect = session.get_bind().dialect.name
    joined = and_(
        CustomerScore.customer_id == Customer.id, CustomerScore.workspace_id == workspace.id
    )
    return (
        select(what)
        .select_from(Customer)
        .outerjoin(CustomerScore, joined)
        .where(Customer.workspace_id == workspace.id, Customer.merged_into_id.is_(None))
        .where(compile_sql(checked, _column, dialect))
    )


def count_customers(
    session: Session, workspace: Workspace, conditions: list[dict[str, Any]]
) -> int:
    """How many surviving customers meet every condition (one SQL COUNT)."""
    return int(session.scalar(segment_query(session, workspace, conditions, func.count())) or 0)


def segment_customer_ids(
    session: Session,
    workspace: Workspace,
    conditions: list[dict[str, Any]],
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[int]:
    """Ids of the customers meeting the conditions, by id."""
    query = segment_query(session, workspace, conditions, Customer.id).order_by(Customer.id)
    return [int(i) for i in session.scalars(query.limit(limit).offset(offset))]


def customers_in_segment(
    session: Session,
    workspace: Workspace,
    conditions: list[dict[str, Any]],
    among: list[int],
) -> set[int]:
    """Which of these customer ids meet the conditions (rules ask this per batch of voices)."""
    if not among:
        return set()
    query = segment_query(session, workspace, conditions, Customer.id)
    return {int(i) for i in session.scalars(query.where(Customer.id.in_(among)))}


def _check_name(session: Session, workspace: Workspace, name: Any, own_id: int | None) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise InvalidInput(
            "A segment needs a name of 1 to 200 characters.",
            "セグメント名は1〜200文字で指定してください。",
        )
    clash = session.scalar(
        select(Segment.id).where(Segment.workspace_id == workspace.id, Segment.name == name.strip())
    )
    if clash is not None and clash != own_id:
        raise Conflict(
            f"A segment named {name.strip()!r} already exists. Choose another name or edit it.",
            f"セグメント「{name.strip()}」はすでにあります。別の名前にするか、既存のものを編集してください。",
            segment_id=clash,
        )
    return name.strip()


def create_segment(
    session: Session,
    workspace: Workspace,
    name: str,
    conditions: list[dict[str, Any]],
    *,
    actor: str = "system",
) -> Segment:
    """Save a segment (conditions validated; InvalidInput in Japanese and English); audited."""
    checked = validate_conditions(conditions)
    segment = Segment(
        workspace_id=workspace.id,
        name=_check_name(session, workspace, name, None),
        conditions=checked,
    )
    session.add(segment)
    session.flush()
    record_audit(session, workspace, actor, "segment.create", f"segment:{segment.id}")
    return segment


def _get(session: Session, workspace: Workspace, segment_id: int) -> Segment:
    found = session.scalar(
        select(Segment).where(Segment.workspace_id == workspace.id, Segment.id == segment_id)
    )
    if found is None:
        raise NotFound(
            f"Segment {segment_id} does not exist in this workspace. See the list of segments.",
            f"セグメント {segment_id} はこのワークスペースにありません。セグメント一覧を確認してください。",
            segment_id=segment_id,
        )
    return found


def update_segment(
    session: Session,
    workspace: Workspace,
    segment_id: int,
    *,
    name: str | None = None,
    conditions: list[dict[str, Any]] | None = None,
    actor: str = "system",
) -> Segment:
    """Rename a segment or replace its conditions; audited."""
    segment = _get(session, workspace, segment_id)
    if name is not None:
        segment.name = _check_name(session, workspace, name, segment.id)
    if conditions is not None:
        segment.conditions = validate_conditions(conditions)
    segment.updated_at = utcnow()
    session.flush()
    record_audit(session, workspace, actor, "segment.update", f"segment:{segment.id}")
    return segment


def delete_segment(
    session: Session, workspace: Workspace, segment_id: int, *, actor: str = "system"
) -> None:
    """Delete a segment (customers are not touched); audited."""
    session.delete(_get(session, workspace, segment_id))
    session.flush()
    record_audit(session, workspace, actor, "segment.delete", f"segment:{segment_id}")


def get_segment(session: Session, workspace: Workspace, segment_id: int) -> Segment:
    return _get(session, workspace, segment_id)


def list_segments(session: Session, workspace: Workspace) -> list[tuple[Segment, int]]:
    """Every segment of the workspace by name, with its live count."""
    segments: Sequence[Segment] = session.scalars(
        select(Segment).where(Segment.workspace_id == workspace.id).order_by(Segment.name)
    ).all()
    return [(s, count_customers(session, workspace, list(s.conditions))) for s in segments]
