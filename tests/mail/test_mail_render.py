"""E-mail templates: what a sender gets told when a template or a value is missing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kizuna import Kizuna
from kizuna.errors import InvalidInput
from kizuna.mail.errors import MailTemplateNotFound
from kizuna.mail.models import MailMessage
from kizuna.mail.render import render_mail
from kizuna.mail.service import send_mail

BASE = {"language": "ja", "public_url": "https://cx.example.jp", "unsubscribe_url": None}


def test_the_test_message_exists_in_both_languages() -> None:
    for language, subject, line in (
        ("ja", "Kizuna テストメール（日本語）", "このメールが届いていれば"),
        ("en", "Kizuna test e-mail", "If it reached you, sending e-mail works."),
    ):
        rendered = render_mail(
            "test", language, {**BASE, "language": language, "server": "smtp:587", "sent_at": "now"}
        )
        assert rendered.subject == subject
        assert line in rendered.text and line in rendered.html
        assert "\n\n\n" not in rendered.text
        assert subject not in rendered.text, "the subject block is not part of the body"
        assert f"<title>{subject}</title>" in rendered.html


def test_a_missing_template_names_itself_and_where_to_add_it() -> None:
    with pytest.raises(MailTemplateNotFound) as missing:
        render_mail("no_such_message", "en", BASE)
    assert "no_such_message (en)" in missing.value.message("en")
    assert "templates/email/" in missing.value.message("en")
    with pytest.raises(MailTemplateNotFound):
        render_mail("../../web/templates/base", "ja", BASE)


def test_a_missing_value_fails_when_sending_and_nothing_is_stored(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as failed, kz.session() as session:
        send_mail(
            session,
            kz.settings,
            workspace_id=ws.workspace.id,
            key="k",
            to="hanako@example.jp",
            template="notice",
            context={"subject": "件名"},
        )
    assert "'paragraphs' is undefined" in failed.value.message("en")
    with kz.session() as session:
        stored = select(func.count()).where(MailMessage.workspace_id == ws.workspace.id)
        assert session.scalar(stored) == 0


def test_only_japanese_and_english_are_known() -> None:
    with pytest.raises(InvalidInput, match="ja or en"):
        render_mail("test", "fr", BASE)
