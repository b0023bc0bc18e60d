"""The journey map picture: stages across, rows down, drawn as an A3 landscape SVG.

Rows: the customer's goals and actions (the stage's goal as the team wrote it, then what
customers do there most), touchpoints (busiest first; ● the company's own, ○ indirect),
thoughts (real quotes: the strongest negative and positive voice of the stage), the
emotion curve (mean sentiment per stage with its 95% band), pain points (volume x
negativity) and opportunities (the team's note, improvements already under way for the
pain's topic, else the top pain turned into a question). Everything comes from a stored
snapshot (`kizuna.journeys.aggregate`); `render` turns the SVG into PNG or PDF.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from kizuna.i18n.vocabulary import label
from kizuna.journeys.render import A3_LANDSCAPE, SVG_FONTS, wrap, xml

__all__ = ["MapInput", "journey_map_svg", "stage_name"]

TEXTS = {
    "title": {"ja": "カスタマージャーニーマップ", "en": "Customer journey map"},
    "goals": {"ja": "目標と行動", "en": "Goals and actions"},
    "touchpoints": {"ja": "タッチポイント", "en": "Touchpoints"},
    "thoughts": {"ja": "考えたこと(実際の声)", "en": "Thoughts (real voices)"},
    "emotion": {"ja": "感情曲線", "en": "Emotion curve"},
    "pains": {"ja": "ペインポイント", "en": "Pain points"},
    "opportunities": {"ja": "改善の機会", "en": "Opportunities"},
    "legend": {
        "ja": "● 自社の接点(直接) ○ 間接の接点 · 帯は平均感情の95%信頼区間 · 値は -1(否定)〜+1(肯定)",
        "en": "● own (direct) ○ indirect touchpoint · band: 95% interval of mean sentiment · "
        "values from -1 (negative) to +1 (positive)",
    },
    "no_voices": {"ja": "この段階の声はまだありません", "en": "No voices at this stage yet"},
    "improve": {
        "ja": "「{topic}」をどう良くするか({touchpoint})",
        "en": "How to improve {topic} ({touchpoint})",
    },
    "voices": {"ja": "{n}件", "en": "{n} voices"},
    "negative": {"ja": "否定 {p}", "en": "{p} negative"},
    "counts": {
        "ja": "顧客 {customers} 人 · 接点 {interactions} 件 · 声 {voices} 件 · {start}〜{end}",
        "en": "{customers} customers · {interactions} interactions · {voices} voices · "
        "{start} to {end}",
    },
    "made": {"ja": "Kizuna で {day} に作成", "en": "Made with Kizuna on {day}"},
    "improvement": {"ja": "改善中: {title}", "en": "Under way: {title}"},
}
PALETTE = ("#3d4fd6", "#1f9d8b", "#e08a1e", "#7b4fd6", "#c2415c", "#2f7fb8", "#5d7a2c")


def _t(key: str, language: str, **values: Any) -> str:
    texts = TEXTS[key]
    return texts.get(language, texts["en"]).format(**values)


def stage_name(stage: dict[str, Any], language: str) -> str:
    """A stage's name: the team's, else the vocabulary's for a default stage."""
    return str(stage.get("name") or label("journey_stage", stage["code"], language))


@dataclass
class MapInput:
    """What the map shows: a snapshot's result and how to title it."""

    result: dict[str, Any]
    scope_label: str
    language: str = "ja"
    improvements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # topic -> rows
    made_on: dt.date | None = None


class _Canvas:
    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str,
        stroke: str = "none",
        radius: float = 6,
    ) -> None:
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius}" '
            f'fill="{fill}" stroke="{stroke}"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        *,
        fill: str = "#1c2333",
        bold: bool = False,
        anchor: str = "start",
    ) -> None:
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{weight} fill="{fill}" '
            f'text-anchor="{anchor}">{xml(text)}</text>'
        )

    def lines(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        size: float,
        max_lines: int,
        *,
        fill: str = "#1c2333",
        bold: bool = False,
    ) -> float:
        """Wrapped text from (x, y); returns the y below the last line."""
        step = size * 1.4
        for line in wrap(text, width, size, max_lines, bold):
            y += step
            self.text(x, y - size * 0.3, line, size, fill=fill, bold=bold)
        return y

    def svg(self, title: str) -> str:
        width, height = self.width, self.height
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="420mm" height="297mm" '
            f'viewBox="0 0 {width} {height}" font-family="{xml(SVG_FONTS)}" '
            f'role="img" aria-label="{xml(title)}">'
            f"<title>{xml(title)}</title>"
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        )
        return head + "".join(self.parts) + "</svg>"


def _quotes_of_stage(result: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """The stage's strongest negative and strongest positive voice (with text)."""
    stage = result.get("stage_voices", {}).get(code) or {}
    quotes = [
        q for q in stage.get("quotes", []) if q.get("text") and q.get("sentiment_score") is not None
    ]
    if not quotes:
        return []
    low = min(quotes, key=lambda q: (q["sentiment_score"], q.get("id") or 0))
    high = max(quotes, key=lambda q: (q["sentiment_score"], -(q.get("id") or 0)))
    if low is high or high["sentiment_score"] <= 0:
        return [low]
    return [low, high] if low["sentiment_score"] < 0 else [high]


def journey_map_svg(data: MapInput) -> str:
    """The journey map as an A3 landscape SVG in `data.language`."""
    lang, result = data.language, data.result
    width, height = A3_LANDSCAPE
    canvas = _Canvas(width, height)
    stages = result.get("stages", [])
    title = f"{_t('title', lang)} — {data.scope_label}"
    canvas.text(36, 58, title, 26, bold=True)
    counts, period = result.get("counts", {}), result.get("period", {})
    canvas.text(
        36,
        84,
        _t(
            "counts",
            lang,
            customers=f"{counts.get('customers', 0):,}",
            interactions=f"{counts.get('interactions', 0):,}",
            voices=f"{counts.get('voices', 0):,}",
            start=period.get("start") or "…",
            end=period.get("end") or "",
        ),
        13,
        fill="#5b6478",
    )
    left, label_width, top = 36.0, 150.0, 104.0
    grid_left = left + label_width + 8
    column = (width - 36 - grid_left) / max(1, len(stages))
    rows = [
        ("goals", 122), ("touchpoints", 150), ("thoughts", 176),
        ("emotion", 168), ("pains", 140), ("opportunities", 128),
    ]  # fmt: skip
    header = 44.0
    for i, stage in enumerate(stages):
        x = grid_left + i * column
        canvas.rect(x + 3, top, column - 6, header, PALETTE[i % len(PALETTE)])
        canvas.text(
            x + column / 2,
            top + 29,
            stage_name(stage, lang),
            18,
            fill="#ffffff",
            bold=True,
            anchor="middle",
        )
    y = top + header + 8
    for key, row_height in rows:
        canvas.rect(left, y, label_width, row_height - 6, "#eef1f6")
        canvas.lines(left + 10, y + 6, label_width - 20, _t(key, lang), 14, 3, bold=True)
        if key == "emotion":
            _emotion_row(canvas, result, grid_left, y, column, row_height - 6, lang)
        else:
            for i, stage in enumerate(stages):
                x = grid_left + i * column
                canvas.rect(x + 3, y, column - 6, row_height - 6, "#f7f8fb", "#e1e5ee")
                _cell(
                    canvas,
                    key,
                    result,
                    stage,
                    data,
                    x + 12,
                    y + 4,
                    column - 24,
                    row_height - 14,
                    lang,
                )
        y += row_height
    canvas.text(36, height - 30, _t("legend", lang), 12, fill="#5b6478")
    day = (data.made_on or dt.date.today()).isoformat()
    canvas.text(
        width - 36, height - 30, _t("made", lang, day=day), 12, fill="#5b6478", anchor="end"
    )
    return canvas.svg(title)


def _cell(
    canvas: _Canvas,
    key: str,
    result: dict[str, Any],
    stage: dict[str, Any],
    data: MapInput,
    x: float,
    y: float,
    width: float,
    height: float,
    lang: str,
) -> None:
    code = stage["code"]
    size = 12.5
    lines = max(1, int(height // (size * 1.4)))
    if key == "goals":
        used = 0
        if stage.get("goal"):
            y = canvas.lines(x, y, width, str(stage["goal"]), size, min(2, lines), bold=True)
            used = min(2, len(wrap(str(stage["goal"]), width, size, 2, True)))
        for action in result.get("actions", {}).get(code, [])[: max(0, lines - used)]:
            text = f"{label('interaction_kind', action['kind'], lang)}  {action['count']:,}"
            y = canvas.lines(x, y, width, text, size, 1)
    elif key == "touchpoints":
        rows = [t for t in result.get("touchpoints", []) if t.get("stage") == code]
        for t in rows[:lines]:
            mark = "●" if t.get("direct", True) else "○"
            volume = t.get("interactions") or t.get("voices") or 0
            text = f"{mark} {t['touchpoint']}"
            y = canvas.lines(x, y, width - 48, text, size, 1)
            canvas.text(
                x + width, y - size * 0.3, f"{volume:,}", size, fill="#5b6478", anchor="end"
            )
    elif key == "thoughts":
        quotes = _quotes_of_stage(result, code)
        if not quotes:
            canvas.lines(x, y, width, _t("no_voices", lang), size, 2, fill="#8a93a6")
        share = max(1, lines // max(1, len(quotes)))
        for quote in quotes:
            colour = "#b3261e" if (quote.get("sentiment_score") or 0) < 0 else "#1f7a4d"
            y = canvas.lines(x, y, width, f"「{quote['text']}」", size, share, fill=colour)
    elif key == "pains":
        pains = [p for p in result.get("pain_points", []) if p.get("stage") == code][:2]
        for pain in pains:
            topic = label("topic", pain["topic"], lang)
            y = canvas.lines(x, y, width, f"{pain['touchpoint']} · {topic}", size, 1, bold=True)
            negative = f"{(pain.get('negative_share') or 0):.0%}"
            detail = f"{_t('voices', lang, n=pain['volume'])} · {_t('negative', lang, p=negative)}"
            y = canvas.lines(x, y, width, detail, size - 1, 1, fill="#5b6478")
    elif key == "opportunities":
        items: list[str] = []
        if stage.get("opportunity"):
            items.append(str(stage["opportunity"]))
        pains = [p for p in result.get("pain_points", []) if p.get("stage") == code]
        for pain in pains[:2]:
            for improvement in data.improvements.get(pain["topic"], [])[:1]:
                items.append(_t("improvement", lang, title=improvement["title"]))
        if not items and pains:
            topic = label("topic", pains[0]["topic"], lang)
            items.append(_t("improve", lang, topic=topic, touchpoint=pains[0]["touchpoint"]))
        for item in items[:3]:
            y = canvas.lines(x, y, width, f"・{item}", size, 2)


def _emotion_row(
    canvas: _Canvas,
    result: dict[str, Any],
    grid_left: float,
    y: float,
    column: float,
    height: float,
    lang: str,
) -> None:
    curve = {row["stage"]: row for row in result.get("emotion_curve", [])}
    stages = result.get("stages", [])
    canvas.rect(grid_left + 3, y, column * len(stages) - 6, height, "#f7f8fb", "#e1e5ee")
    top, bottom = y + 14, y + height - 14

    def at(value: float) -> float:
        return bottom - (max(-1.0, min(1.0, value)) + 1) / 2 * (bottom - top)

    zero = at(0.0)
    canvas.parts.append(
        f'<line x1="{grid_left + 3:.1f}" y1="{zero:.1f}" x2="{grid_left + column * len(stages) - 3:.1f}" '
        f'y2="{zero:.1f}" stroke="#b8bfcf" stroke-dasharray="6 4"/>'
    )
    points: list[tuple[float, dict[str, Any]]] = []
    for i, stage in enumerate(stages):
        row = curve.get(stage["code"])
        if row and row.get("mean") is not None:
            points.append((grid_left + (i + 0.5) * column, row))
    runs: list[list[tuple[float, dict[str, Any]]]] = []
    for point in points:  # a stage without voices breaks the curve
        index = round((point[0] - grid_left) / column - 0.5)
        if runs and round((runs[-1][-1][0] - grid_left) / column - 0.5) == index - 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    for run in runs:
        banded = [(x, r) for x, r in run if r.get("ci_low") is not None]
        if len(banded) > 1:
            upper = " ".join(f"{x:.1f},{at(r['ci_high']):.1f}" for x, r in banded)
            lower = " ".join(f"{x:.1f},{at(r['ci_low']):.1f}" for x, r in reversed(banded))
            canvas.parts.append(
                f'<polygon points="{upper} {lower}" fill="#3d4fd6" fill-opacity="0.16" '
                f'stroke="none"/>'
            )
        if len(run) > 1:
            line = " ".join(f"{x:.1f},{at(r['mean']):.1f}" for x, r in run)
            canvas.parts.append(
                f'<polyline points="{line}" fill="none" stroke="#3d4fd6" stroke-width="3"/>'
            )
    for x, row in points:
        if row.get("ci_low") is not None and row.get("ci_high") is not None:
            canvas.parts.append(
                f'<line x1="{x:.1f}" y1="{at(row["ci_low"]):.1f}" x2="{x:.1f}" '
                f'y2="{at(row["ci_high"]):.1f}" stroke="#3d4fd6" stroke-opacity="0.45" '
                f'stroke-width="6"/>'
            )
        mean = float(row["mean"])
        colour = "#b3261e" if mean < 0 else "#1f7a4d"
        canvas.parts.append(
            f'<circle cx="{x:.1f}" cy="{at(mean):.1f}" r="7" fill="{colour}" stroke="#ffffff" '
            f'stroke-width="2"/>'
        )
        canvas.text(x + 12, at(mean) - 10, f"{mean:+.2f}", 13, bold=True, fill=colour)
    del lang
