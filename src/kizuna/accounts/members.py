"""Members of a workspace: invitations by e-mail, roles, removal.

An invitation is a single-use link that expires (`invitation_days`): only the SHA-256 of
its token is stored, accepting it marks it used, and a revoked, used or expired link
says so. Only an owner may make or unmake owners; a workspace always keeps one owner. A role change
or a removal ends the person's sessions at once. Every change is audited (actor, action,
`member:<user id>`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import ROLES, Invitation, Membership, User, Workspace
from kizuna.accounts.security import hash_api_key, hash_password
from kizuna.accounts.sessions import end_sessions
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound, PermissionDenied

__all__ = [
    "MemberRow",
    "NewInvitation",
    "accept_invitation",
    "change_role",
    "find_invitation",
    "invite_member",
    "list_invitations",
    "list_members",
    "remove_member",
    "revoke_invitation",
]


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    email: str
    display_name: str
    role: str
    is_active: bool


@dataclass(frozen=True)
class NewInvitation:
    """The invitation and its token, shown (or e-mailed) once and never stored."""

    invitation: Invitation
    token: str


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(
            f"Unknown role '{role}'; use one of {', '.join(ROLES)}.",
            f"ロール「{role}」は不明です。{', '.join(ROLES)} のいずれかを指定してください。",
            role=role,
        )


def _only_owner_grants_owner(actor_role: str, *roles: str) -> None:
    if "owner" in roles and actor_role != "owner":
        raise PermissionDenied(
            "Only an owner may make someone an owner or change an owner's role.",
            "オーナーの付与・変更はオーナーだけが行えます。",
        )


def list_members(session: Session, workspace: Workspace) -> list[MemberRow]:
    rows = session.execute(
        select(User.id, User.email, User.display_name, Membership.role, User.is_active)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id)
        .order_by(User.email)
    )
    return [MemberRow(*row) for row in rows]


def invite_member(
    session: Session,
    workspace: Workspace,
    email: str,
    role: str,
    *,
    actor: str,
    actor_role: str,
    days: int = 7,
) -> NewInvitation:
    """An invitation link for `email` to join with `role`, valid `days` days."""
    _check_role(role)
    _only_owner_grants_owner(actor_role, role)
    address = email.strip().lower()
    if "@" not in address or len(address) > 320:
        raise InvalidInput(
            f"'{email}' is not an e-mail address.",
            f"「{email}」はメールアドレスではありません。",
        )
    member = session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace.id, User.email == address)
    )
    if member is not None:
        raise Conflict(
            f"{address} is already a member; change their role instead.",
            f"{address} はすでにメンバーです。ロールを変更してください。",
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace_id=workspace.id,
        email=address,
        role=role,
        token_hash=hash_api_key(token),
        invited_by=actor,
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    record_audit(
        session, workspace, actor, "member.invite", f"invitation:{invitation.id}", role=role
    )
    return NewInvitation(invitation, token)


def list_invitations(session: Session, workspace: Workspace) -> list[Invitation]:
    """Invitations not yet accepted or revoked, newest first."""
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == workspace.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.id.desc())
        )
    )


def revoke_invitation(
    session: Session, workspace: Workspace, invitation_id: int, actor: str
) -> None:
    found = session.scalar(
        select(Invitation).where(
            Invitation.workspace_id == workspace.id, Invitation.id == invitation_id
        )
    )
    if found is None:
        raise NotFound(
            "That invitation does not exist in this workspace.",
            "その招待はこのワークスペースにありません。",
        )
    if found.revoked_at is None and found.accepted_at is None:
        found.revoked_at = utcnow()
        record_audit(session, workspace, actor, "member.invite.revoke", f"invitation:{found.id}")


def find_invitation(session: Session, token: str) -> tuple[Invitation, Workspace]:
    """The open invitation of a link; InvalidInput saying why a link no longer works."""
    found = session.scalar(select(Invitation).where(Invitation.token_hash == hash_api_key(token)))
    if found is None or found.revoked_at is not None:
        raise InvalidInput(
            "This invitation link is not valid (mistyped or withdrawn). Ask the person who "
            "invited you for a new one.",
            "この招待リンクは無効です(入力ミスまたは取り消し済み)。招待した人に新しいリンクを"
            "依頼してください。",
        )
    if found.accepted_at is not None:
        raise Conflict(
            "This invitation was already used. Log in with the e-mail address it was sent to.",
            "この招待はすでに使われています。招待されたメールアドレスでログインしてください。",
        )
    if found.expires_at <= utcnow():
        raise InvalidInput(
            f"This invitation expired on {found.expires_at:%Y-%m-%d}. Ask for a new one.",
            f"この招待は {found.expires_at:%Y-%m-%d} に期限切れになりました。新しい招待を依頼して"
            "ください。",
        )
    workspace = session.get(Workspace, found.workspace_id)
    assert workspace is not None
    return found, workspace


def accept_invitation(
    session: Session, token: str, password: str | None, display_name: str = ""
) -> tuple[User, Workspace]:
    """Join the workspace; a new user sets a password (10+ characters), a known one keeps theirs."""
    invitation, workspace = find_invitation(session, token)
    user = session.scalar(select(User).where(User.email == invitation.email))
    if user is None:
        if not password or len(password) < 10:
            raise InvalidInput(
                "Choose a password of at least 10 characters.",
                "10文字以上のパスワードを設定してください。",
            )
        user = User(
            email=invitation.email,
            password_hash=hash_password(password),
            display_name=display_name[:200],
        )
        session.add(user)
        session.flush()
    session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=invitation.role))
    invitation.accepted_at = utcnow()
    session.flush()
    record_audit(
        session,
        workspace,
        f"user:{user.id}",
        "member.join",
        f"member:{user.id}",
        role=invitation.role,
    )
    return user, workspace


def _membership(session: Session, workspace: Workspace, user_id: int) -> Membership:
    found = session.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace.id, Membership.user_id == user_id
        )
    )
    if found is None:
        raise NotFound(
            f"User {user_id} is not a member of this workspace.",
            f"ユーザー {user_id} はこのワークスペースのメンバーではありません。",
        )
    return found


def _keep_an_owner(session: Session, workspace: Workspace, membership: Membership) -> None:
    if membership.role != "owner":
        return
    owners = session.scalar(
        select(func.count()).where(
            Membership.workspace_id == workspace.id, Membership.role == "owner"
        )
    )
    if (owners or 0) <= 1:
        raise Conflict(
            "A workspace needs an owner: make someone else owner first.",
            "ワークスペースにはオーナーが必要です。先に別の人をオーナーにしてください。",
        )


def change_role(
    session: Session,
    workspace: Workspace,
    user_id: int,
    role: str,
    *,
    actor: str,
    actor_role: str,
) -> Membership:
    _check_role(role)
    membership = _membership(session, workspace, user_id)
    if membership.role == role:
        return membership
    _only_owner_grants_owner(actor_role, role, membership.role)
    if role != "owner":
        _keep_an_owner(session, workspace, membership)
    before, membership.role = membership.role, role
    end_sessions(session, user_id)  # they log in again, with the new role's pages
    record_audit(
        session, workspace, actor, "member.role", f"member:{user_id}", before=before, after=role
    )
    return membership


def remove_member(
    session: Session, workspace: Workspace, user_id: int, *, actor: str, actor_role: str
) -> None:
    membership = _membership(session, workspace, user_id)
    _only_owner_grants_owner(actor_role, membership.role)
    _keep_an_owner(session, workspace, membership)
    session.delete(membership)
    end_sessions(session, user_id)  # a copied cookie stops working now, not in 14 days
    record_audit(session, workspace, actor, "member.remove", f"member:{user_id}")
