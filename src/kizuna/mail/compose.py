"""The MIME message: headers and a multipart/alternative body from rendered parts.

Bodies are UTF-8 sent as quoted-printable or base64 (whichever is shorter; never raw 8-bit,
so a server without 8BITMIME receives them intact), the plain text first and the HTML last,
as RFC 2046 orders alternatives. Non-ASCII headers (a Japanese subject or sender name) become
RFC 2047 encoded words. The Message-ID is made once per outbox message and stored, so every
attempt, and a resend after a crash, carries the same one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from kizuna.mail.addresses import domain_of
from kizuna.mail.models import MailMessage

__all__ = ["BASE_HEADERS", "build_email", "email_of", "new_message_id"]

# RFC 3834: machine-made mail; auto-responders (out-of-office) do not answer it.
BASE_HEADERS: dict[str, str] = {"Auto-Submitted": "auto-generated"}
_POLICY = policy.SMTP.clone(cte_type="7bit")


def new_message_id(from_header: str, *parts: object) -> str:
    """`<kizuna.<parts>.<random>@<From domain>>`; the random part keeps ids unique even
    when a database is rebuilt and its row ids start again."""
    middle = ".".join(str(part) for part in ("kizuna", *parts, secrets.token_hex(6)))
    return f"<{middle}@{domain_of(from_header)}>"


def build_email(
    *,
    from_header: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: dt.datetime,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) with the given headers."""
    email = EmailMessage(policy=_POLICY)
    email["Message-ID"] = message_id
    email["Date"] = format_datetime(date.astimezone(dt.UTC))
    email["From"] = from_header
    email["To"] = to
    email["Subject"] = subject
    for name, value in {**BASE_HEADERS, **(headers or {})}.items():
        email[name] = value
    email.set_content(text, charset="utf-8")
    email.add_alternative(html, subtype="html", charset="utf-8")
    return email


def email_of(message: MailMessage) -> EmailMessage:
    """The e-mail an outbox message stands for: the same headers and content at every attempt."""
    return build_email(
        from_header=message.from_header,
        to=message.to_address,
        subject=message.subject,
        text=message.text_body,
        html=message.html_body,
        message_id=message.message_id_header,
        date=message.created_at,
        headers={str(k): str(v) for k, v in message.headers.items()},
    )
