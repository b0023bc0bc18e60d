"""Personal survey links: `{public_url}/s/i/{token}`, signed, single-use, expiring.

A token holds a version byte, the invitation's id and its expiry (Unix seconds), and a
128-bit HMAC-SHA256 tag under `settings.signing_key("links")`, in URL-safe base64 (39
characters). The invitation row binds the link to its customer, touchpoint and hidden
fields, so nothing personal travels in the URL. The signature makes a changed or made-up
token fail before the database is asked; the expiry is checked from the token and again
from the row; single use is the invitation's one response (`survey_response.invitation_id`
is unique), so a used link shows "already answered" and never stores a second answer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import struct
from dataclasses import dataclass
from hashlib import sha256

from kizuna.errors import KizunaError
from kizuna.settings import Settings

__all__ = ["LinkError", "LinkToken", "make_link_token", "read_link_token"]

_VERSION = 1
_BODY = struct.Struct(">BQI")  # version, invitation id, expiry (Unix seconds)
_TAG_BYTES = 16


_LINK_MESSAGES: dict[str, tuple[str, str, int]] = {
    "invalid": (
        "This survey link is not valid: it may have been cut short when it was copied. "
        "Open it again from the original message.",
        "このアンケートのリンクは無効です。コピーの際に途中で切れた可能性があります。"
        "元のメッセージからもう一度開いてください。",
        400,
    ),
    "expired": (
        "This survey link has expired. Thank you for your interest; no answer is needed now.",
        "このアンケートのリンクは有効期限が切れています。ご関心をお寄せいただきありがとうございました。",
        410,
    ),
    "used": (
        "You have already answered this survey. Thank you!",
        "このアンケートにはすでにご回答いただいています。ありがとうございました。",
        409,
    ),
    "closed": (
        "This survey is closed. Thank you for your interest.",
        "このアンケートは終了しました。ご関心をお寄せいただきありがとうございました。",
        410,
    ),
}


class LinkError(KizunaError):
    """A personal link that cannot be used: `reason` is invalid, expired, used or closed."""

    code = "survey_link"
    status = 400

    def __init__(self, reason: str) -> None:
        en, ja, status = _LINK_MESSAGES[reason]
        super().__init__(en, ja, reason=reason)
        self.reason = reason
        self.http_status = status


@dataclass(frozen=True)
class LinkToken:
    invitation_id: int
    expires_at: dt.datetime


def make_link_token(settings: Settings, invitation_id: int, expires_at: dt.datetime) -> str:
    """The signed token of a personal link to invitation `invitation_id`."""
    body = _BODY.pack(_VERSION, invitation_id, int(expires_at.timestamp()))
    return base64.urlsafe_b64encode(body + _tag(settings, body)).decode().rstrip("=")


def read_link_token(settings: Settings, token: str, now: dt.datetime | None = None) -> LinkToken:
    """The invitation a token names; LinkError "invalid" when altered, "expired" when late."""
    if not token or len(token) > 64:
        raise LinkError("invalid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise LinkError("invalid") from None
    if len(raw) != _BODY.size + _TAG_BYTES:
        raise LinkError("invalid")
    body, tag = raw[: _BODY.size], raw[_BODY.size :]
    if not hmac.compare_digest(tag, _tag(settings, body)):
        raise LinkError("invalid")
    version, invitation_id, expires = _BODY.unpack(body)
    if version != _VERSION:
        raise LinkError("invalid")
    expires_at = dt.datetime.fromtimestamp(expires, dt.UTC)
    if expires_at <= (now or dt.datetime.now(dt.UTC)):
        raise LinkError("expired")
    return LinkToken(invitation_id, expires_at)


def _tag(settings: Settings, body: bytes) -> bytes:
    return hmac.new(settings.signing_key("links"), body, sha256).digest()[:_TAG_BYTES]
