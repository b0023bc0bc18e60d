"""Saved inbox views: a person's named filters of the case inbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.errors import InvalidInput, NotFound
from kizuna.loop.case_list import CaseFilters
from kizuna.loop.models import SavedView

__all__ = ["delete_view", "list_views", "save_view"]


def save_view(
    session: Session, workspace: Workspace, user_id: int | None, name: str, filters: CaseFilters
) -> SavedView:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(
            "A view needs a name of 1 to 100 characters.",
            "ビュー名は1〜100文字で指定してください。",
        )
    view = SavedView(
        workspace_id=workspace.id, user_id=user_id, name=name, filters=filters.as_dict()
    )
    session.add(view)
    session.flush()
    return view


def list_views(session: Session, workspace: Workspace, user_id: int | None) -> list[SavedView]:
    query = select(SavedView).where(SavedView.workspace_id == workspace.id)
    query = (
        query.where(SavedView.user_id == user_id)
        if user_id is not None
        else query.where(SavedView.user_id.is_(None))
    )
    return list(session.scalars(query.order_by(SavedView.name)))


def delete_view(session: Session, workspace: Workspace, user_id: int | None, view_id: int) -> None:
    view = session.scalar(
        select(SavedView).where(SavedView.workspace_id == workspace.id, SavedView.id == view_id)
    )
    if view is None or view.user_id != user_id:
        raise NotFound(
            f"Saved view {view_id} does not exist.", f"保存したビュー {view_id} はありません。"
        )
    session.delete(view)
