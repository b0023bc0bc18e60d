"""Brand colours people can read: WCAG 2.1 contrast, and a darker shade when it falls short.

A survey's brand colour fills its buttons and selected answers with white text; text on it
must reach 4.5:1 (WCAG 2.1 AA, success criterion 1.4.3). `readable_on_white` darkens a
colour step by step (keeping its hue) until white text on it does.
"""

from __future__ import annotations

__all__ = ["DEFAULT_COLOUR", "contrast_ratio", "readable_on_white"]

DEFAULT_COLOUR = "#8c2f39"
AA_NORMAL = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(colour: str) -> float:
    """Relative luminance of #RRGGBB (WCAG 2.1 definition)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter over the darker (WCAG 2.1)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable_on_white(colour: str | None) -> str:
    """`colour`, or a darker shade of it, on which white text reaches 4.5:1."""
    if not colour:
        return DEFAULT_COLOUR
    current = colour.lower()
    for _ in range(40):
        if contrast_ratio(current, "#ffffff") >= AA_NORMAL:
            return current
        r, g, b = (int(current[i : i + 2], 16) for i in (1, 3, 5))
        current = "#{:02x}{:02x}{:02x}".format(*(int(v * 0.9) for v in (r, g, b)))
    return "#000000"
