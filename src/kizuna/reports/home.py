"""What the home page shows: NPS, CSAT and CES with 95% intervals, monthly NPS, volume by channel.

Numbers come from the reports room (`compute_metric`) and the feedback room's channel count;
this module only picks the window (whole months in the workspace's time zone) and shapes
the figures for the template and the charts (channel names from kizuna.i18n.vocabulary).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kizuna.accounts.models import Workspace
from kizuna.app import Kizuna
from kizuna.feedback.service import count_feedback_by_channel
from kizuna.i18n.vocabulary import label
from kizuna.web.templating import format_month

__all__ = [
    "METRIC_SPECS",
    "WINDOWS",
    "HomeView",
    "MetricCard",
    "build_chart_data",
    "build_home",
    "month_window",
]

WINDOWS = (3, 6, 12, 24)

# How each headline is shown; the scales are the reports room's (ARCHITECTURE.md metrics).
METRIC_SPECS: dict[str, dict[str, Any]] = {
    "nps": {
        "title": "NPS",
        "hint": "Promoters (9-10) minus detractors (0-6), in points",
        "digits": 1,
        "signed": True,
        "unit": "",
        "change_unit": "",
    },
    "csat": {
        "title": "CSAT",
        "hint": "Share of satisfied answers (4-5 of 5)",
        "digits": 1,
        "signed": False,
        "unit": "%",
        "change_unit": "pt",
    },
    "ces": {
        "title": "CES",
        "hint": "Ease of getting things done, mean of 1-7",
        "digits": 2,
        "signed": False,
        "unit": "/7",
        "change_unit": "",
    },
}


@dataclass(frozen=True)
class MetricCard:
    """One headline figure of the window, and the latest month against the one before."""

    metric: str
    n: int = 0
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    latest_period: str | None = None
    latest_change: float | None = None
    latest_significant: bool | None = None


@dataclass
class HomeView:
    workspace: Workspace
    months: int
    start: dt.date
    end: dt.date
    now: dt.datetime
    cards: list[MetricCard] = field(default_factory=list)
    nps_series: list[dict[str, Any]] = field(default_factory=list)
    channels: list[tuple[str, int]] = field(default_factory=list)
    unavailable: str | None = None

    @property
    def total(self) -> int:
        return sum(n for _, n in self.channels)


def month_window(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The first day of the month `months - 1` before today's, and today."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1), today


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _card(metric: str, overall: list[dict[str, Any]], monthly: list[dict[str, Any]]) -> MetricCard:
    total = overall[0] if overall else {}
    latest = monthly[-1] if monthly else {}
    significant = latest.get("change_significant")
    return MetricCard(
        metric=metric,
        n=int(total.get("n") or 0),
        value=_number(total.get("value")),
        ci_low=_number(total.get("ci_low")),
        ci_high=_number(total.get("ci_high")),
        latest_period=str(latest["period"])[:10] if latest.get("period") else None,
        latest_change=_number(latest.get("change")),
        latest_significant=None if significant is None else bool(significant),
    )


def build_home(kz: Kizuna, workspace: Workspace, months: int = 12) -> HomeView:
    """Gather the home page's figures for the last `months` whole months."""
    months = months if months in WINDOWS else 12
    now = dt.datetime.now(dt.UTC)
    start, end = month_window(now.astimezone(ZoneInfo(workspace.timezone)).date(), months)
    view = HomeView(workspace=workspace, months=months, start=start, end=end, now=now)
    with kz.session() as session:
        view.channels = count_feedback_by_channel(session, workspace, start, end)
    try:
        from kizuna.reports.service import compute_metric
    except ImportError:
        view.unavailable = "reports"
        return view
    for metric in ("nps", "csat", "ces"):
        overall = compute_metric(kz, workspace, metric, start=start, end=end).to_records()
        monthly = compute_metric(
            kz, workspace, metric, period="month", start=start, end=end
        ).to_records()
        view.cards.append(_card(metric, overall, monthly))
        if metric == "nps":
            view.nps_series = [
                {
                    "period": str(row["period"])[:10],
                    "n": int(row.get("n") or 0),
                    "value": _number(row.get("value")),
                    "ci_low": _number(row.get("ci_low")),
                    "ci_high": _number(row.get("ci_high")),
                }
                for row in monthly
            ]
    return view


def build_chart_data(
    view: HomeView, lang: str, translate: Callable[..., str]
) -> dict[str, dict[str, Any]]:
    """ECharts inputs, labels already in the page's language (the browser formats nothing)."""
    series = view.nps_series
    return {
        "nps": {
            "labels": [format_month(row["period"], lang) for row in series],
            "value": [row["value"] for row in series],
            "low": [row["ci_low"] for row in series],
            "high": [row["ci_high"] for row in series],
            "n": [row["n"] for row in series],
            "names": {
                "value": translate("NPS"),
                "band": translate("95% interval"),
                "n": translate("Responses"),
                "empty": translate("No answers in this period."),
            },
        },
        "channels": {
            "labels": [label("channel", code, lang) for code, _ in view.channels],
            "values": [n for _, n in view.channels],
            "names": {
                "value": translate("Feedback"),
                "empty": translate("No answers in this period."),
            },
        },
    }
