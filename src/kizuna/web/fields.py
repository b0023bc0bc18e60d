"""Field types of the REST API: JSON as the document describes it, read without guessing.

Dates and times are ISO 8601 text, and nothing else. Pydantic's lax mode reads a number as
seconds since 1970, so `?to=0` or `?as_of=1.5e-213` used to be 1970-01-01 instead of a 422;
the document says `format: date`, and a generated client sends text. `IsoDate` and
`IsoDateTime` keep the document as it was and refuse anything that is not an ISO 8601 date
(`2025-04-01`) or date and time (`2025-04-01T10:30:00+09:00`) before pydantic reads it.
Dates in import rows are not these: the ingest rules read those (Japanese forms too).

Request bodies are strict (`StrictBody`): `0` is not `false` and `"3"` is not `3`. JSON
Schema counts `2.0` as the integer 2, and some JSON writers spell it so, so a whole float is
taken as its integer where the field (or its list's items) is one; 2.5, `true` and `"2"` are
still refused.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

__all__ = ["IsoDate", "IsoDateTime", "StrictBody"]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


def _iso_date(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    raise ValueError("Use a date in ISO 8601 form: YYYY-MM-DD, e.g. 2025-04-01.")


def _iso_datetime(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return value
    raise ValueError(
        "Use a date and time in ISO 8601 form, e.g. 2025-04-01T10:30:00+09:00 (UTC without a zone)."
    )


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]


def _takes_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) is Literal:
        return any(type(arg) is int for arg in get_args(annotation))
    return any(_takes_int(arg) for arg in get_args(annotation))


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(item) if isinstance(item, float) else item for item in value]
    return value


class StrictBody(BaseModel):
    """A request body read strictly, whole floats taken as integers where one is expected."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            name: _whole(value) if name in fields and _takes_int(fields[name].annotation) else value
            for name, value in data.items()
        }
