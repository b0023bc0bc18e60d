"""Rendering pages: Jinja2 templates with `_()`, the CSRF token, the navigation and formats.

Templates are found in `web/templates` (the shell: base layout, errors) and in every
feature's `templates/` folder (the registry's `Feature.templates`). Every page gets `lang`,
`_` (the catalog of its language), `label(kind, code)` and `labels(kind)` (the vocabulary of
stored codes, `kizuna.i18n.vocabulary`: no code reaches a page unnamed), `csrf_token`, `nav`
and `admin_nav` (the links the caller's permissions allow, from the registry) and the
filters below; dates are shown in the workspace's time zone, numbers in the page's locale.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    get_timezone,
    get_timezone_location,
)
from babel.numbers import format_decimal
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from kizuna.features import nav_entries, template_folders
from kizuna.i18n.vocabulary import label as vocabulary_label
from kizuna.i18n.vocabulary import labels_of
from kizuna.web.i18n import Catalogs, choose_language

__all__ = [
    "TEMPLATE_DIR",
    "NavLink",
    "build_templates",
    "csrf_token_of",
    "format_month",
    "navigation",
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


def _format_zone(name: str, lang: str = "ja") -> str:
    """A time zone as people say it ("日本時間", "Japan Time"), not its IANA id."""
    if name in {"UTC", "Etc/UTC"}:
        return "UTC"
    try:
        return str(get_timezone_location(get_timezone(name), locale=lang))
    except LookupError:
        return name


def _code_spans(text: str) -> Markup:
    """Escape a message and show its `backticked` parts as code (commands, API paths)."""
    parts = str(escape(text)).split("`")
    return Markup(
        "".join(f'<code translate="no">{p}</code>' if i % 2 else p for i, p in enumerate(parts))
    )


@dataclass(frozen=True)
class NavLink:
    section: str
    label: str
    href: str


def navigation(member: Any, menu: str = "main") -> list[NavLink]:
    """The registry's links of one menu that `member` (a `Caller`) may follow."""
    if member is None or not hasattr(member, "may"):
        return []
    base = f"/w/{member.workspace.slug}/"
    return [
        NavLink(entry.section, entry.label, base + entry.path)
        for entry in nav_entries(menu)
        if member.may(entry.permission)
    ]


def build_templates(catalogs: Catalogs) -> Jinja2Templates:
    loader = ChoiceLoader(
        [FileSystemLoader(str(TEMPLATE_DIR))]
        + [FileSystemLoader(str(folder)) for folder in template_folders()]
    )
    environment = Environment(loader=loader, autoescape=select_autoescape())
    templates = Jinja2Templates(env=environment)
    env = templates.env
    env.filters["number"] = _format_number
    env.filters["month"] = format_month
    env.filters["day"] = _format_day
    env.filters["moment"] = _format_moment
    env.filters["zone"] = _format_zone
    env.filters["code_spans"] = _code_spans
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
        "label": functools.partial(vocabulary_label, language=lang),
        "labels": functools.partial(labels_of, language=lang),
        "csrf_token": csrf_token_of(request) if "session" in request.scope else "",
        "user_email": request.session.get("email") if "session" in request.scope else None,
    }
    values.update(context or {})
    member = values.get("member")
    values.setdefault("nav", navigation(member))
    values.setdefault("admin_nav", navigation(member, "admin"))
    response: Response = state.templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers
    )
    return response
