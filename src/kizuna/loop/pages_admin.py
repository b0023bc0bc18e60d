"""HTML routes of the loop's admin page: departments and their members, SLA per priority,
the business calendar, root causes, praise targets and webhooks (one form per part)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.errors import InvalidInput, KizunaError
from kizuna.loop.config import (
    business_calendar,
    loop_settings,
    root_causes,
    sla_policy,
    update_loop_settings,
)
from kizuna.loop.departments import (
    add_department_member,
    create_department,
    list_departments,
    member_names,
)
from kizuna.loop.pages_layout import page_language, render_loop_page
from kizuna.loop.praise import PRAISE_KINDS, create_praise_target, list_praise_targets
from kizuna.loop.webhooks import WEBHOOK_EVENTS, create_webhook, list_deliveries, list_webhooks
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member

__all__ = ["CaseManagers", "router"]

router = APIRouter(include_in_schema=False)

CaseManagers = Annotated[Caller, Depends(page_member("cases.manage"))]


def _today(member: Caller) -> dt.date:
    return dt.datetime.now(ZoneInfo(member.workspace.timezone)).date()


def _admin_context(member: Caller, session: SessionDep, **extra: Any) -> dict[str, Any]:
    settings = loop_settings(session, member.workspace)
    calendar = business_calendar(session, member.workspace)
    return {
        "departments": list_departments(session, member.workspace),
        "people": member_names(session, member.workspace),
        "policy": sla_policy(session, member.workspace),
        "calendar_json": json.dumps(settings.calendar or {}, ensure_ascii=False, indent=1),
        "closed_days": calendar.closed_days(_today(member), _today(member) + dt.timedelta(days=60)),
        "root_causes": root_causes(session, member.workspace),
        "targets": list_praise_targets(session, member.workspace),
        "praise_kinds": PRAISE_KINDS,
        "webhooks": list_webhooks(session, member.workspace),
        "deliveries": list_deliveries(session, member.workspace, limit=20),
        "webhook_events": WEBHOOK_EVENTS,
        "new_secret": None,
        "error": None,
        **extra,
    }


@router.get("/w/{slug}/admin/loop")
def show_admin(request: Request, member: CaseManagers, session: SessionDep) -> Response:
    """Departments, SLA, business calendar, root causes, praise targets and webhooks."""
    return render_loop_page(
        request, "loop/admin.html", member, "loop-settings", _admin_context(member, session)
    )


@router.post("/w/{slug}/admin/loop")
async def save_admin(
    request: Request, member: CaseManagers, session: SessionDep, _csrf: CsrfChecked
) -> Response:
    """One form per part; `do` says which."""
    form = await request.form()
    action = str(form.get("do") or "")
    secret = None
    try:
        if action == "department":
            lead = str(form.get("lead_id") or "")
            create_department(
                session,
                member.workspace,
                str(form.get("name") or ""),
                lead_id=int(lead) if lead.isdigit() else None,
                email=str(form.get("email") or ""),
                actor=member.actor,
            )
        elif action == "member":
            add_department_member(
                session,
                member.workspace,
                int(str(form.get("department_id"))),
                int(str(form.get("user_id"))),
                actor=member.actor,
            )
        elif action == "sla":
            priorities = {
                str(p): {
                    "first_response_hours": float(str(form.get(f"first_{p}") or 0)),
                    "resolution_hours": float(str(form.get(f"resolve_{p}") or 0)),
                }
                for p in (1, 2, 3, 4)
            }
            update_loop_settings(
                session, member.workspace, sla={"priorities": priorities}, actor=member.actor
            )
        elif action == "calendar":
            try:
                config = json.loads(str(form.get("calendar") or "{}"))
            except json.JSONDecodeError:
                raise InvalidInput(
                    "The calendar settings are not valid JSON.",
                    "営業カレンダーの設定が正しい JSON ではありません。",
                ) from None
            update_loop_settings(session, member.workspace, calendar=config, actor=member.actor)
        elif action == "target":
            create_praise_target(
                session,
                member.workspace,
                str(form.get("name") or ""),
                kind=str(form.get("kind") or "staff"),
                aliases=str(form.get("aliases") or "").replace("、", ",").split(","),
                digest_emails=str(form.get("digest") or "").replace("、", ",").split(","),
                actor=member.actor,
            )
        elif action == "webhook":
            hook = create_webhook(
                session,
                member.workspace,
                str(form.get("name") or ""),
                str(form.get("url") or ""),
                [str(e) for e in form.getlist("events")] or ["rule.matched"],
                actor=member.actor,
            )
            secret = hook.secret
    except (ValueError, TypeError):
        error = InvalidInput(
            "Fill in every field of the form.", "フォームの項目をすべて入力してください。"
        )
        return render_loop_page(
            request,
            "loop/admin.html",
            member,
            "loop-settings",
            _admin_context(member, session, error=error.message(page_language(request))),
            422,
        )
    except KizunaError as exc:
        context = _admin_context(member, session, error=exc.message(page_language(request)))
        return render_loop_page(
            request, "loop/admin.html", member, "loop-settings", context, exc.status
        )
    if secret:
        return render_loop_page(
            request,
            "loop/admin.html",
            member,
            "loop-settings",
            _admin_context(member, session, new_secret=secret),
        )
    return RedirectResponse(f"/w/{member.workspace.slug}/admin/loop", status_code=303)
