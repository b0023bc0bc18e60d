"""E-mail addresses: checking one before it is queued, and the digest suppression lists keep.

`clean_address` refuses what an SMTP server would refuse later anyway (and anything that could
smuggle a header: line breaks, commas, angle brackets), so a typo fails when the caller sends,
not eight attempts later. A Japanese domain (例え.jp) is sent in its IDNA form; a non-ASCII local
part would need SMTPUTF8, which few servers offer, so it is refused with a clear reason.
Full-width characters typed through a Japanese input method are read as their ASCII selves.

`address_digest` is how a suppression list remembers an address: the SHA-256 of its
normalised form (NFKC, trimmed, lower case). Unkeyed on purpose: an unsubscribe must outlive a
rotated KIZUNA_SECRET_KEY, and must still hold after the customer's record (and the plain
address) are erased. It is a pseudonym, not anonymity: someone holding a candidate address can
test it, which is exactly the check a later send makes.
"""

from __future__ import annotations

import hashlib
import unicodedata

from kizuna.mail.errors import InvalidAddress

__all__ = ["address_digest", "bare_address", "clean_address", "domain_of"]

_MAX_LENGTH = 254  # RFC 5321 path limit, less the angle brackets
_FORBIDDEN = set(' \t\r\n<>,;:"()[]\\')


def clean_address(address: str) -> str:
    """The address as it will be sent (domain lower-cased, IDNA); InvalidAddress when unusable."""
    # NFKC turns full-width input (ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ, common from Japanese IMEs) into ASCII.
    text = unicodedata.normalize("NFKC", address).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(
            address, "it needs one @ with text on both sides", "@ の前後が必要です"
        )
    if any(ch in _FORBIDDEN or ord(ch) < 32 for ch in text):
        raise InvalidAddress(
            address,
            'it holds spaces, line breaks or one of <>,;:"()[]\\',
            '空白・改行・<>,;:"()[]\\ のいずれかを含んでいます',
        )
    if not local.isascii():
        raise InvalidAddress(
            address,
            "the part before @ must be ASCII letters, digits or symbols",
            "@ の前は半角英数字と記号にしてください",
        )
    try:
        ascii_domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidAddress(
            address, "its domain is not valid", "ドメインが正しくありません"
        ) from None
    if "." not in ascii_domain or ascii_domain.startswith(".") or ".." in ascii_domain:
        raise InvalidAddress(address, "its domain is not valid", "ドメインが正しくありません")
    cleaned = f"{local}@{ascii_domain}"
    if len(cleaned) > _MAX_LENGTH:
        raise InvalidAddress(
            address,
            f"it is longer than {_MAX_LENGTH} characters",
            f"{_MAX_LENGTH} 文字を超えています",
        )
    return cleaned


def bare_address(header: str) -> str:
    """The address in a header value like `Kizuna <no-reply@example.jp>` (or a bare one)."""
    return header.rsplit("<", 1)[-1].rstrip("> ").strip()


def domain_of(header: str) -> str:
    """The domain of an address or of a header value like `Kizuna <no-reply@example.jp>`."""
    return bare_address(header).rpartition("@")[2].lower() or "localhost"


def address_digest(address: str) -> str:
    """Hex SHA-256 of the normalised address (the suppression list's key)."""
    normalised = unicodedata.normalize("NFKC", address).strip().lower()
    return hashlib.sha256(f"kizuna-mail-address:{normalised}".encode()).hexdigest()
