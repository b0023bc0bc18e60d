"""HTML routes of Customer 360: the customer list, the profile, the work list and segments.

Pages need a logged-in workspace member; every POST (segment create, delete, live count)
carries the session's CSRF token. Data comes from the services (`profile`, `context`,
`actions`, `segments`, `service`); this module only reads forms and picks templates. Labels
are English msgids, translated in the templates by `_()` (web/locale).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.analytics.text.topics import list_topics
from kizuna.customers import service
from kizuna.customers.actions import action_worklist
from kizuna.customers.context import context_card
from kizuna.customers.profile import customer_profile, customer_timeline
from kizuna.customers.segments import (
    SEGMENT_FIELDS,
    count_customers,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    segment_customer_ids,
)
from kizuna.errors import Conflict, InvalidInput
from kizuna.web.deps import CsrfChecked, PageMember, SessionDep
from kizuna.web.home import CHANNEL_NAMES
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = [
    "ACTION_CODES",
    "FACTOR_NAMES",
    "GENDER_NAMES",
    "KIND_NAMES",
    "LIFE_STAGE_NAMES",
    "OP_NAMES",
    "OUTCOME_NAMES",
    "PROPERTY_NAMES",
    "SEGMENT_FIELDS",
    "SEGMENT_FIELD_NAMES",
    "SENTIMENT_NAMES",
    "SORT_NAMES",
    "STAGE_NAMES",
    "parse_conditions",
    "router",
]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
TIMELINE_PAGE = 20
WORKLIST_LIMIT = 200

STAGE_NAMES = {
    "prospect": "Prospect",
    "new": "New",
    "active": "Active",
    "loyal": "Loyal",
    "at-risk": "At risk",
    "lapsed": "Lapsed",
    "won-back": "Won back",
}
KIND_NAMES = {
    "purchase": "Purchase",
    "stay": "Stay",
    "visit": "Visit",
    "email_open": "E-mail opened",
    "ad_view": "Ad seen",
    "sns_post": "Social post",
    "event_attendance": "Event attended",
    "review_post": "Review posted",
    "community_post": "Community post",
    "support_ticket": "Support contact",
    "delivery": "Delivery",
    "reservation": "Reservation",
    "check_out": "Check-out",
    "facility_use": "Facility use",
    "room_service": "Room service",
    "return": "Return",
    "survey": "Survey answer",
    "review": "Review",
    "sns": "Social post",
    "ticket": "Ticket",
    "chat": "Chat",
    "interview": "Interview",
    "community": "Community",
    "employee": "Employee voice",
}
PROPERTY_NAMES = {
    "reason": "Reason",
    "outcome": "Outcome",
    "order_no": "Order",
    "items": "Items",
    "campaign": "Campaign",
    "event": "Event",
    "survey": "Survey",
    "nights": "Nights",
}
GENDER_NAMES = {"female": "Female", "male": "Male", "other": "Other"}
LIFE_STAGE_NAMES = {
    "student": "Student",
    "single": "Single",
    "couple": "Couple",
    "family_with_kids": "Family with children",
    "empty_nester": "Children grown up",
    "senior": "Senior",
}
SORT_NAMES = {
    "recent": "Newest first",
    "clv": "Highest CLV first",
    "churn": "Highest churn risk first",
    "name": "By name",
}
OUTCOME_NAMES = {"resolved": "Resolved", "open": "Open", "escalated": "Escalated"}
SENTIMENT_NAMES = {"positive": "Positive", "negative": "Negative", "neutral": "Neutral"}
ACTION_CODES = {
    "call_detractor_high_value": "Call a valuable detractor",
    "birthday_surprise": "Birthday surprise",
    "life_stage_offer": "Life-stage offer",
    "onboarding_follow_up": "Onboarding follow-up",
    "win_back": "Win back",
}
FACTOR_NAMES = {  # kizuna.customers.scores.CHURN_FEATURES
    "recency_days": "Days since last purchase",
    "frequency": "Repeat purchases",
    "monetary_value": "Average spend",
    "tenure_days": "Days as a customer",
    "purchases_90d": "Purchases in 90 days",
    "nps_last": "Latest NPS",
    "nps_trend": "NPS trend",
    "sentiment_trend": "Sentiment trend",
    "support_tickets_90d": "Support contacts in 90 days",
    "negative_feedback_90d": "Negative voices in 90 days",
}
SEGMENT_FIELD_NAMES = {
    "age_band": "Age band",
    "gender": "Gender",
    "prefecture": "Prefecture",
    "life_stage": "Life stage",
    "interests": "Interests",
    "consent_email": "E-mail consent",
    "consent_analysis": "Analysis consent",
    "lifecycle_stage": "Lifecycle stage",
    "clv_12m": "CLV (12 months)",
    "clv_percentile": "CLV percentile",
    "churn_probability": "Churn risk",
    "p_alive": "P(active)",
    "expected_purchases_90d": "Expected purchases (90 days)",
    "nps_last": "Latest NPS",
    "frequency": "Repeat purchases",
    "recency_days": "Days since last purchase",
    "monetary_value": "Average spend",
}
OP_NAMES = {
    "eq": "is",
    "ne": "is not",
    "in": "is one of",
    "gte": "at least",
    "lte": "at most",
    "contains": "contains",
}
_NUMBER_TYPES = {"number", "float", "int", "integer"}
_TRUE = {"true", "yes", "1", "はい", "on", "y"}


@functools.cache
def _topic_names() -> dict[str, dict[str, str]]:
    frame = list_topics()
    return {
        str(row.topic): {"ja": str(row.name_ja), "en": str(row.name_en)}
        for row in frame.itertuples()
    }


def _labels(lang: str) -> dict[str, Any]:
    topics = _topic_names()
    return {
        "stage_names": STAGE_NAMES,
        "kind_names": KIND_NAMES,
        "property_names": PROPERTY_NAMES,
        "channel_names": CHANNEL_NAMES,
        "sentiment_names": SENTIMENT_NAMES,
        "sort_names": SORT_NAMES,
        "gender_names": GENDER_NAMES,
        "life_stage_names": LIFE_STAGE_NAMES,
        "outcome_names": OUTCOME_NAMES,
        "action_codes": ACTION_CODES,
        "factor_names": FACTOR_NAMES,
        "field_names": SEGMENT_FIELD_NAMES,
        "op_names": OP_NAMES,
        "topic_names": {code: names.get(lang, code) for code, names in topics.items()},
    }


def _page(
    request: Request, name: str, member: Any, context: dict[str, Any], status_code: int = 200
) -> Response:
    lang = choose_language(request, request.app.state.kz.settings.language)
    values = {"member": member, "tz": member.workspace.timezone, **_labels(lang), **context}
    return render_page(request, name, values, status_code=status_code)


@router.get("/w/{slug}/customers")
def show_customers(
    request: Request,
    member: PageMember,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query()] = "recent",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    segment: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Customers: search by name, e-mail or external id; stage, CLV and churn risk at a glance."""
    sort = sort if sort in service.CUSTOMER_SORTS else "recent"
    offset = (page - 1) * PAGE_SIZE
    chosen = None
    if segment is not None:
        chosen = get_segment(session, member.workspace, segment)
        ids = segment_customer_ids(
            session, member.workspace, chosen.conditions, limit=PAGE_SIZE + 1, offset=offset
        )
        more = len(ids) > PAGE_SIZE
        rows = service.list_customer_rows_by_ids(session, member.workspace, ids[:PAGE_SIZE])
    else:
        rows, more = service.list_customer_rows(
            session, member.workspace, q=q, sort=sort, limit=PAGE_SIZE, offset=offset
        )
    context = {
        "nav_section": "customers",
        "rows": rows,
        "q": q,
        "sort": sort,
        "sorts": service.CUSTOMER_SORTS,
        "page_number": page,
        "more": more,
        "segment": chosen,
    }
    return _page(request, "customers/list.html", member, context)


@router.get("/w/{slug}/customers/{customer_id}")
def show_customer(
    request: Request, member: PageMember, session: SessionDep, customer_id: int
) -> Response:
    """One person: the context card on top, next actions, the timeline, identities and records."""
    profile = customer_profile(session, member.workspace, customer_id)
    if profile.customer.id != customer_id:
        # A merged record's address shows its person under the surviving record's id.
        target = f"/w/{member.workspace.slug}/customers/{profile.customer.id}"
        return RedirectResponse(target, status_code=303)
    card = context_card(session, member.workspace, customer_id)
    timeline = customer_timeline(session, member.workspace, customer_id, limit=TIMELINE_PAGE)
    records = service.get_customers_by_ids(session, member.workspace, profile.group_ids)
    context = {
        "nav_section": "customers",
        "profile": profile,
        "customer": profile.customer,
        "customer_id": customer_id,
        "card": card,
        "timeline": timeline,
        "records": [records[i] for i in profile.group_ids if i in records],
    }
    return _page(request, "customers/profile.html", member, context)


@router.get("/w/{slug}/customers/{customer_id}/timeline")
def show_timeline_page(
    request: Request,
    member: PageMember,
    session: SessionDep,
    customer_id: int,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The next page of the timeline, for HTMX to append under the items already shown."""
    timeline = customer_timeline(
        session, member.workspace, customer_id, limit=TIMELINE_PAGE, cursor=cursor
    )
    context = {"timeline": timeline, "customer_id": customer_id}
    return _page(request, "customers/_timeline.html", member, context)


@router.get("/w/{slug}/actions")
def show_actions(
    request: Request,
    member: PageMember,
    session: SessionDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The work list: every customer's next best actions, most urgent first."""
    codes = [code] if code else None
    actions = action_worklist(session, member.workspace, limit=WORKLIST_LIMIT, codes=codes)
    customers = service.get_customers_by_ids(
        session, member.workspace, [a.customer_id for a in actions]
    )
    context = {
        "nav_section": "actions",
        "actions": actions,
        "customers": customers,
        "code": code,
        "counts": _count_codes(actions) if code is None else {},
        "urgent": sum(
            1 for a in actions if a.due_within_hours is not None and a.due_within_hours <= 24
        ),
        "people": len({a.customer_id for a in actions}),
    }
    return _page(request, "customers/actions.html", member, context)


def _count_codes(actions: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.code] = counts.get(action.code, 0) + 1
    return counts


def parse_conditions(fields: list[str], ops: list[str], values: list[str]) -> list[dict[str, Any]]:
    """Condition rows of the segment form, typed by SEGMENT_FIELDS; blank rows are skipped.

    "in" takes a comma-separated list (、 works too); numbers must parse; booleans take
    true/yes/1/はい. The service checks fields and ops and answers in both languages.
    """
    conditions: list[dict[str, Any]] = []
    for field, op, raw in zip(fields, ops, values, strict=False):
        if not field:
            continue
        kind = SEGMENT_FIELDS.get(field, "str")
        text = raw.strip()
        parts = [p.strip() for p in text.replace("、", ",").split(",") if p.strip()]
        if op == "in":
            value: Any = [_typed(field, kind, p) for p in parts]
        else:
            value = _typed(field, kind, text)
        conditions.append({"field": field, "op": op, "value": value})
    return conditions


def _typed(field: str, kind: str, text: str) -> Any:
    if kind in _NUMBER_TYPES:
        try:
            number = float(text)
        except ValueError:
            raise InvalidInput(
                f"'{text}' is not a number; {field} needs one (e.g. 0.5). Fix the value and try "
                "again.",
                f"「{text}」は数値ではありません。{field} には数値(例: 0.5)を入力してください。",
                field=field,
                value=text,
            ) from None
        return int(number) if number.is_integer() and kind in {"int", "integer"} else number
    if kind in {"bool", "boolean"}:
        return text.lower() in _TRUE
    return text


def _segments_context(
    request: Request, member: PageMember, session: SessionDep, **extra: Any
) -> dict[str, Any]:
    return {
        "nav_section": "segments",
        "segments": list_segments(session, member.workspace),
        "fields": SEGMENT_FIELDS,
        "draft_name": "",
        "draft": [{"field": "", "op": "eq", "value": ""}],
        "error": None,
        **extra,
    }


@router.get("/w/{slug}/segments")
def show_segments(request: Request, member: PageMember, session: SessionDep) -> Response:
    """Segments with live counts and the form to build a new one."""
    context = _segments_context(request, member, session)
    return _page(request, "customers/segments.html", member, context)


@router.get("/w/{slug}/segments/row")
def show_condition_row(request: Request, member: PageMember) -> Response:
    """One blank condition row, for the "add condition" button."""
    row = {"field": "", "op": "eq", "value": ""}
    return _page(
        request, "customers/_condition_row.html", member, {"row": row, "fields": SEGMENT_FIELDS}
    )


@router.post("/w/{slug}/segments/count")
def count_draft_segment(
    request: Request,
    member: PageMember,
    session: SessionDep,
    _csrf: CsrfChecked,
    field: Annotated[list[str] | None, Form()] = None,
    op: Annotated[list[str] | None, Form()] = None,
    value: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The live count of the conditions being edited (HTMX), or why they are not valid yet."""
    lang = choose_language(request, request.app.state.kz.settings.language)
    try:
        conditions = parse_conditions(field or [], op or [], value or [])
        context: dict[str, Any] = {
            "count": count_customers(session, member.workspace, conditions),
            "error": None,
        }
    except InvalidInput as exc:
        context = {"count": None, "error": exc.message(lang)}
    return _page(request, "customers/_segment_count.html", member, context)


@router.post("/w/{slug}/segments")
def create_segment_from_form(
    request: Request,
    member: PageMember,
    session: SessionDep,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=200)] = "",
    field: Annotated[list[str] | None, Form()] = None,
    op: Annotated[list[str] | None, Form()] = None,
    value: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Save the segment built in the form and go back to the list."""
    lang = choose_language(request, request.app.state.kz.settings.language)
    rows = [
        {"field": f, "op": o, "value": v}
        for f, o, v in zip(field or [], op or [], value or [], strict=False)
    ]
    try:
        conditions = parse_conditions(field or [], op or [], value or [])
        create_segment(session, member.workspace, name.strip(), conditions)
    except (InvalidInput, Conflict) as exc:
        # Nothing was written: the service checks conditions and name before adding the row.
        context = _segments_context(
            request,
            member,
            session,
            draft_name=name,
            draft=rows or [{"field": "", "op": "eq", "value": ""}],
            error=exc.message(lang),
        )
        return _page(request, "customers/segments.html", member, context, status_code=exc.status)
    return RedirectResponse(f"/w/{member.workspace.slug}/segments", status_code=303)


@router.post("/w/{slug}/segments/{segment_id}/delete")
def delete_segment_from_form(
    member: PageMember, session: SessionDep, _csrf: CsrfChecked, segment_id: int
) -> Response:
    """Delete a segment (its customers stay as they are)."""
    delete_segment(session, member.workspace, segment_id)
    return RedirectResponse(f"/w/{member.workspace.slug}/segments", status_code=303)
