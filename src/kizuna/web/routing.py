"""Routes whose one-line docstring is their OpenAPI summary (STYLE.md: one-line docstrings)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute, APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

__all__ = ["PageRouter", "PrefixedRouter", "SummaryRoute"]


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


class PrefixedRouter(APIRouter):
    """A router that answers "no match" at once for a path outside its prefix.

    FastAPI matches an included router's routes one by one, prefix or not: the two hundred
    routes under /api/v1 cost about a millisecond of CPU on every request for a page outside
    it, half of what answering a survey costs in all.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and not get_route_path(scope).startswith(self.prefix):
            return Match.NONE, {}
        return super().matches(scope)


class PageRouter(APIRouter):
    """One feature's page router, answering "no match" at once for a path none of its routes
    can match: a path that starts with none of their fixed beginnings (the part before the
    first `{`; a route without a path format disables the shortcut).

    The page routers are walked in order for every request outside /api/v1, and FastAPI
    tries each route's pattern: a public survey answer walked about a hundred routes under
    /w/{slug}/... before reaching /s/{key}. `PageRouter.around(router)` holds one router.
    """

    def __init__(self, inner: APIRouter) -> None:
        super().__init__()
        self.inner = inner
        self._starts: tuple[str, ...] = ("",)
        self._seen = -1
        self.include_router(inner)

    @classmethod
    def around(cls, router: APIRouter) -> PageRouter:
        return cls(router)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self._fixed_starts()):
            return Match.NONE, {}
        return super().matches(scope)

    def _fixed_starts(self) -> tuple[str, ...]:
        routes = self.inner.routes
        if len(routes) != self._seen:  # a route added after inclusion is seen as well
            starts: set[str] = set()
            for route in routes:
                path_format = getattr(route, "path_format", None)
                starts.add(path_format.split("{", 1)[0] if isinstance(path_format, str) else "")
            self._starts, self._seen = tuple(sorted(starts)), len(routes)
        return self._starts
