"""Unsubscribe links and the suppression list they feed.

A link is `{public_url}/u/{token}`. The token holds the workspace, the digest of the address
(`kizuna.mail.addresses.address_digest`, never the address) and the language of the mail,
and a 128-bit HMAC-SHA256 tag under `settings.signing_key("unsubscribe")`, all in URL-safe
base64 (78 characters). The signature is the whole proof: whoever holds the link may stop
that address's customer mail from that workspace, which is what RFC 8058 one-click
unsubscribe asks for. Tokens do not expire (a mail read a year later must still work) and
need no outbox row (a pruned outbox does not break old links).

Suppression is checked for "customer" mail only, by `send_mail` and again by delivery, so
mail queued before the click is not sent either.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session

from kizuna.db.base import utcnow
from kizuna.mail.addresses import address_digest, clean_address
from kizuna.mail.errors import InvalidUnsubscribeLink
from kizuna.mail.models import MailSuppression, insert_once
from kizuna.settings import Settings

__all__ = [
    "UnsubscribeTarget",
    "is_digest_suppressed",
    "is_suppressed",
    "make_unsubscribe_token",
    "read_unsubscribe_token",
    "suppress_address",
    "suppress_digest",
    "suppressed_addresses",
    "unsubscribe_url",
    "unsuppress_address",
]

_VERSION = 1
_LANGUAGES = ("ja", "en")
_BODY = struct.Struct(">BBQ32s")  # version, language, workspace id, address digest
_TAG_BYTES = 16


@dataclass(frozen=True)
class UnsubscribeTarget:
    """What a valid token names: a workspace, an address digest, the mail's language."""

    workspace_id: int
    address_digest: str
    language: str


def make_unsubscribe_token(
    settings: Settings, *, workspace_id: int, address: str, language: str
) -> str:
    """The signed token of an unsubscribe link for `address` in `workspace_id`."""
    digest = bytes.fromhex(address_digest(clean_address(address)))
    body = _BODY.pack(_VERSION, _LANGUAGES.index(language), workspace_id, digest)
    return base64.urlsafe_b64encode(body + _tag(settings, body)).decode().rstrip("=")


def unsubscribe_url(settings: Settings, *, workspace_id: int, address: str, language: str) -> str:
    token = make_unsubscribe_token(
        settings, workspace_id=workspace_id, address=address, language=language
    )
    return f"{settings.public_url}/u/{token}"


def read_unsubscribe_token(settings: Settings, token: str) -> UnsubscribeTarget:
    """The target of a token; InvalidUnsubscribeLink when it is cut, altered or not ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidUnsubscribeLink() from None
    if len(raw) != _BODY.size + _TAG_BYTES:
        raise InvalidUnsubscribeLink()
    body, tag = raw[: _BODY.size], raw[_BODY.size :]
    if not hmac.compare_digest(tag, _tag(settings, body)):
        raise InvalidUnsubscribeLink()
    version, language, workspace_id, digest = _BODY.unpack(body)
    if version != _VERSION or language >= len(_LANGUAGES):
        raise InvalidUnsubscribeLink()
    return UnsubscribeTarget(workspace_id, digest.hex(), _LANGUAGES[language])


def _tag(settings: Settings, body: bytes) -> bytes:
    return hmac.new(settings.signing_key("unsubscribe"), body, sha256).digest()[:_TAG_BYTES]


def suppress_digest(session: Session, *, workspace_id: int, digest: str, reason: str) -> bool:
    """Add a digest to the workspace's suppression list; False when it was there already."""
    values = {
        "workspace_id": workspace_id,
        "address_digest": digest,
        "reason": reason,
        "created_at": utcnow(),
    }
    return insert_once(session, MailSuppression, values, ("workspace_id", "address_digest"))


def suppress_address(session: Session, *, workspace_id: int, address: str, reason: str) -> bool:
    """Stop customer mail to `address` from this workspace; False when already stopped."""
    digest = address_digest(clean_address(address))
    return suppress_digest(session, workspace_id=workspace_id, digest=digest, reason=reason)


def unsuppress_address(session: Session, *, workspace_id: int, address: str) -> bool:
    """Allow customer mail to `address` again (the person asked for it); False when not listed."""
    digest = address_digest(clean_address(address))
    result = session.execute(
        delete(MailSuppression).where(
            MailSuppression.workspace_id == workspace_id, MailSuppression.address_digest == digest
        )
    )
    return bool(getattr(result, "rowcount", 0))


def is_suppressed(session: Session | Connection, *, workspace_id: int, address: str) -> bool:
    """Whether `address` unsubscribed from this workspace's customer mail."""
    digest = address_digest(clean_address(address))
    return is_digest_suppressed(session, workspace_id=workspace_id, digest=digest)


def is_digest_suppressed(session: Session | Connection, *, workspace_id: int, digest: str) -> bool:
    """Whether the address with this digest unsubscribed from this workspace."""
    found = session.scalar(_SUPPRESSED, {"p_workspace": workspace_id, "p_digest": digest})
    return found is not None


# Built once: every delivery of customer mail asks it again.
_SUPPRESSED = select(MailSuppression.id).where(
    MailSuppression.workspace_id == bindparam("p_workspace"),
    MailSuppression.address_digest == bindparam("p_digest"),
)


def suppressed_addresses(
    session: Session | Connection, *, workspace_id: int, addresses: Iterable[str]
) -> set[str]:
    """Which of these (clean) addresses unsubscribed from this workspace: one query per 500."""
    digests = {address_digest(address): address for address in addresses}
    found: set[str] = set()
    listed = list(digests)
    for start in range(0, len(listed), 500):
        found.update(
            digests[digest]
            for digest in session.scalars(
                select(MailSuppression.address_digest).where(
                    MailSuppression.workspace_id == workspace_id,
                    MailSuppression.address_digest.in_(listed[start : start + 500]),
                )
            )
        )
    return found
