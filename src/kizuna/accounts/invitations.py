"""Sending an invitation link by e-mail, through the mail outbox (keyed: sent once).

The link carries the invitation's token, which is never stored: it exists only in this
e-mail and on the page of the person who invited. The message is transactional (no
unsubscribe) and queued in the caller's transaction, so it leaves only if the invitation
was saved. Without an SMTP server it waits in the outbox ("held") until one is set.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kizuna.accounts.members import NewInvitation
from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.i18n.vocabulary import label

__all__ = ["invitation_link", "send_invitation"]


def invitation_link(kz: Kizuna, made: NewInvitation) -> str:
    return f"{kz.settings.public_url}/invite/{made.token}"


def send_invitation(
    kz: Kizuna, session: Session, workspace: Workspace, made: NewInvitation, language: str
) -> bool:
    """Queue the invitation e-mail in the caller's transaction; True when queued."""
    from kizuna.mail.service import send_mail

    invitation = made.invitation
    send_mail(
        session,
        kz.settings,
        workspace_id=workspace.id,
        key=f"invitation:{invitation.id}",
        to=invitation.email,
        template="invitation",
        context={
            "workspace_name": workspace.name,
            "role": label("role", invitation.role, language),
            "link": invitation_link(kz, made),
            "expires_on": f"{invitation.expires_at:%Y-%m-%d}",
        },
        language=language,
    )
    return True
