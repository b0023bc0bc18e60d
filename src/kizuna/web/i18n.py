"""Languages of the web layer: message catalogs and choosing the user's language.

Catalogs are Babel `.po` files under `web/locale/<lang>/LC_MESSAGES/messages.po`, read once at
start-up with `babel.messages.pofile.read_po` into plain dicts (no compile step). The msgid is
the English text, so English needs no translation and a missing Japanese entry shows English
rather than a key. Japanese is the default language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from starlette.requests import Request

__all__ = [
    "LANGUAGES",
    "Catalogs",
    "choose_language",
    "load_catalogs",
    "parse_accept_language",
]

LANGUAGES = ("ja", "en")
LOCALE_DIR = Path(__file__).parent / "locale"


class Catalogs:
    """Translations of every language, read once; `gettext(lang)` gives a `_()` for templates."""

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


def parse_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (RFC 9110 q-values), if any."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            # Earlier entries win ties, as browsers list them by preference.
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def choose_language(request: Request, default: str = "ja") -> str:
    """The page's language: the session's choice (login or switcher), else Accept-Language."""
    if "session" in request.scope:
        chosen = request.session.get("lang")
        if chosen in LANGUAGES:
            return str(chosen)
    return parse_accept_language(request.headers.get("accept-language")) or default
