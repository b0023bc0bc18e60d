"""Telling staff: keyed notices through the outbox (assignments, mentions, SLA warnings,
escalations, rule e-mails), each in the reader's language and sent once per key."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from kizuna.accounts.models import User, Workspace
from kizuna.mail.addresses import clean_address
from kizuna.mail.service import send_mail
from kizuna.settings import Settings

__all__ = ["Notice", "notify_address", "notify_user"]


class Notice:
    """A notice's words in both languages and the page it points to (relative to /w/slug)."""

    def __init__(
        self,
        subject: tuple[str, str],
        paragraphs: Sequence[tuple[str, str]],
        path: str = "",
    ) -> None:
        self.subject = subject  # (en, ja)
        self.paragraphs = list(paragraphs)
        self.path = path

    def context(self, settings: Settings, workspace: Workspace, language: str) -> dict[str, object]:
        pick = 1 if language == "ja" else 0
        url = f"{settings.public_url}/w/{workspace.slug}/{self.path}" if self.path else None
        return {
            "subject": self.subject[pick],
            "greeting": None,
            "paragraphs": [p[pick] for p in self.paragraphs],
            "action_url": url,
            "action_label": "開く" if pick else "Open",
        }


def notify_user(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    user_id: int | None,
    key: str,
    notice: Notice,
) -> bool:
    """Queue the notice to a user (once per key); False when there is nobody to tell."""
    if settings is None or user_id is None:
        return False
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    return notify_address(session, settings, workspace, user.email, key, notice, user.language)


def notify_address(
    session: Session,
    settings: Settings | None,
    workspace: Workspace,
    address: str | None,
    key: str,
    notice: Notice,
    language: str | None = None,
) -> bool:
    if settings is None or not address:
        return False
    language = language if language in ("ja", "en") else workspace.language or "ja"
    send_mail(
        session,
        settings,
        workspace_id=workspace.id,
        key=key[:200],
        to=clean_address(address),
        template="notice",
        context=notice.context(settings, workspace, language),
        language=language,
        category="transactional",
    )
    return True
