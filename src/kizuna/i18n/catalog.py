"""The message catalogs: `.po` files read into dicts, and `_()` for one language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["LANGUAGES", "LOCALE_DIR", "Catalogs", "catalogs", "load_catalogs"]

LANGUAGES = ("ja", "en")
LOCALE_DIR = Path(__file__).parent / "locale"


class Catalogs:
    """Translations of every language, read once; `gettext(lang)` gives a `_()`."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.messages = {lang: dict(table) for lang, table in messages.items()}

    def translate(self, language: str, msgid: str, **values: Any) -> str:
        text = self.messages.get(language, {}).get(msgid) or msgid
        return text.format(**values) if values else text

    def gettext(self, language: str) -> Callable[..., str]:
        def _(msgid: str, **values: Any) -> str:
            return self.translate(language, msgid, **values)

        return _


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> Catalogs:
    """Read `<lang>/LC_MESSAGES/messages.po` of every language into dicts."""
    from babel.messages.pofile import read_po

    messages: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        path = locale_dir / language / "LC_MESSAGES" / "messages.po"
        table: dict[str, str] = {}
        if path.is_file():
            with path.open("rb") as handle:
                for message in read_po(handle, locale=language):
                    if message.id and isinstance(message.id, str) and message.string:
                        table[message.id] = str(message.string)
        messages[language] = table
    return Catalogs(messages)


@cache
def catalogs() -> Catalogs:
    """The installed catalogs, read once per process (e-mails and the CLI use these)."""
    return load_catalogs()
