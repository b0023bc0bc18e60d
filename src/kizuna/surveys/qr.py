"""QR codes for receipts, rooms and counters: the survey's public link with its touchpoint.

The code carries `{public_url}/s/{key}?ch=qr&touchpoint=...` (and any other hidden fields
given), so every answer through it is a voice of that touchpoint with the QR code's channel.
Made with `segno` (pure Python, ISO/IEC 18004), error correction level M (15% of the code
may be smudged or covered), as PNG (for print shops and slides) or SVG (scales without
blur). Nothing is stored: the same arguments make the same image.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Literal

from kizuna.errors import InvalidInput
from kizuna.settings import Settings
from kizuna.surveys.distribution import public_url
from kizuna.surveys.models import Survey

__all__ = ["QR_FORMATS", "qr_code", "qr_url"]

QR_FORMATS = ("png", "svg")
QrFormat = Literal["png", "svg"]


def qr_url(
    settings: Settings,
    survey: Survey,
    touchpoint: str | None = None,
    hidden: Mapping[str, str] | None = None,
) -> str:
    """The link a QR code carries."""
    allowed = set(survey.definition.get("hidden") or [])
    extra = dict(hidden or {})
    unknown = sorted(set(extra) - allowed)
    if unknown:
        raise InvalidInput(
            f"Unknown hidden field(s) {unknown}; this survey has {sorted(allowed)}.",
            f"不明な隠しフィールド {unknown} です。このアンケートの隠しフィールドは {sorted(allowed)} です。",
        )
    if touchpoint:
        extra["touchpoint"] = touchpoint
    return public_url(settings, survey, ch="qr", **{k: str(v)[:100] for k, v in extra.items()})


def qr_code(
    settings: Settings,
    survey: Survey,
    fmt: str = "png",
    *,
    touchpoint: str | None = None,
    hidden: Mapping[str, str] | None = None,
    scale: int = 8,
) -> bytes:
    """The QR code image (PNG or SVG bytes) of the survey's link for a touchpoint."""
    import segno

    if fmt not in QR_FORMATS:
        raise InvalidInput(
            f"A QR code is png or svg (got {fmt!r}).",
            f"QR コードの形式は png か svg にしてください(指定 {fmt!r})。",
        )
    scale = max(2, min(scale, 40))
    code = segno.make(qr_url(settings, survey, touchpoint, hidden), error="m")
    out = io.BytesIO()
    if fmt == "svg":
        code.save(out, kind="svg", scale=scale, border=4, xmldecl=False, title=survey.name)
    else:
        code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
