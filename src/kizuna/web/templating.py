"""Rendering pages: Jinja2 templates with `_()`, the CSRF token and number/date formats.

Every page gets `lang`, `_` (the catalog of its language), `csrf_token` and the filters below;
dates are shown in the workspace's time zone, numbers in the page's locale.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from kizuna.web.i18n import Catalogs, choose_language

__all__ = [
    "TEMPLATE_DIR",
    "build_templates",
    "csrf_token_of",
    "format_month",
    "render_page",
]

TEMPLATE_DIR = Path(__file__).parent / "templates"


def csrf_token_of(request: Request) -> str:
    """The session's CSRF token, made on first use (one per session, rotated at login)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _format_number(value: Any, digits: int = 1, lang: str = "ja", signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    text = format_decimal(round(float(value), digits), format=pattern, locale=lang)
    return f"+{text}" if signed and float(value) > 0 else text


def format_month(value: Any, lang: str = "ja") -> str:
    day = dt.date.fromisoformat(str(value)[:10])
    return str(format_skeleton("yMMM", day, locale=lang))


def _format_day(value: dt.date, lang: str = "ja") -> str:
    return str(format_date(value, "long", locale=lang))


def _format_moment(value: dt.datetime, timezone: str, lang: str = "ja") -> str:
    return str(format_datetime(value, "medium", tzinfo=ZoneInfo(timezone), locale=lang))


def build_templates(catalogs: Catalogs) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.filters["number"] = _format_number
    env.filters["month"] = format_month
    env.filters["day"] = _format_day
    env.filters["moment"] = _format_moment
    env.globals["catalogs"] = catalogs
    return templates


def render_page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a template in the request's language with the CSRF token at hand."""
    state = request.app.state
    lang = choose_language(request, state.kz.settings.language)
    values: dict[str, Any] = {
        "lang": lang,
        "_": state.catalogs.gettext(lang),
        "csrf_token": csrf_token_of(request) if "session" in request.scope else "",
        "user_email": request.session.get("email") if "session" in request.scope else None,
    }
    values.update(context or {})
    response: Response = state.templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers
    )
    return response
