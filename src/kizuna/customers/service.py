"""Use cases of the customers room: write one customer or interaction; list, search, get.

`upsert_customer` and `record_interaction` are the one way to write a single record outside
the bulk importer: both apply the import rules (`kizuna.ingest.single`), key the record by
(source, external_id), store it in the caller's transaction and raise its event. Every
query here is scoped to one workspace.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer, CustomerScore
from kizuna.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from kizuna.ingest.single import Written

__all__ = [
    "CUSTOMER_SORTS",
    "CustomerPage",
    "CustomerRow",
    "decode_cursor",
    "encode_cursor",
    "get_customer",
    "get_customers_by_ids",
    "list_customer_rows",
    "list_customer_rows_by_ids",
    "list_customers",
    "record_interaction",
    "upsert_customer",
]

MAX_PAGE = 500
CUSTOMER_SORTS = ("recent", "clv", "churn", "name")


@dataclass(frozen=True)
class CustomerPage:
    """One page of customers, ordered by id; `next_cursor` is None on the last page."""

    items: list[Customer]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"c:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "c":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "The cursor is not valid. Use the next_cursor of the previous page, or leave it out "
            "to start from the first page.",
            "cursor が正しくありません。前のページの next_cursor を使うか、省略して最初のページから取得してください。",
            cursor=cursor,
        ) from None


def list_customers(
    session: Session,
    workspace: Workspace,
    *,
    limit: int = 50,
    cursor: str | None = None,
    offset: int | None = None,
    q: str | None = None,
    email: str | None = None,
) -> CustomerPage:
    """Customers of the workspace, by id; `q` matches name, e-mail or external id.

    Keyset paging (`cursor`) stays fast on any page; `offset` is there for simple clients.
    """
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Customer).where(Customer.workspace_id == workspace.id)
    if email:
        query = query.where(func.lower(Customer.email) == email.strip().lower())
    if q:
        query = query.where(_matches(q))
    if cursor:
        query = query.where(Customer.id > decode_cursor(cursor))
    query = query.order_by(Customer.id).limit(limit + 1)
    if offset and not cursor:
        query = query.offset(offset)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    items = rows[:limit]
    return CustomerPage(items, encode_cursor(items[-1].id) if more and items else None)


def _matches(q: str) -> ColumnElement[bool]:
    needle = q.strip().lower()
    return or_(
        func.lower(Customer.name).contains(needle, autoescape=True),
        func.lower(Customer.email).contains(needle, autoescape=True),
        func.lower(Customer.external_id).contains(needle, autoescape=True),
    )


@dataclass(frozen=True)
class CustomerRow:
    """A surviving customer and their latest scores (None before the first scoring)."""

    customer: Customer
    score: CustomerScore | None


def _with_scores(workspace: Workspace) -> Select[Customer, CustomerScore]:
    """The workspace's customers, each with their scores row (None before the first scoring)."""
    return (
        select(Customer, CustomerScore)
        .outerjoin(
            CustomerScore,
            (CustomerScore.workspace_id == Customer.workspace_id)
            & (CustomerScore.customer_id == Customer.id),
        )
        .where(Customer.workspace_id == workspace.id)
    )


def list_customer_rows(
    session: Session,
    workspace: Workspace,
    *,
    q: str | None = None,
    sort: str = "recent",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CustomerRow], bool]:
    """A page of people (absorbed records left out) with their scores, and whether more follow.

    `sort`: recent (newest customers first), clv (highest 12-month value first), churn
    (highest risk first) or name. Customers without scores come last.
    """
    limit = max(1, min(limit, MAX_PAGE))
    query = _with_scores(workspace).where(Customer.merged_into_id.is_(None))
    if q and q.strip():
        query = query.where(_matches(q))
    orders: dict[str, list[Any]] = {
        "clv": [CustomerScore.clv_12m.desc().nulls_last()],
        "churn": [CustomerScore.churn_probability.desc().nulls_last()],
        "name": [Customer.name.asc().nulls_last()],
    }
    query = (
        query.order_by(*orders.get(sort, []), Customer.id.desc())
        .offset(max(0, offset))
        .limit(limit + 1)
    )
    rows = [CustomerRow(customer, score) for customer, score in session.execute(query).all()]
    return rows[:limit], len(rows) > limit


def list_customer_rows_by_ids(
    session: Session, workspace: Workspace, ids: list[int]
) -> list[CustomerRow]:
    """Rows for these customer ids, in the order given (ids of other workspaces are dropped)."""
    if not ids:
        return []
    query = _with_scores(workspace).where(Customer.id.in_(set(ids)))
    found = {c.id: CustomerRow(c, s) for c, s in session.execute(query).all()}
    return [found[i] for i in ids if i in found]


def get_customers_by_ids(
    session: Session, workspace: Workspace, ids: list[int]
) -> dict[int, Customer]:
    """Customers of this workspace by id (ids of other workspaces are simply absent)."""
    if not ids:
        return {}
    found = session.scalars(
        select(Customer).where(Customer.workspace_id == workspace.id, Customer.id.in_(set(ids)))
    )
    return {customer.id: customer for customer in found}


def get_customer(session: Session, workspace: Workspace, customer_id: int) -> Customer:
    """One customer of this workspace; NotFound for another workspace's id as for a missing one."""
    found = session.scalar(
        select(Customer).where(Customer.workspace_id == workspace.id, Customer.id == customer_id)
    )
    if found is None:
        raise NotFound(
            f"Customer {customer_id} does not exist in this workspace. List customers with "
            "GET /api/v1/customers.",
            f"顧客 {customer_id} はこのワークスペースに存在しません。GET /api/v1/customers で一覧を確認してください。",
            customer_id=customer_id,
        )
    return found


def upsert_customer(
    session: Session,
    workspace: Workspace,
    record: Mapping[str, Any],
    *,
    source: str | None = None,
    actor: str = "system",
) -> Written:
    """Create or update one customer (keyed by source and external_id); audited.

    Checked by the import rules (e-mail, phone, dates, consent); raises `customer.recorded`
    when the row changed. InvalidInput says which field to fix.
    """
    from kizuna.ingest.single import write_record

    written = write_record(session, workspace, "customers", record, source=source)
    if written.status != "unchanged":
        action = f"customer.{written.status}"
        record_audit(session, workspace, actor, action, f"customer:{written.id}")
    return written


def record_interaction(
    session: Session,
    workspace: Workspace,
    record: Mapping[str, Any],
    *,
    source: str | None = None,
    actor: str = "system",
) -> Written:
    """Store one interaction (a stay, an order, a ticket) and raise `interaction.recorded`."""
    from kizuna.ingest.single import write_record

    written = write_record(session, workspace, "interactions", record, source=source)
    if written.status != "unchanged":
        action = f"interaction.{written.status}"
        record_audit(session, workspace, actor, action, f"interaction:{written.id}")
    return written
