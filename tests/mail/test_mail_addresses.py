"""Addresses are checked when mail is sent for, so a typo fails at once, not eight tries later."""

from __future__ import annotations

import pytest

from kizuna import Kizuna
from kizuna.mail.addresses import address_digest, clean_address
from kizuna.mail.errors import InvalidAddress
from kizuna.mail.service import send_mail


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("  Hanako@Example.JP ", "Hanako@example.jp"),
        ("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "hanako@example.jp"),  # full-width, from an IME
        ("info@例え.jp", "info@xn--r8jz45g.jp"),
    ],
)
def test_addresses_are_sent_as_servers_expect(typed: str, sent: str) -> None:
    assert clean_address(typed) == sent


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("hanako.example.jp", "one @"),
        ("hanako@example.jp\r\nBcc: all@example.jp", "line breaks"),
        ("Hanako <hanako@example.jp>", "spaces"),
        ("a@b.jp,c@d.jp", "spaces, line breaks"),
        ("はなこ@example.jp", "must be ASCII"),
        ("hanako@localhost", "domain is not valid"),
    ],
)
def test_unusable_addresses_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as refused:
        clean_address(typed)
    assert reason in refused.value.message("en")
    assert "Correct the address" in refused.value.message("en")


def test_the_suppression_digest_ignores_case_and_width() -> None:
    assert address_digest("Hanako@Example.JP") == address_digest("hanako@example.jp")
    assert address_digest("ｈａｎａｋｏ@example.jp") == address_digest("hanako@example.jp")
    assert address_digest("taro@example.jp") != address_digest("hanako@example.jp")


def test_send_mail_refuses_a_header_injection(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidAddress), kz.session() as session:
        send_mail(
            session,
            kz.settings,
            workspace_id=ws.workspace.id,
            key="k",
            to="hanako@example.jp\nBcc: everyone@example.jp",
            template="test",
            context={"server": "s", "sent_at": "t"},
        )
