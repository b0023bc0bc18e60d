"""Routes whose one-line docstring is their OpenAPI summary (STYLE.md: one-line docstrings)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute

__all__ = ["SummaryRoute"]


class SummaryRoute(APIRoute):
    """The docstring's first line becomes the summary, the rest the description."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        doc = inspect.cleandoc(endpoint.__doc__ or "")
        first, _, rest = doc.partition("\n")
        if kwargs.get("summary") is None and first:
            kwargs["summary"] = first.strip()
        if kwargs.get("description") is None:
            kwargs["description"] = rest.strip()
        super().__init__(path, endpoint, **kwargs)
