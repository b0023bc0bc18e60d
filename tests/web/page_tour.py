"""Every workspace page over demo-like data, and what a person can read on it.

`build_tour` makes one demo workspace fit to show every page at its fullest (analysed and
scored, identities resolved, a saved segment, an open invitation, a dead job, the feature
schedules) and lists the pages to visit. `visible_text` reads a page as a person does:
text and the attributes that show (title, placeholder, aria-label), leaving out scripts
and everything marked translate="no" (names, comments, e-mail addresses: people's own
words, and verbatim identifiers such as API key prefixes). `code_leaks` finds internal
codes in that text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

from sqlalchemy import select
from test_web_customers_api import Demo, build_scored_demo, person_ids

from kizuna import Kizuna
from kizuna.customers.context import context_card
from kizuna.customers.pages import TIMELINE_PAGE
from kizuna.customers.profile import customer_profile, customer_timeline
from kizuna.customers.resolve import resolve_identities
from kizuna.customers.segments import create_segment
from kizuna.features import nav_entries
from kizuna.i18n.vocabulary import codes, kinds

__all__ = ["Tour", "build_tour", "code_leaks", "visible_text"]


@dataclass
class Tour:
    demo: Demo
    pages: list[tuple[str, str]] = field(default_factory=list)  # (what, path)


def build_tour(kz: Kizuna, seed: int = 21) -> Tour:
    demo = build_scored_demo(kz, seed=seed)
    workspace = demo.workspace
    with kz.session() as session:
        resolve_identities(session, workspace)
        create_segment(
            session,
            workspace,
            "離反しそうな優良顧客",
            [
                {"field": "lifecycle_stage", "op": "in", "value": ["loyal", "at-risk"]},
                {"field": "gender", "op": "eq", "value": "female"},
                {"field": "consent_email", "op": "eq", "value": True},
                {"field": "churn_probability", "op": "gte", "value": 0.5},
            ],
        )
        _add_admin_rows(session, workspace)
    base = f"/w/{demo.slug}"
    tour = Tour(demo)
    tour.pages += [
        ("home", f"{base}/"),
        ("customers", f"{base}/customers"),
        ("customers by churn risk", f"{base}/customers?sort=churn"),
        ("actions", f"{base}/actions"),
        ("actions of one kind", f"{base}/actions?code=win_back"),
        ("segments", f"{base}/segments"),
        ("members", f"{base}/admin/members"),
        ("API keys", f"{base}/admin/apikeys"),
        ("audit log", f"{base}/admin/audit"),
        ("jobs", f"{base}/admin/jobs"),
        ("e-mail", f"{base}/admin/mail"),
    ]
    # Every page a feature links from the navigation is toured too, so a new feature's
    # pages are checked for leaks and overflow without editing this list.
    known = {path for _, path in tour.pages}
    for entry in [*nav_entries("main"), *nav_entries("admin")]:
        path = f"{base}/{entry.path}"
        if path.rstrip("/") not in {k.rstrip("/") for k in known}:
            tour.pages.append((entry.section, path))
            known.add(path)
    tour.pages += _survey_pages(kz, workspace, base)  # issue 10: a survey with answers
    tour.pages += _journey_pages(kz, workspace, base)  # issue 13: journeys and personas
    with kz.session() as session:
        for customer_id, cursor in _telling_profiles(kz, session, workspace):
            tour.pages.append((f"profile {customer_id}", f"{base}/customers/{customer_id}"))
            if cursor:
                timeline = f"{base}/customers/{customer_id}/timeline?cursor={quote(cursor)}"
                tour.pages.append((f"timeline of {customer_id}", timeline))
    return tour


def _add_admin_rows(session, workspace) -> None:  # type: ignore[no-untyped-def]
    from kizuna.accounts.members import invite_member
    from kizuna.features import schedules
    from kizuna.jobs.models import Job
    from kizuna.jobs.queue import get_handler
    from kizuna.jobs.schedule import ensure_schedule

    invite_member(
        session, workspace, "new.analyst@example.com", "analyst", actor="system", actor_role="owner"
    )
    session.add(
        Job(
            workspace_id=workspace.id,
            kind="text.analyze",
            state="dead",
            attempts=5,
            payload={},
            last_error="ValueError: the text model file is missing",
            finished_at=dt.datetime.now(dt.UTC),
        )
    )
    for spec in schedules():
        payload = get_handler(spec.kind).payload.model_validate(spec.payload)
        ensure_schedule(
            session,
            spec.name,
            payload,
            spec.cron,
            workspace_id=workspace.id,
            timezone=workspace.timezone,
        )


# What the chosen profiles must show between them: the codes that once leaked.
WANTED = (
    "mixed sentiment",
    "support reason",
    "survey name",
    "line_id identity",
    "external identity",
    "merged records",
    "most valuable",
    "least valuable",
    "last support contact",
    "more timeline",
)


def _telling_profiles(kz: Kizuna, session, workspace) -> list[tuple[int, str | None]]:  # type: ignore[no-untyped-def]
    """A few customers whose profiles show between them every kind of code (WANTED)."""
    from kizuna.customers.models import CustomerScore

    percentiles = dict(
        session.execute(
            select(CustomerScore.customer_id, CustomerScore.clv_percentile).where(
                CustomerScore.workspace_id == workspace.id
            )
        ).all()
    )
    chosen: dict[int, str | None] = {}
    covered: set[str] = set()
    for customer_id in person_ids(kz, workspace):
        page = customer_timeline(session, workspace, customer_id, limit=TIMELINE_PAGE)
        profile = customer_profile(session, workspace, customer_id)
        items = page.items
        shows = set()
        if any(i.analysis and i.analysis.get("sentiment") == "mixed" for i in items):
            shows.add("mixed sentiment")
        if any("reason" in i.properties for i in items):
            shows.add("support reason")
        if any("survey" in i.properties for i in items):
            shows.add("survey name")
        identity_kinds = {i.kind for i in profile.identities}
        if "line_id" in identity_kinds:
            shows.add("line_id identity")
        if any(k.startswith("external:") for k in identity_kinds):
            shows.add("external identity")
        if len(profile.group_ids) > 1:
            shows.add("merged records")
        percentile = percentiles.get(profile.group_ids[0])
        if percentile is not None and percentile >= 99.5:
            shows.add("most valuable")
        if percentile is not None and percentile < 20:
            shows.add("least valuable")
        if page.next_cursor:
            shows.add("more timeline")
        support = "last support contact" not in covered
        if support and context_card(session, workspace, customer_id).last_support is not None:
            shows.add("last support contact")
        if shows - covered:
            chosen[customer_id] = page.next_cursor
            covered |= shows
        if covered >= set(WANTED):
            break
    missing = set(WANTED) - covered
    assert not missing, f"the demo no longer has customers showing {sorted(missing)}"
    return list(chosen.items())


class _Reader(HTMLParser):
    VOID = frozenset(("area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"))
    # <title> repeats the h1 (often a customer's name): the h1 is read instead.
    HIDDEN = frozenset(("title", "script", "style", "template", "datalist"))
    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    @property
    def hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        hidden = self.hidden or tag in self.HIDDEN or values.get("translate") == "no"
        if not hidden:
            if tag == "input" and values.get("type") == "hidden":
                pass
            else:
                self.parts += [v for k, v in attrs if k in self.SHOWN_ATTRIBUTES and v]
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return "\n".join(reader.parts)


# Codes look like this: snake_case, dotted (segment.create), family:member, kebab-case.
CODE_SHAPES = re.compile(
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]{2,}(?:\.[a-z]{2,}[a-z_-]*)+\b|\b[a-z]{2,}:[a-z]\w*"
)
KEBAB = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")
LATIN_WORD = re.compile(r"(?<![\w/.:-])[a-z]{2,}\b(?![-.:]\w)")


def code_leaks(text: str, language: str) -> list[str]:
    """Internal codes in a page's visible text. On a Japanese page any lower-case Latin word
    counts (Japanese pages name everything in Japanese, or in capitals: NPS, CLV, API); on
    an English page, kebab-case counts only when it is a stored code (at-risk, not e-mail)."""
    found = CODE_SHAPES.findall(text)
    if language == "ja":
        found += KEBAB.findall(text) + LATIN_WORD.findall(text)
    else:
        known = {code for kind in kinds() for code in codes(kind)}
        found += [word for word in KEBAB.findall(text) if word in known]
    return sorted(set(found))


# --- issue 10: surveys ----------------------------------------------------------------


def _survey_pages(kz: Kizuna, workspace, base: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """A live survey with answers of every kind and invitations (sent and skipped), and
    its pages: results, answers, questions, distribution, and the contact rules."""
    from kizuna.customers.models import Customer
    from kizuna.surveys.answering import Submission, answer_batch
    from kizuna.surveys.distribution import invite_by_email
    from kizuna.surveys.service import create_survey, publish_survey

    with kz.session() as session:
        workspace = session.merge(workspace)
        survey = create_survey(session, workspace, template="event_feedback")
        publish_survey(session, workspace, survey.id)
        people = list(
            session.scalars(
                select(Customer.id).where(Customer.workspace_id == workspace.id).limit(6)
            )
        )
        invite_by_email(session, kz.settings, workspace, survey, people)
        survey_id, key = survey.id, survey.key
    answers = [
        {
            "overall": 5,
            "heard": "sns",
            "sessions": ["talk", "tasting"],
            "nps": 10,
            "comment": "とても楽しかった",
        },
        {
            "overall": 2,
            "heard": "other",
            "heard.other": "ラジオ",
            "nps": 3,
            "comment": "会場が寒かった",
        },
        {"overall": 4, "heard": "friend", "nps": 8},
    ]
    with kz.session() as session, answer_batch(kz.settings, session) as batch:
        for values in answers:
            batch.submit(Submission(survey_key=key, answers=values, complete=True, channel="qr"))
        batch.submit(Submission(survey_key=key, page=0, answers={"overall": "3"}))
    survey_base = f"{base}/surveys/{survey_id}"
    return [
        ("survey results", survey_base),
        ("survey answers", f"{survey_base}/responses"),
        ("survey questions", f"{survey_base}/edit"),
        ("survey distribution", f"{survey_base}/distribute"),
        ("survey contact rules", f"{base}/surveys/settings"),
    ]


# --- issue 13: journeys and personas, computed so their pages show everything ------------


def _journey_pages(kz: Kizuna, workspace, base: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Personas built and the journey computed for everyone and a persona; their pages."""
    from kizuna.journeys.aggregate import refresh_journey
    from kizuna.journeys.views import journey_view
    from kizuna.personas.service import build_personas, list_personas

    build_personas(kz, workspace)
    refresh_journey(kz, workspace, "all", "365d")
    with kz.session() as session:
        persona = list_personas(session, workspace)[0].id
        result = journey_view(session, workspace, "all", "365d", "ja").result
    refresh_journey(kz, workspace, f"persona:{persona}", "365d")
    quoted = max(result["touchpoints"], key=lambda t: len(t["quotes"]))["touchpoint"]
    return [
        ("journey of a persona", f"{base}/journeys?scope=persona:{persona}"),
        ("journey, every transition", f"{base}/journeys?min_share=0"),
        ("journey not computed", f"{base}/journeys?period=90d"),
        ("touchpoint", f"{base}/journeys/touchpoint?name={quote(quoted)}"),
        ("journey map", f"{base}/journeys/map"),
        ("journeys compared", f"{base}/journeys/compare?a=all&b=persona:{persona}"),
        ("journey settings", f"{base}/journeys/settings"),
    ]
