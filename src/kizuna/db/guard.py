"""No value reaches the database that one engine would store and the other refuse.

PostgreSQL refuses a NUL character (U+0000) in text and in JSON, and a lone surrogate
cannot be encoded at all; SQLite stores the first silently and fails on the second. Neither
takes an integer beyond 64 bits (an `offset=9223372036854775808`). Either
way a request used to end in a 500 (and, on PostgreSQL, lose its whole batch). This guard
looks at the values of every statement before the driver sees them and refuses such a value
with InvalidInput (422, both languages, saying what to do) on both engines alike. The bulk
import paths check every row themselves (rejecting only the bad row, `kizuna.ingest.safety`)
and mark their statements `trusted_values`, so their thousands of values are not scanned
twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, event

from kizuna.errors import InvalidInput

__all__ = ["TRUSTED", "install_value_guard"]

TRUSTED = {"trusted_values": True}
_INT64 = (-(2**63), 2**63 - 1)
_DRIVER_JSON = ("Json", "Jsonb")
_RAW = re.compile("[\x00\ud800-\udfff]")
# Inside JSON already serialised by SQLAlchemy (ensure_ascii): the escapes PostgreSQL refuses.
_ESCAPED = re.compile(
    r"\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}",
    re.I,
)


def _refuse() -> InvalidInput:
    return InvalidInput(
        "A value holds a character that cannot be stored (a NUL byte or half of a surrogate "
        "pair, usually from a broken export or a bad client). Remove it and send it again.",
        "保存できない文字(NUL 文字、または壊れたサロゲート)を含む値があります。"
        "その文字を取り除いて、もう一度送ってください。",
    )


def _too_large() -> InvalidInput:
    return InvalidInput(
        "A number is too large to store (more than 2^63). Send a smaller value.",
        "数値が大きすぎて保存できません(2^63 以上)。小さい値を送ってください。",
    )


def _check(value: Any, in_json: bool = False) -> None:
    if type(value) is int:
        # Inside a JSON document a big integer is a JSON number, which both engines keep.
        if not in_json and not _INT64[0] <= value <= _INT64[1]:
            raise _too_large()
    elif type(value) is str:
        if _RAW.search(value) or (value[:1] in "{[" and "\\u" in value and _ESCAPED.search(value)):
            raise _refuse()
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check(key, in_json)
            _check(item, in_json)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item, in_json)
    elif type(value).__name__ in _DRIVER_JSON:
        _check(value.obj, in_json=True)  # psycopg's Json/Jsonb wrapper: the document itself


def _before_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    if context is not None and context.execution_options.get("trusted_values"):
        return
    _check(parameters)


def install_value_guard(engine: Engine) -> None:
    event.listen(engine, "before_cursor_execute", _before_execute)
