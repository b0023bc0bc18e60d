"""Each dashboard widget as rows for a CSV download: the same figures as the page, with codes
(not labels) so a spreadsheet or a script can read them back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from kizuna.cells import safe_row
from kizuna.errors import NotFound
from kizuna.reports.home import HomeView

__all__ = ["WIDGETS", "widget_csv", "widget_rows"]

WIDGETS = (
    *("metrics", "value", "responses", "nps", "sentiment", "volume", "channels"),
    *("topics", "drivers", "voices"),
)


def _metrics(view: HomeView) -> tuple[list[str], list[list[Any]]]:
    header = ["metric", "n", "value", "ci_low", "ci_high", "target", "gap", "start", "end"]
    rows = [
        [
            c.metric,
            c.n,
            c.value,
            c.ci_low,
            c.ci_high,
            c.target.target if c.target else None,
            c.target.gap if c.target else None,
            view.start.isoformat(),
            view.end.isoformat(),
        ]
        for c in view.cards
    ]
    return header, rows


def _records(records: Sequence[dict[str, Any]], header: list[str]) -> list[list[Any]]:
    return [[r.get(name) for name in header] for r in records]


def widget_rows(view: HomeView, widget: str) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of one widget."""
    if widget == "metrics":
        return _metrics(view)
    if widget == "value":
        header = ["measure", "value", "scope", "start", "end"]
        measures = view.value.rows() if view.value else []
        scope = view.value.scope if view.value else None
        period = [view.start.isoformat(), view.end.isoformat()]
        return header, [[name, value, scope, *period] for name, value in measures]
    if widget == "responses":
        header = ["voices", "invitations_sent", "completed", "rate", "ci_low", "ci_high"]
        header += ["start", "end"]
        r = view.responses
        rows = [[r.voices, r.sent, r.completed, r.rate, r.ci_low, r.ci_high]] if r else []
        return header, [[*row, view.start.isoformat(), view.end.isoformat()] for row in rows]
    if widget == "nps":
        header = ["period", "n", "value", "ci_low", "ci_high"]
        return header, _records(view.nps_series, header)
    if widget == "sentiment":
        header = ["period", "analysed", "sentiment", "delight", "exceeded", "below"]
        header += ["positive", "negative"]
        return header, _records(view.trend, header)
    if widget == "volume":
        header = ["period", "voices", "nps", "csat", "ces"]
        return header, _records(view.volume, header)
    if widget == "channels":
        return ["channel", "voices"], [[c, n] for c, n in view.channels]
    if widget == "topics":
        header = ["topic", "voices", "share", "positive", "negative", "net_sentiment", "nps"]
        header += ["previous_voices", "previous_share", "change", "trend"]
        return header, [[getattr(t, name) for name in header] for t in view.topics]
    if widget == "drivers":
        header = ["driver", "share", "ci_low", "ci_high", "significant", "direction"]
        header += ["performance", "quadrant"]
        drivers = view.drivers.rows if view.drivers else []
        return header, _records(drivers, header)
    if widget == "voices":
        header = ["kind", "id", "received_at", "channel", "nps", "sentiment", "delight", "text"]
        voices_rows: list[list[Any]] = [
            [
                kind,
                v.id,
                v.received_at.isoformat(),
                v.channel,
                v.nps,
                v.sentiment,
                v.delight,
                v.text,
            ]
            for kind, voices in view.notable.items()
            for v in voices
        ]
        return header, voices_rows
    raise NotFound(
        f"There is no dashboard widget '{widget}'. Choose one of: {', '.join(WIDGETS)}.",
        f"ダッシュボードに「{widget}」はありません。次から選んでください: {', '.join(WIDGETS)}",
        widget=widget,
    )


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        # Values come from customers' words and stored codes: never let a spreadsheet run them.
        writer.writerow(safe_row(_cell(v) for v in row))
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return value


def widget_csv(view: HomeView, widget: str) -> str:
    header, rows = widget_rows(view, widget)
    return _csv(header, rows)
