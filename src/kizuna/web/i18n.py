"""A request's language: the session's choice, else the browser's Accept-Language.

The catalogs themselves live in `kizuna.i18n` (pages, e-mails, errors and the CLI share
them); this module only negotiates.
"""

from __future__ import annotations

from starlette.requests import Request

from kizuna.i18n import LANGUAGES, Catalogs, load_catalogs

__all__ = [
    "LANGUAGES",
    "Catalogs",
    "choose_language",
    "load_catalogs",
    "parse_accept_language",
]


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
