"""Values no database may store, refused with a reason before any write.

- A NUL character (U+0000): PostgreSQL cannot store it in text or JSON at all, SQLite would
  keep it silently; Kizuna refuses it on both so a workspace behaves the same on either.
- A lone surrogate (U+D800-U+DFFF not in a pair): not a character; it cannot be encoded
  as UTF-8 and would fail the whole batch at the driver.
- JSON (attributes, properties) nested deeper than `MAX_JSON_DEPTH` levels or longer than
  `MAX_JSON_CHARS` characters: storing it would succeed and then break every page, API answer
  and export that reads it back.

Each check raises `RowRejected` naming the column, so the row is kept with its reason and
the rest of the batch goes in. Pure: no database, no web.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from kizuna.ingest.values import RowRejected

__all__ = [
    "MAX_JSON_CHARS",
    "MAX_JSON_DEPTH",
    "check_json",
    "check_row",
    "has_unsafe_text",
    "replace_unsafe",
]

MAX_JSON_DEPTH = 20
MAX_JSON_CHARS = 65_536
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def has_unsafe_text(text: str) -> bool:
    """Whether the text holds a NUL or a lone surrogate."""
    return _UNSAFE.search(text) is not None


def _unsafe(column: str) -> RowRejected:
    return RowRejected(
        "invalid_text",
        f"{column} holds a character that cannot be stored (a NUL byte or half of a "
        "surrogate pair, usually from a broken export). Remove it and send the row again.",
        f"「{column}」に保存できない文字(NUL 文字、または壊れたサロゲート)が含まれています。"
        "その文字を取り除いて、もう一度送ってください。",
    )


def check_json(value: Any, column: str) -> None:
    """RowRejected unless `value` is JSON we can store and read back (see the module doc)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise RowRejected(
                    "too_deep",
                    f"{column} is nested more than {MAX_JSON_DEPTH} levels deep; flatten it "
                    "(for example store the inner object as text) and send the row again.",
                    f"「{column}」の入れ子が{MAX_JSON_DEPTH}段を超えています。平らにして"
                    "(内側のオブジェクトは文字列にするなど)もう一度送ってください。",
                )
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str) and _UNSAFE.search(key):
                    raise _unsafe(column)
                stack.append((child, depth + 1))
        elif isinstance(node, str) and _UNSAFE.search(node):
            raise _unsafe(column)
    size = len(json.dumps(value, ensure_ascii=False, default=str))
    if size > MAX_JSON_CHARS:
        raise RowRejected(
            "too_long",
            f"{column} is {size:,} characters of JSON; at most {MAX_JSON_CHARS:,} fit. Keep "
            "large documents elsewhere and store a reference.",
            f"「{column}」の JSON が {size:,} 文字あります。{MAX_JSON_CHARS:,} 文字以内に"
            "してください。大きな文書は別に保管し、その参照を保存してください。",
        )


def check_row(header: Sequence[str], cells: Sequence[Any]) -> None:
    """RowRejected for the first column whose name or value cannot be stored."""
    for index, value in enumerate(cells):
        if type(value) is str:
            if _UNSAFE.search(value) is None:
                continue
        elif not isinstance(value, dict | list):
            continue
        column = header[index] if index < len(header) else f"#{index + 1}"
        if isinstance(value, str):
            raise _unsafe(_printable(column))
        check_json(value, _printable(column))
    for name in header:
        if _UNSAFE.search(name):
            raise _unsafe(_printable(name))


def replace_unsafe(text: str) -> str:
    """The text with every NUL and lone surrogate replaced by U+FFFD (shown, storable)."""
    return _UNSAFE.sub("\ufffd", text)


_printable = replace_unsafe
