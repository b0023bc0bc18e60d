"""Departments and their people: who works which cases, and who leads (escalations).

A user belongs to any number of departments of a workspace; a department has at most one
lead. People are workspace members; a removed or deleted user simply drops out (their
cases stay, see `kizuna.loop.cases`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Membership, User, Workspace
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.loop.models import Department, DepartmentMember

__all__ = [
    "DepartmentRow",
    "add_department_member",
    "create_department",
    "department_ids_of",
    "get_department",
    "list_departments",
    "member_names",
    "person_name",
    "remove_department_member",
    "require_member",
    "update_department",
]


@dataclass(frozen=True)
class DepartmentRow:
    department: Department
    lead_name: str | None
    members: list[tuple[int, str]]  # (user id, name)


def person_name(user: User) -> str:
    return user.display_name or user.email


def member_names(session: Session, workspace: Workspace) -> dict[int, str]:
    """User id -> name of every member of the workspace."""
    rows = session.execute(
        select(User.id, User.display_name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id)
        .order_by(User.display_name, User.email)
    )
    return {uid: display or email for uid, display, email in rows}


def require_member(session: Session, workspace: Workspace, user_id: int) -> User:
    """The user, if they are a member of the workspace; InvalidInput otherwise."""
    user = session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id, User.id == user_id)
    )
    if user is None or not user.is_active:
        raise InvalidInput(
            f"User {user_id} is not an active member of this workspace; choose a member.",
            f"ユーザー {user_id} はこのワークスペースのメンバーではありません。メンバーを選んでください。",
            user_id=user_id,
        )
    return user


def _check_name(session: Session, workspace: Workspace, name: str, own: int | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            "A department needs a name of 1 to 200 characters.",
            "部署名は1〜200文字で指定してください。",
        )
    clash = session.scalar(
        select(Department.id).where(
            Department.workspace_id == workspace.id, Department.name == name
        )
    )
    if clash is not None and clash != own:
        raise Conflict(
            f"A department named {name!r} already exists.",
            f"部署「{name}」はすでにあります。",
            department_id=clash,
        )
    return name


def create_department(
    session: Session,
    workspace: Workspace,
    name: str,
    *,
    lead_id: int | None = None,
    email: str | None = None,
    actor: str = "system",
) -> Department:
    """A new department (its lead, if given, becomes a member too); audited."""
    checked = _check_name(session, workspace, name, None)
    if lead_id is not None:
        require_member(session, workspace, lead_id)
    department = Department(
        workspace_id=workspace.id, name=checked, email=(email or "").strip() or None
    )
    session.add(department)
    session.flush()
    if lead_id is not None:
        department.lead_id = lead_id
        _add(session, workspace, department.id, lead_id)
    record_audit(session, workspace, actor, "department.create", f"department:{department.id}")
    return department


def get_department(session: Session, workspace: Workspace, department_id: int) -> Department:
    found = session.scalar(
        select(Department).where(
            Department.workspace_id == workspace.id, Department.id == department_id
        )
    )
    if found is None:
        raise NotFound(
            f"Department {department_id} does not exist in this workspace.",
            f"部署 {department_id} はこのワークスペースにありません。",
            department_id=department_id,
        )
    return found


def update_department(
    session: Session,
    workspace: Workspace,
    department_id: int,
    *,
    name: str | None = None,
    lead_id: int | None = None,
    clear_lead: bool = False,
    email: str | None = None,
    actor: str = "system",
) -> Department:
    department = get_department(session, workspace, department_id)
    if name is not None:
        department.name = _check_name(session, workspace, name, department.id)
    if clear_lead:
        department.lead_id = None
    elif lead_id is not None:
        require_member(session, workspace, lead_id)
        department.lead_id = lead_id
        _add(session, workspace, department.id, lead_id)
    if email is not None:
        department.email = email.strip() or None
    session.flush()
    record_audit(session, workspace, actor, "department.update", f"department:{department.id}")
    return department


def _add(session: Session, workspace: Workspace, department_id: int, user_id: int) -> None:
    known = session.scalar(
        select(DepartmentMember.id).where(
            DepartmentMember.department_id == department_id, DepartmentMember.user_id == user_id
        )
    )
    if known is None:
        session.add(
            DepartmentMember(
                workspace_id=workspace.id, department_id=department_id, user_id=user_id
            )
        )
        session.flush()


def add_department_member(
    session: Session,
    workspace: Workspace,
    department_id: int,
    user_id: int,
    *,
    actor: str = "system",
) -> None:
    get_department(session, workspace, department_id)
    require_member(session, workspace, user_id)
    _add(session, workspace, department_id, user_id)
    record_audit(
        session,
        workspace,
        actor,
        "department.member.add",
        f"department:{department_id}",
        user_id=user_id,
    )


def remove_department_member(
    session: Session,
    workspace: Workspace,
    department_id: int,
    user_id: int,
    *,
    actor: str = "system",
) -> None:
    department = get_department(session, workspace, department_id)
    session.execute(
        delete(DepartmentMember).where(
            DepartmentMember.department_id == department_id, DepartmentMember.user_id == user_id
        )
    )
    if department.lead_id == user_id:
        department.lead_id = None
    record_audit(
        session,
        workspace,
        actor,
        "department.member.remove",
        f"department:{department_id}",
        user_id=user_id,
    )


def department_ids_of(session: Session, workspace: Workspace, user_id: int | None) -> set[int]:
    if user_id is None:
        return set()
    return set(
        session.scalars(
            select(DepartmentMember.department_id).where(
                DepartmentMember.workspace_id == workspace.id, DepartmentMember.user_id == user_id
            )
        )
    )


def list_departments(session: Session, workspace: Workspace) -> list[DepartmentRow]:
    """Every department by name, with its lead's and members' names."""
    names = member_names(session, workspace)
    departments = list(
        session.scalars(
            select(Department)
            .where(Department.workspace_id == workspace.id)
            .order_by(Department.name)
        )
    )
    members: dict[int, list[tuple[int, str]]] = {d.id: [] for d in departments}
    for department_id, user_id in session.execute(
        select(DepartmentMember.department_id, DepartmentMember.user_id).where(
            DepartmentMember.workspace_id == workspace.id
        )
    ):
        if user_id in names:
            members.setdefault(department_id, []).append((user_id, names[user_id]))
    return [
        DepartmentRow(
            d,
            names.get(d.lead_id) if d.lead_id is not None else None,
            sorted(members.get(d.id, []), key=lambda m: m[1]),
        )
        for d in departments
    ]
