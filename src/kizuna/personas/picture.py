"""Persona cards as one A3 landscape picture (SVG, then PNG or PDF with Japanese fonts).

Up to four cards a row; each shows the name, the one-line description, size and share,
CLV, NPS with its interval, profile, preferred channels, experience values, top needs and
pains with a quote each, and the typical journey. Text is wrapped to the card with the
font it is printed in (`kizuna.journeys.render`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from kizuna.i18n.vocabulary import label
from kizuna.journeys.render import A3_LANDSCAPE, SVG_FONTS, wrap, xml

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kizuna.accounts.models import Workspace

__all__ = ["MEDIA", "CardInput", "cards_picture", "cards_svg"]

MEDIA = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}

TEXTS = {
    "title": {"ja": "ペルソナ", "en": "Personas"},
    "size": {"ja": "{n} 人({p})", "en": "{n} customers ({p})"},
    "clv": {"ja": "CLV(12か月, 平均)", "en": "CLV (12 months, mean)"},
    "nps": {"ja": "NPS", "en": "NPS"},
    "profile": {"ja": "プロフィール", "en": "Profile"},
    "channels": {"ja": "よく使うチャネル", "en": "Preferred channels"},
    "experience": {"ja": "経験価値", "en": "Experience values"},
    "needs": {"ja": "ニーズ", "en": "Needs"},
    "pains": {"ja": "ペイン", "en": "Pains"},
    "journey": {"ja": "典型的なジャーニー", "en": "Typical journey"},
    "method": {
        "ja": "k-プロトタイプ法(Gower 距離)· ペルソナ数はシルエット係数で選択({k} 個, {s})· {day}",
        "en": "k-prototypes on Gower distances · number of personas by silhouette ({k}, {s}) · {day}",
    },
}

CardInput = dict[str, Any]  # {name, description, size, share, card}


def _t(key: str, language: str, **values: Any) -> str:
    texts = TEXTS[key]
    return texts.get(language, texts["en"]).format(**values)


def _lines(
    parts: list[str],
    x: float,
    y: float,
    width: float,
    text: str,
    size: float,
    max_lines: int,
    fill: str = "#1c2333",
    bold: bool = False,
) -> float:
    weight = ' font-weight="bold"' if bold else ""
    for line in wrap(text, width, size, max_lines, bold):
        y += size * 1.4
        parts.append(
            f'<text x="{x:.1f}" y="{y - size * 0.3:.1f}" font-size="{size}"{weight} '
            f'fill="{fill}">{xml(line)}</text>'
        )
    return y


def _card(
    parts: list[str], item: CardInput, x: float, y: float, w: float, h: float, lang: str
) -> None:
    card = item["card"]
    parts.append(
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="10" '
        'fill="#f7f8fb" stroke="#d9deea"/>'
    )
    inner, left = w - 32, x + 16
    at = _lines(parts, left, y + 8, inner, item["name"], 20, 2, bold=True)
    share = f"{item['share']:.0%}"
    at = _lines(
        parts,
        left,
        at,
        inner,
        _t("size", lang, n=f"{item['size']:,}", p=share),
        12.5,
        1,
        fill="#5b6478",
    )
    at = _lines(parts, left, at + 2, inner, item["description"], 12.5, 3)
    rows: list[tuple[str, str]] = []
    clv = card.get("clv")
    if clv:
        rows.append((_t("clv", lang), f"¥{clv['mean']:,.0f}"))
    nps = card.get("nps")
    if nps:
        rows.append(
            (_t("nps", lang), f"{nps['value']:+.0f} ({nps['low']:+.0f}〜{nps['high']:+.0f})")
        )
    profile = card.get("profile", {})
    bits = [
        label(kind, rows_[0]["code"], lang)
        for kind, rows_ in (
            ("age_band", profile.get("age_band")),
            ("life_stage", profile.get("life_stage")),
            ("region", profile.get("region")),
        )
        if rows_
    ]
    rows.append((_t("profile", lang), " · ".join(bits) or "—"))
    channels = [
        f"{label('channel', c['code'], lang)} {c['share']:.0%}" for c in card.get("channels", [])
    ]
    rows.append((_t("channels", lang), " · ".join(channels) or "—"))
    values = [label("experience_value", e["code"], lang) for e in card.get("experience", [])[:3]]
    rows.append((_t("experience", lang), " · ".join(values) or "—"))
    for key in ("needs", "pains"):
        topics = card.get(key, [])[:2]
        text = " · ".join(label("topic", t["topic"], lang) for t in topics) or "—"
        quote = next((t["quote"]["text"] for t in topics if t.get("quote")), None)
        rows.append((_t(key, lang), text + (f" 「{quote}」" if quote else "")))
    journey = card.get("journey", {})
    steps = [label("journey_stage", s["stage"], lang) for s in journey.get("stages", [])]
    rows.append((_t("journey", lang), " → ".join(steps) or "—"))
    bottom = y + h - 10
    for title, value in rows:
        if at > bottom - 40:
            break
        at = _lines(parts, left, at + 4, inner, title, 11.5, 1, fill="#5b6478", bold=True)
        room = max(1, int((bottom - at) // 17))
        at = _lines(
            parts,
            left,
            at,
            inner,
            value,
            12,
            min(3 if title in (_t("needs", lang), _t("pains", lang)) else 2, room),
        )


def cards_svg(
    items: list[CardInput],
    *,
    language: str = "ja",
    k: int | None = None,
    silhouette: float | None = None,
    made_on: dt.date | None = None,
) -> str:
    """The persona cards on one A3 landscape SVG, in `language`."""
    width, height = A3_LANDSCAPE
    parts: list[str] = []
    title = _t("title", language)
    parts.append(
        f'<text x="36" y="58" font-size="26" font-weight="bold" fill="#1c2333">{xml(title)}</text>'
    )
    columns = min(4, max(1, len(items)))
    rows = max(1, math.ceil(len(items) / columns))
    gap, top = 18.0, 80.0
    card_w = (width - 72 - gap * (columns - 1)) / columns
    card_h = (height - top - 56 - gap * (rows - 1)) / rows
    for i, item in enumerate(items):
        row, col = divmod(i, columns)
        _card(
            parts,
            item,
            36 + col * (card_w + gap),
            top + row * (card_h + gap),
            card_w,
            card_h,
            language,
        )
    note = _t(
        "method",
        language,
        k=len(items) if k is None else k,
        s="-" if silhouette is None else f"{silhouette:.2f}",
        day=(made_on or dt.date.today()).isoformat(),
    )
    parts.append(
        f'<text x="36" y="{height - 24:.1f}" font-size="12" fill="#5b6478">{xml(note)}</text>'
    )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="420mm" height="297mm" '
        f'viewBox="0 0 {width} {height}" font-family="{xml(SVG_FONTS)}" role="img" '
        f'aria-label="{xml(title)}"><title>{xml(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
    )
    return head + "".join(parts) + "</svg>"


def cards_picture(
    session: Session, workspace: Workspace, language: str, fmt: str
) -> tuple[bytes, str]:
    """(bytes, media type) of the active personas' cards as SVG, PNG or PDF."""
    from kizuna.errors import NotFound
    from kizuna.journeys.render import svg_to_pdf, svg_to_png
    from kizuna.personas.service import latest_run, list_personas, persona_name

    personas = list_personas(session, workspace)
    run = latest_run(session, workspace)
    if not personas or run is None:
        raise NotFound(
            "No personas yet. Build them on the personas page or with `kizuna personas build`.",
            "まだペルソナがありません。ペルソナのページか `kizuna personas build` で作成してください。",
        )
    items = [
        {
            "name": persona_name(p, language),
            "description": (p.description or {}).get(language) or "",
            "size": p.size,
            "share": p.share,
            "card": dict(p.card or {}),
        }
        for p in personas
    ]
    silhouette = (run.silhouettes or {}).get(str(run.k))
    svg = cards_svg(
        items, language=language, k=run.k, silhouette=silhouette, made_on=run.built_at.date()
    )
    if fmt == "png":
        return svg_to_png(svg), MEDIA[fmt]
    if fmt == "pdf":
        return svg_to_pdf(svg), MEDIA[fmt]
    return svg.encode("utf-8"), MEDIA["svg"]
