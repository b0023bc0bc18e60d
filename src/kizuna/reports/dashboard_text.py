"""Words of the dashboard's value, engagement, response-rate and segment widgets.

Each is an English msgid translated by the shared message catalog
(`kizuna/i18n/locale/*/LC_MESSAGES/messages.po`); `text_of(lang)` gives the page a
`t(key)` that speaks the page's language, and `MEASURES` names and defines each figure
of the value card (the hover and help text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kizuna.i18n.catalog import catalogs

__all__ = ["MEASURES", "TEXT", "msgids", "text_of"]

# key -> English msgid
TEXT: dict[str, str] = {
    "value_title": "Value and engagement",
    "value_hint": "Whose: the segment or persona chosen (every customer without one); a voice filter narrows them to the customers who gave a matching voice in the period.",
    "scope_all": "All customers",
    "scope_group": "Customers of the segment or persona",
    "scope_respondents": "Customers who gave a matching voice in the period",
    "measure": "Measure",
    "value": "Value",
    "definition": "Definition",
    "responses_title": "Response rate",
    "responses_hint": "Survey invitations sent in the period and the share completed, with a 95% interval.",
    "voices_in_period": "Voices in the period",
    "invitations_sent": "Invitations sent",
    "invitations_completed": "Completed",
    "no_invitations": "No survey invitations were sent in this period.",
    "invitations_ignore": "Invitations are not split by: {names}.",
    "segment": "Segment",
    "persona": "Persona",
    "group_note": "Figures for the chosen segment or persona are computed from its customers' voices (they are not in the daily rollups), and cached for a few minutes.",
    "filter_hint": "Filters combine: every widget shows the voices that match all of them.",
    "show_table": "Show as a table",
}

# measure -> (English name, English definition, kind)
MEASURES: dict[str, tuple[str, str, str]] = {
    "customers": ("Customers", "Customers the card covers.", "count"),
    "clv_customers": (
        "Customers with a CLV",
        "Customers whose latest score has a 12-month CLV.",
        "count",
    ),
    "clv_mean": (
        "CLV, mean",
        "Mean of the customers' latest 12-month discounted CLV (yen).",
        "money",
    ),
    "clv_total": (
        "CLV, total",
        "Sum of the customers' latest 12-month discounted CLV (yen).",
        "money",
    ),
    "buyers": ("Buyers", "Customers with a purchase or stay in the period.", "count"),
    "repeat_buyers": (
        "Repeat buyers",
        "Buyers with purchases on two or more days in the period.",
        "count",
    ),
    "repeat_rate": ("Repeat rate", "Repeat buyers as a share of buyers (%).", "percent"),
    "revenue": ("Revenue", "Amounts of the period's purchases (yen).", "money"),
    "promoters": (
        "Promoters who bought",
        "Buyers whose latest NPS answer by the period's end is 9-10.",
        "count",
    ),
    "promoter_revenue": (
        "Revenue of promoters",
        "The period's purchases of those promoters (yen).",
        "money",
    ),
    "detractors": (
        "Detractors who bought",
        "Buyers whose latest NPS answer by the period's end is 0-6.",
        "count",
    ),
    "detractor_revenue": (
        "Revenue of detractors",
        "The period's purchases of those detractors (yen).",
        "money",
    ),
    "active": (
        "Active customers",
        "Customers with any interaction or voice in the period.",
        "count",
    ),
    "participants": (
        "Took part in events or community",
        "Customers with an event or community interaction in the period.",
        "count",
    ),
    "participation_rate": (
        "Participation rate",
        "Those participants as a share of active customers (%).",
        "percent",
    ),
    "event_participants": (
        "Event participants",
        "Customers with an event attendance (or an interaction on the event channel).",
        "count",
    ),
    "community_participants": (
        "Community participants",
        "Customers with a community post (or an interaction on the community channel).",
        "count",
    ),
}


def msgids() -> list[str]:
    """Every English msgid of this module (a test checks each has a Japanese translation)."""
    return [*TEXT.values(), *(m for name, define, _ in MEASURES.values() for m in (name, define))]


def text_of(lang: str) -> Callable[..., str]:
    """`t(key, **values)` in the page's language; `measure:NAME` and `define:NAME` give a
    value-card figure's name and definition."""
    _ = catalogs().gettext(lang)

    def t(key: str, **values: Any) -> str:
        if key.startswith(("measure:", "define:")):
            kind, name = key.split(":", 1)
            spec = MEASURES[name]
            return _(spec[0] if kind == "measure" else spec[1])
        return _(TEXT[key], **values)

    return t
