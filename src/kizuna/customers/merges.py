"""Reading and undoing merges: who is one person, and putting a record back on its own.

Active merges (`customer_merge` rows without `undone_at`) form a forest: each absorbed
customer points at the survivor it joined. `customer.merged_into_id` always holds the
forest's root, so readers need one column. `unmerge_customer` cuts one edge: the customer
and everything that was absorbed into it before come back exactly as they were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.customers.bulk import table_of
from kizuna.customers.events import CustomersMerged
from kizuna.customers.models import Customer, CustomerMerge
from kizuna.db.base import utcnow
from kizuna.errors import InvalidInput, NotFound
from kizuna.jobs.events import raise_event

__all__ = [
    "canonical_customer_ids",
    "customer_group",
    "group_merges",
    "held_apart_roots",
    "unmerge_customer",
]

_CHUNK = 10_000


def canonical_customer_ids(
    session: Session, workspace: Workspace, ids: Iterable[int]
) -> dict[int, int]:
    """Map each given customer id to its person's surviving customer id (unknown ids left out)."""
    wanted = sorted(set(ids))
    found: dict[int, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.execute(
            select(Customer.id, func.coalesce(Customer.merged_into_id, Customer.id)).where(
                Customer.workspace_id == workspace.id, Customer.id.in_(chunk)
            )
        ).all()
        found.update((int(cid), int(root)) for cid, root in rows)
    return found


def customer_group(session: Session, workspace: Workspace, customer_id: int) -> list[int]:
    """Every customer record of the same person, survivor first, then by id."""
    root = canonical_customer_ids(session, workspace, [customer_id]).get(customer_id)
    if root is None:
        raise _not_found(customer_id)
    members = session.scalars(
        select(Customer.id)
        .where(Customer.workspace_id == workspace.id, Customer.merged_into_id == root)
        .order_by(Customer.id)
    ).all()
    return [root, *members]


def group_merges(session: Session, workspace: Workspace, customer_id: int) -> list[CustomerMerge]:
    """The active merges that made this customer's group, oldest first (for the profile)."""
    group = customer_group(session, workspace, customer_id)
    return list(
        session.scalars(
            select(CustomerMerge)
            .where(
                CustomerMerge.workspace_id == workspace.id,
                CustomerMerge.absorbed_id.in_(group),
                CustomerMerge.undone_at.is_(None),
            )
            .order_by(CustomerMerge.merged_at, CustomerMerge.id)
        )
    )


def held_apart_roots(session: Session, workspace: Workspace) -> set[int]:
    """Customers a person unmerged and that stand on their own: resolve leaves their groups be."""
    rows = session.scalars(
        select(CustomerMerge.absorbed_id)
        .join(Customer, Customer.id == CustomerMerge.absorbed_id)
        .where(
            CustomerMerge.workspace_id == workspace.id,
            CustomerMerge.undone_at.is_not(None),
            Customer.merged_into_id.is_(None),
        )
        .distinct()
    ).all()
    return {int(r) for r in rows}


def unmerge_customer(
    session: Session, workspace: Workspace, customer_id: int, actor: str = "system"
) -> list[int]:
    """Undo the merge that absorbed this customer; return the records restored with it.

    What had been merged into this customer before stays with it, so the result is the
    state before the merge. The customer is then held apart from automatic resolution.
    """
    merge = session.scalar(
        select(CustomerMerge).where(
            CustomerMerge.workspace_id == workspace.id,
            CustomerMerge.absorbed_id == customer_id,
            CustomerMerge.undone_at.is_(None),
        )
    )
    if merge is None:
        if customer_id not in canonical_customer_ids(session, workspace, [customer_id]):
            raise _not_found(customer_id)
        raise InvalidInput(
            f"Customer {customer_id} was not merged into another customer, so there is nothing "
            "to undo. Give the id of an absorbed record (see `kizuna customers group`).",
            f"顧客 {customer_id} は他の顧客に統合されていないため、取り消す統合はありません。"
            "統合された側のIDを指定してください(`kizuna customers group` で確認できます)。",
            customer_id=customer_id,
        )
    root = session.scalar(select(Customer.merged_into_id).where(Customer.id == customer_id))
    edges = session.execute(
        select(CustomerMerge.absorbed_id, CustomerMerge.survivor_id)
        .join(Customer, Customer.id == CustomerMerge.absorbed_id)
        .where(
            CustomerMerge.workspace_id == workspace.id,
            CustomerMerge.undone_at.is_(None),
            Customer.merged_into_id == root,
        )
    ).all()
    children: dict[int, list[int]] = defaultdict(list)
    for absorbed, survivor in edges:
        children[int(survivor)].append(int(absorbed))
    subtree, stack = [], [customer_id]
    while stack:
        node = stack.pop()
        subtree.append(node)
        stack.extend(children.get(node, []))
    merge.undone_at = utcnow()
    table = table_of(Customer)
    c = table.c
    keep_time = {"updated_at": c.updated_at}
    session.execute(
        update(table)
        .where(c.workspace_id == workspace.id, c.id == customer_id)
        .values(merged_into_id=None, **keep_time)
    )
    if len(subtree) > 1:
        session.execute(
            update(table)
            .where(c.workspace_id == workspace.id, c.id.in_(subtree[1:]))
            .values(merged_into_id=customer_id, **keep_time)
        )
    restored = {member: merge.survivor_id for member in subtree}
    raise_event(session, CustomersMerged(workspace_id=workspace.id, merged=restored, undone=True))
    record_audit(
        session,
        workspace,
        actor,
        "customers.unmerge",
        f"customer:{customer_id}",
        customer_id=customer_id,
        survivor_id=merge.survivor_id,
        restored=sorted(subtree),
    )
    return sorted(subtree)


def _not_found(customer_id: int) -> NotFound:
    return NotFound(
        f"Customer {customer_id} does not exist in this workspace. Check the id on the "
        "customer's page, and the workspace you chose.",
        f"顧客 {customer_id} はこのワークスペースに存在しません。"
        "顧客ページのIDと、指定したワークスペースを確認してください。",
        customer_id=customer_id,
    )
