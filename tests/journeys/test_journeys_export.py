"""The journey map and the persona cards print Japanese with real glyphs: in the SVG (the
CJK font is named and has every character), in the PNG (the text is not drawn as tofu
boxes) and in the PDF (the Noto Sans CJK font is embedded, on an A3 landscape page)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest

from kizuna.journeys.journey_map import MapInput, journey_map_svg
from kizuna.journeys.render import (
    FONT_FAMILY,
    missing_glyphs,
    svg_to_pdf,
    svg_to_png,
    text_width,
    wrap,
)
from kizuna.personas.picture import cards_svg

SVG_NS = "{http://www.w3.org/2000/svg}"


def result() -> dict[str, Any]:
    """A stored journey as `compute_journey` leaves it, with Japanese everywhere."""
    stages = [
        {"code": c, "name": None, "in_funnel": c != "support", "goal": None, "opportunity": None}
        for c in ("awareness", "consideration", "purchase", "use", "support", "loyalty")
    ]
    stages[3]["goal"] = "ゆっくり温泉で疲れを癒やしたい"
    stages[5]["opportunity"] = "口コミ投稿へのお礼を届ける"
    quotes = [
        {
            "id": 1,
            "text": "朝食のメニューが豊富で、毎朝楽しみでした。",
            "sentiment": "positive",
            "sentiment_score": 0.8,
        },
        {
            "id": 2,
            "text": "チェックインの待ち時間が長く、疲れました。",
            "sentiment": "negative",
            "sentiment_score": -0.6,
        },
    ]
    return {
        "stages": stages,
        "counts": {"customers": 1234, "interactions": 56789, "voices": 4321},
        "period": {"start": "2025-11-01", "end": "2026-10-31"},
        "actions": {
            "use": [{"kind": "stay", "count": 120}],
            "purchase": [{"kind": "purchase", "count": 80}],
        },
        "touchpoints": [
            {
                "touchpoint": "チェックイン",
                "stage": "use",
                "direct": True,
                "interactions": 500,
                "voices": 40,
                "quotes": quotes,
            },
            {
                "touchpoint": "口コミサイト",
                "stage": "loyalty",
                "direct": False,
                "interactions": 30,
                "voices": 9,
                "quotes": [],
            },
        ],
        "stage_voices": {"use": {"quotes": quotes}},
        "emotion_curve": [
            {"stage": "awareness", "n": 0, "mean": None, "ci_low": None, "ci_high": None},
            {"stage": "consideration", "n": 10, "mean": 0.1, "ci_low": -0.1, "ci_high": 0.3},
            {"stage": "purchase", "n": 20, "mean": 0.3, "ci_low": 0.2, "ci_high": 0.4},
            {"stage": "use", "n": 30, "mean": 0.4, "ci_low": 0.3, "ci_high": 0.5},
            {"stage": "support", "n": 12, "mean": -0.3, "ci_low": -0.5, "ci_high": -0.1},
            {"stage": "loyalty", "n": 8, "mean": 0.2, "ci_low": 0.0, "ci_high": 0.4},
        ],
        "pain_points": [
            {
                "touchpoint": "チェックイン",
                "topic": "wait_time",
                "stage": "use",
                "volume": 25,
                "negative_share": 0.8,
            },
        ],
    }


def map_svg(language: str = "ja") -> str:
    return journey_map_svg(
        MapInput(
            result(),
            "すべての顧客",
            language,
            improvements={
                "wait_time": [{"id": 1, "title": "セルフチェックイン機の導入", "status": "planned"}]
            },
        )
    )


def svg_text(svg: str) -> str:
    root = ET.fromstring(svg)
    return "".join(node.text or "" for node in root.iter(f"{SVG_NS}text"))


def test_the_svg_names_the_cjk_font_and_the_font_has_every_character() -> None:
    svg = map_svg()
    root = ET.fromstring(svg)
    assert root.get("width") == "420mm" and root.get("height") == "297mm"
    assert FONT_FAMILY in (root.get("font-family") or "")
    text = svg_text(svg)
    for expected in (
        "認知",
        "継続・推奨",
        "チェックイン",
        "ゆっくり温泉",
        "セルフチェックイン機",
        "待ち時間",
    ):
        assert expected in text, expected
    assert missing_glyphs(text) == set()
    assert missing_glyphs("ก") == {"ก"}, "the check does find a character the font lacks"


def png_pixels(svg: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(svg_to_png(svg, dpi=96))).convert("L"), dtype=float)


def one_line(text: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="80" viewBox="0 0 400 80">'
        '<rect width="400" height="80" fill="#fff"/>'
        f'<text x="10" y="60" font-family="{FONT_FAMILY}" font-size="48">{text}</text></svg>'
    )


def test_png_draws_japanese_glyphs_not_tofu_boxes() -> None:
    japanese = png_pixels(one_line("認知検討"))
    tofu = png_pixels(one_line("\U0010fffd" * 4))  # no glyph anywhere: the blank box
    assert (japanese < 128).sum() > 500, "ink was drawn"
    assert np.abs(japanese - tofu).mean() > 5, "the Japanese text is not the tofu rendering"
    # Each character differs from the next (tofu boxes are all alike).
    width = japanese.shape[1]
    assert not np.array_equal(japanese[:, 10:58], japanese[:, 58:106])
    del width


def test_the_map_png_is_a3_at_150_dpi() -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(svg_to_png(map_svg(), dpi=150)))
    assert image.size == (2480, 1754)


def test_the_pdf_embeds_the_cjk_font_on_an_a3_landscape_page() -> None:
    pdf = svg_to_pdf(map_svg())
    assert pdf.startswith(b"%PDF")
    fonts = set(re.findall(rb"/BaseFont\s*/([A-Za-z0-9+_-]+)", pdf))
    assert fonts and all(b"NotoSansCJK" in f for f in fonts), fonts
    assert b"/FontFile3" in pdf or b"/FontFile2" in pdf, "the font program is embedded"
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box is not None
    assert (float(box.group(1)), float(box.group(2))) == pytest.approx((1190.55, 841.89), abs=1)


def test_english_maps_and_persona_cards_render_too() -> None:
    text = svg_text(map_svg("en"))
    assert "Awareness" in text and "Pain points" in text
    card = {
        "clv": {"mean": 32000.0, "median": 30000.0, "n": 10},
        "nps": {"n": 20, "value": 15.0, "low": -10.0, "high": 38.0},
        "profile": {
            "age_band": [{"code": "30s", "share": 0.6}],
            "life_stage": [{"code": "family_with_kids", "share": 0.7}],
            "region": [{"code": "kanto", "share": 0.5}],
        },
        "channels": [{"code": "app", "share": 0.4, "lift": 1.5}],
        "experience": [{"code": "feel", "share": 0.3}],
        "needs": [{"topic": "food", "count": 4, "quote": {"id": 3, "text": "朝食が美味しかった"}}],
        "pains": [{"topic": "wait_time", "count": 3, "quote": {"id": 4, "text": "待ち時間が長い"}}],
        "journey": {
            "stages": [{"stage": "awareness", "share": 1.0}, {"stage": "purchase", "share": 0.8}]
        },
    }
    items = [
        {
            "name": "子育て世帯・アプリ派",
            "description": "30代の子育て世帯が中心。",
            "size": 120,
            "share": 0.3,
            "card": card,
        }
    ]
    svg = cards_svg(items, language="ja", k=1, silhouette=0.42)
    content = svg_text(svg)
    assert (
        "子育て世帯・アプリ派" in content and "朝食が美味しかった" in content and "関東" in content
    )
    assert missing_glyphs(content) == set()
    assert b"NotoSansCJK" in svg_to_pdf(svg)


def test_lines_wrap_to_their_box() -> None:
    text = "朝食のメニューが豊富で、毎朝楽しみでした。The staff were kind."
    lines = wrap(text, 150, 13)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(text_width(line, 13) <= 150 for line in lines)
    short = wrap(text, 150, 13, max_lines=2)
    assert len(short) == 2 and short[-1].endswith("…")
