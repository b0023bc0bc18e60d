"""Use cases of the customers room that the API reads: list and get customers.

Writes go through the ingest room (`kizuna.ingest.service.ingest_records`) so that the API and
file imports validate the same way. Every query here is scoped to one workspace.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.customers.models import Customer
from kizuna.errors import InvalidInput, NotFound

__all__ = ["CustomerPage", "decode_cursor", "encode_cursor", "get_customer", "list_customers"]

MAX_PAGE = 500


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
        needle = q.strip().lower()
        query = query.where(
            or_(
                func.lower(Customer.name).contains(needle, autoescape=True),
                func.lower(Customer.email).contains(needle, autoescape=True),
                func.lower(Customer.external_id).contains(needle, autoescape=True),
            )
        )
    if cursor:
        query = query.where(Customer.id > decode_cursor(cursor))
    query = query.order_by(Customer.id).limit(limit + 1)
    if offset and not cursor:
        query = query.offset(offset)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    items = rows[:limit]
    return CustomerPage(items, encode_cursor(items[-1].id) if more and items else None)


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
