"""Helpers the identity-resolution tests share: customers in, resolve, identities and groups out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.merges import canonical_customer_ids
from kizuna.customers.models import Customer, Identity
from kizuna.customers.resolve import ResolveReport, resolve_identities


def add_customers(kz: Kizuna, workspace: Workspace, *records: dict[str, str]) -> list[int]:
    """Insert customers in order (ids ascend); each record gives source/external_id/..."""
    with kz.session() as session:
        made = [Customer(workspace_id=workspace.id, **record) for record in records]
        session.add_all(made)
        session.flush()
        return [c.id for c in made]


def resolve(kz: Kizuna, workspace: Workspace, **options: Any) -> ResolveReport:
    with kz.session() as session:
        found = session.get(Workspace, workspace.id)
        assert found is not None
        return resolve_identities(session, found, **options)


def stored_identities(kz: Kizuna, workspace: Workspace) -> set[tuple[int, str, str]]:
    """The workspace's identity rows as (customer id, kind, normalised value)."""
    with kz.session() as session:
        rows = session.execute(
            select(Identity.customer_id, Identity.kind, Identity.value_normalized).where(
                Identity.workspace_id == workspace.id
            )
        ).all()
    return {(int(c), k, v) for c, k, v in rows}


def groups(kz: Kizuna, workspace: Workspace, ids: list[int]) -> dict[int, int]:
    """Each customer id -> the id of the person (group survivor) it belongs to."""
    with kz.session() as session:
        return canonical_customer_ids(session, workspace, ids)
