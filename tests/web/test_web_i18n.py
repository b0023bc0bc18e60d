"""Languages: every UI string has a Japanese translation; the browser's language is honoured."""

from __future__ import annotations

import re

import pytest

from kizuna.web.home import CHANNEL_NAMES, METRIC_SPECS
from kizuna.web.i18n import load_catalogs, parse_accept_language
from kizuna.web.templating import TEMPLATE_DIR

MSGID = re.compile(r"""_\(\s*(?:"([^"]*)"|'([^']*)')""")


def used_msgids() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATE_DIR.glob("*.html"):
        for double, single in MSGID.findall(template.read_text(encoding="utf-8")):
            found.add(double or single)
    for spec in METRIC_SPECS.values():
        found |= {spec["title"], spec["hint"]}
    return found | set(CHANNEL_NAMES.values())


def test_every_string_on_the_pages_has_a_japanese_translation() -> None:
    catalogs = load_catalogs()
    missing = sorted(m for m in used_msgids() if m not in catalogs.messages["ja"])
    assert missing == [], f"add these to locale/ja/LC_MESSAGES/messages.po: {missing}"
    assert catalogs.translate("ja", "{n} responses", n="1,234") == "回答 1,234 件"
    assert catalogs.translate("en", "{n} responses", n="1,234") == "1,234 responses"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ja,en-US;q=0.9", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr-FR,en;q=0.5,ja;q=0.7", "ja"),
        ("fr-FR", None),
        ("en;q=0", None),
        ("", None),
    ],
)
def test_accept_language_picks_the_preferred_supported_language(
    header: str, expected: str | None
) -> None:
    assert parse_accept_language(header) == expected
