"""Pictures for workshop walls: SVG written here, turned into PNG and PDF by CairoSVG.

Text is set in Noto Sans CJK JP (Debian's fonts-noto-cjk), found through fontconfig, so
Japanese prints with real glyphs in every format: the SVG names the family, CairoSVG draws
PNG and PDF through cairo and fontconfig and embeds the font (a subset) in the PDF. Lines
are measured with the same font file (Pillow) and wrapped to their box; `missing_glyphs`
says which characters the font would draw as a blank box (tofu). Nothing is fetched from
a network; cairo (Debian's libcairo2) is the one system library needed.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from kizuna.errors import DependencyMissing

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

__all__ = [
    "A3_LANDSCAPE",
    "FONT_FAMILY",
    "RendererMissing",
    "font_file",
    "missing_glyphs",
    "svg_to_pdf",
    "svg_to_png",
    "text_width",
    "wrap",
    "xml",
]

FONT_FAMILY = "Noto Sans CJK JP"
SVG_FONTS = f"'{FONT_FAMILY}', 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic', sans-serif"
# A3 landscape, 420 x 297 mm, in CSS pixels (96 per inch): the SVG's viewBox.
A3_LANDSCAPE = (1587.4, 1122.5)
_KNOWN_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-{weight}.ttc",
)


class RendererMissing(DependencyMissing):
    """cairo or the CJK font is not installed on this machine."""

    def __init__(self, what: str) -> None:
        line = "apt-get install libcairo2 fonts-noto-cjk"
        super(DependencyMissing, self).__init__(
            f"Exporting pictures needs {what}, which this machine lacks. Install it with: {line}",
            f"画像の書き出しには {what} が必要ですが、このマシンにありません。"
            f"次のコマンドで入れてください: {line}",
            package=what,
        )


def xml(text: Any) -> str:
    """Text escaped for SVG content and attribute values."""
    return escape(str(text), {'"': "&quot;"})


@functools.cache
def font_file(bold: bool = False) -> tuple[str, int]:
    """(path, face index) of Noto Sans CJK JP, regular or bold, via fontconfig."""
    style = "Bold" if bold else "Regular"
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}\n%{index}", f"{FONT_FAMILY}:style={style}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.split("\n")
            if len(found) == 2 and "CJK" in found[0] and Path(found[0]).is_file():
                return found[0], int(found[1] or 0)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    for pattern in _KNOWN_FILES:
        path = pattern.format(weight=style)
        if Path(path).is_file():
            return path, 0  # the JP face comes first in Debian's collection
    raise RendererMissing("the Noto Sans CJK font (fonts-noto-cjk)")


@functools.lru_cache(maxsize=64)
def _font(size: float, bold: bool) -> FreeTypeFont:
    from PIL import ImageFont

    path, index = font_file(bold)
    return ImageFont.truetype(path, size=max(1, round(size * 4)), index=index)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in pixels of `text` at font size `size` (measured at 4x, then scaled)."""
    return float(_font(size, bold).getlength(text)) / 4.0


def wrap(
    text: str, width: float, size: float, max_lines: int = 99, bold: bool = False
) -> list[str]:
    """Lines of `text` no wider than `width`; Japanese breaks anywhere, Latin at spaces.

    Lines past `max_lines` are dropped and the last kept one ends with an ellipsis.
    """
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph):
            trial = line + token
            if line and text_width(trial, size, bold) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = trial
            while text_width(line, size, bold) > width and len(line) > 1:  # a long word
                cut = len(line) - 1
                while cut > 1 and text_width(line[:cut], size, bold) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + "…", size, bold) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def _tokens(text: str) -> list[str]:
    """Latin words (with their trailing space) stay whole; every other character is one."""
    out: list[str] = []
    word = ""
    for char in text:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            out.append(word)
            word = ""
        if char == " " and out:
            out[-1] += " "
        else:
            out.append(char)
    if word:
        out.append(word)
    return out


def missing_glyphs(text: str, bold: bool = False) -> set[str]:
    """Characters of `text` the font has no glyph for (they would print as a tofu box)."""
    font = _font(16, bold)
    tofu = bytes(font.getmask("\U0010fffd"))
    missing = set()
    for char in set(text):
        if char.isspace() or not char.isprintable():
            continue
        if bytes(font.getmask(char)) == tofu:
            missing.add(char)
    return missing


def _cairosvg() -> Any:
    try:
        import cairosvg
    except (ImportError, OSError):  # OSError: the package is there but libcairo is not
        raise RendererMissing("cairo (libcairo2)") from None
    return cairosvg


def svg_to_png(svg: str, dpi: int = 150) -> bytes:
    """The SVG drawn as PNG (A3 at 150 dpi is 2480 x 1754 pixels)."""
    data: bytes = _cairosvg().svg2png(bytestring=svg.encode("utf-8"), dpi=dpi)
    return data


def svg_to_pdf(svg: str) -> bytes:
    """The SVG as a one-page PDF of its own size, the font embedded (a subset)."""
    data: bytes = _cairosvg().svg2pdf(bytestring=svg.encode("utf-8"))
    return data
