"""HTML routes of Customer 360: the customer list, the profile, the work list and segments.

Pages need a logged-in workspace member; every POST (segment create, delete, live count)
carries the session's CSRF token. Data comes from the services (`profile`, `context`,
`actions`, `segments`, `service`); this module only reads forms and picks templates. Stored
codes are named in the templates by `label(kind, code)` (kizuna.i18n.vocabulary) and other
text by `_()` (the catalog in kizuna.i18n).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

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
from kizuna.i18n.vocabulary import label
from kizuna.web.deps import Caller, CsrfChecked, SessionDep, page_member
from kizuna.web.i18n import choose_language
from kizuna.web.templating import render_page

__all__ = [
    "PROPERTY_VALUE_KINDS",
    "SEGMENT_FIELDS",
    "SEGMENT_VALUE_KINDS",
    "parse_conditions",
    "router",
]

router = APIRouter(include_in_schema=False)

CustomerReaders = Annotated[Caller, Depends(page_member("customers.read"))]
ActionReaders = Annotated[Caller, Depends(page_member("actions.read"))]
SegmentReaders = Annotated[Caller, Depends(page_member("segments.read"))]
SegmentWriters = Annotated[Caller, Depends(page_member("segments.write"))]

PAGE_SIZE = 25
TIMELINE_PAGE = 20
WORKLIST_PAGE = 50
_WHOLE_LIST = 1 << 62  # no cap on the work list: it is paged instead

# Timeline properties whose values are codes, named by the vocabulary kind of that name
# (other shown properties are the business's own words: hotel, store, campaign, ...).
PROPERTY_VALUE_KINDS = {"reason": "reason", "outcome": "outcome", "survey": "survey"}
# Segment fields whose condition values are codes.
SEGMENT_VALUE_KINDS = {
    "lifecycle_stage": "lifecycle_stage",
    "gender": "gender",
    "life_stage": "life_stage",
    "age_band": "age_band",
}
_NUMBER_TYPES = {"number", "float", "int", "integer"}
_TRUE = {"true", "yes", "1", "はい", "on", "y"}


def _labels() -> dict[str, Any]:
    """What the templates need beyond `label()`: which shown values are codes, and of what."""
    return {
        "property_value_kinds": PROPERTY_VALUE_KINDS,
        "segment_value_kinds": SEGMENT_VALUE_KINDS,
    }


def _page(
    request: Request, name: str, member: Any, context: dict[str, Any], status_code: int = 200
) -> Response:
    values = {"member": member, "tz": member.workspace.timezone, **_labels(), **context}
    return render_page(request, name, values, status_code=status_code)


@router.get("/w/{slug}/customers")
def show_customers(
    request: Request,
    member: CustomerReaders,
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
    request: Request, member: CustomerReaders, session: SessionDep, customer_id: int
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
    member: CustomerReaders,
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
    member: ActionReaders,
    session: SessionDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The work list: every customer's next best actions, most urgent first, a page at a time
    (the counts above it cover the whole list)."""
    codes = [code] if code else None
    every = action_worklist(session, member.workspace, limit=_WHOLE_LIST, codes=codes)
    pages = max(1, -(-len(every) // WORKLIST_PAGE))
    page = min(page, pages)
    actions = every[(page - 1) * WORKLIST_PAGE : page * WORKLIST_PAGE]
    customers = service.get_customers_by_ids(
        session, member.workspace, [a.customer_id for a in actions]
    )
    context = {
        "nav_section": "actions",
        "actions": actions,
        "total": len(every),
        "page_number": page,
        "pages": pages,
        "customers": customers,
        "code": code,
        "counts": _count_codes(every) if code is None else {},
        "urgent": sum(
            1 for a in every if a.due_within_hours is not None and a.due_within_hours <= 24
        ),
        "people": len({a.customer_id for a in every}),
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
            name_en, name_ja = label("segment_field", field, "en"), label("segment_field", field)
            raise InvalidInput(
                f"'{text}' is not a number; {name_en} needs one (e.g. 0.5). Fix the value and try "
                "again.",
                f"「{text}」は数値ではありません。{name_ja}には数値(例: 0.5)を入力してください。",
                field=field,
                value=text,
            ) from None
        return int(number) if number.is_integer() and kind in {"int", "integer"} else number
    if kind in {"bool", "boolean"}:
        return text.lower() in _TRUE
    return text


def _segments_context(
    request: Request, member: Caller, session: SessionDep, **extra: Any
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
def show_segments(request: Request, member: SegmentReaders, session: SessionDep) -> Response:
    """Segments with live counts and the form to build a new one."""
    context = _segments_context(request, member, session)
    return _page(request, "customers/segments.html", member, context)


@router.get("/w/{slug}/segments/row")
def show_condition_row(request: Request, member: SegmentReaders) -> Response:
    """One blank condition row, for the "add condition" button."""
    row = {"field": "", "op": "eq", "value": ""}
    return _page(
        request, "customers/_condition_row.html", member, {"row": row, "fields": SEGMENT_FIELDS}
    )


@router.post("/w/{slug}/segments/count")
def count_draft_segment(
    request: Request,
    member: SegmentReaders,
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
    member: SegmentWriters,
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
        create_segment(session, member.workspace, name.strip(), conditions, actor=member.actor)
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
    member: SegmentWriters, session: SessionDep, _csrf: CsrfChecked, segment_id: int
) -> Response:
    """Delete a segment (its customers stay as they are)."""
    delete_segment(session, member.workspace, segment_id, actor=member.actor)
    return RedirectResponse(f"/w/{member.workspace.slug}/segments", status_code=303)
