"""The loop pages' frame: a page rendered in the base layout with the member, the
workspace's time zone and the nav section lit, and the language a message is shown in."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kizuna.web.deps import Caller
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = ["page_language", "render_loop_page"]


def page_language(request: Request) -> str:
    return choose_language(request, request.app.state.kz.settings.language)


def render_loop_page(
    request: Request,
    name: str,
    member: Caller,
    section: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    values = {"member": member, "tz": member.workspace.timezone, "nav_section": section, **context}
    return render_page(request, name, values, status_code=status_code)
