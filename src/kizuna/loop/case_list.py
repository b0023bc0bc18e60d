"""The case inbox: filters, a page of the cases a viewer may see (most urgent first), and
giving many of them to one person at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.errors import NotFound
from kizuna.loop.cases import CaseViewer, _visible, change_case, get_case
from kizuna.loop.departments import require_member
from kizuna.loop.models import CASE_STATUSES, OPEN_STATUSES, Case
from kizuna.settings import Settings

__all__ = ["MAX_PAGE", "BulkResult", "CaseFilters", "CasePage", "assign_cases", "list_cases"]

MAX_PAGE = 200


@dataclass
class CaseFilters:
    """Inbox filters; every one optional. `owner`: a user id, 'me' or 'none'."""

    status: str | None = None  # a status, or "open" for every open one
    department_id: int | None = None
    priority: int | None = None
    owner: str | None = None
    breached: bool = False
    q: str | None = None
    rule_id: int | None = None

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> CaseFilters:
        def number(key: str) -> int | None:
            raw = values.get(key)
            try:
                return int(raw) if raw not in (None, "") else None
            except (TypeError, ValueError):
                return None

        status = values.get("status") or None
        if status not in (None, "open", *CASE_STATUSES):
            status = None
        return cls(
            status=status,
            department_id=number("department_id"),
            priority=number("priority"),
            owner=str(values["owner"]) if values.get("owner") else None,
            breached=str(values.get("breached", "")).lower() in ("1", "true", "on", "yes"),
            q=str(values["q"])[:200] if values.get("q") else None,
            rule_id=number("rule_id"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False, "")}


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    total: int
    page: int
    page_size: int

    @property
    def more(self) -> bool:
        return self.page * self.page_size < self.total


def list_cases(
    session: Session,
    workspace: Workspace,
    viewer: CaseViewer,
    filters: CaseFilters | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
    now: dt.datetime | None = None,
) -> CasePage:
    """A page of the cases the viewer may see: most urgent first, then oldest first."""
    filters = filters or CaseFilters()
    page, page_size = max(1, page), max(1, min(page_size, MAX_PAGE))
    where: list[ColumnElement[bool]] = [_visible(session, workspace, viewer)]
    if filters.status == "open":
        where.append(Case.status.in_(OPEN_STATUSES))
    elif filters.status:
        where.append(Case.status == filters.status)
    if filters.department_id is not None:
        where.append(Case.department_id == filters.department_id)
    if filters.priority is not None:
        where.append(Case.priority == filters.priority)
    if filters.rule_id is not None:
        where.append(Case.rule_id == filters.rule_id)
    if filters.owner == "me":
        where.append(Case.owner_id == viewer.user_id if viewer.user_id is not None else false())
    elif filters.owner == "none":
        where.append(Case.owner_id.is_(None))
    elif filters.owner and filters.owner.isdigit():
        where.append(Case.owner_id == int(filters.owner))
    if filters.breached:
        moment = now or utcnow()
        where.append(
            or_(
                and_(Case.first_responded_at.is_(None), Case.first_response_due < moment),
                and_(
                    Case.resolved_at.is_(None),
                    Case.paused_at.is_(None),
                    Case.resolution_due < moment,
                ),
            )
        )
        where.append(Case.status.in_(OPEN_STATUSES))
    if filters.q:
        where.append(func.lower(Case.title).contains(filters.q.lower(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    items = list(
        session.scalars(
            select(Case)
            .where(*where)
            .order_by(Case.priority, Case.opened_at, Case.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    return CasePage(items, int(total), page, page_size)


@dataclass
class BulkResult:
    assigned: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def assign_cases(
    session: Session,
    workspace: Workspace,
    case_ids: Sequence[int],
    owner_id: int,
    *,
    viewer: CaseViewer,
    settings: Settings | None = None,
) -> BulkResult:
    """Give many cases to one person (cases the viewer cannot see, or closed, are skipped)."""
    require_member(session, workspace, owner_id)
    result = BulkResult()
    for case_id in dict.fromkeys(case_ids):
        try:
            case = get_case(session, workspace, int(case_id), viewer)
        except NotFound:
            result.skipped.append(int(case_id))
            continue
        if case.status not in OPEN_STATUSES:
            result.skipped.append(case.id)
            continue
        change_case(
            session,
            workspace,
            case.id,
            viewer=viewer,
            version=None,
            owner_id=owner_id,
            settings=settings,
        )
        result.assigned.append(case.id)
    return result
