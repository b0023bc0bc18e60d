"""Request bodies have a size limit, per route, answered with 413 before they are read.

A 100 MB comment used to be read, stored and held in memory (about 400 MB more server
memory). Now a body over the limit is refused from its Content-Length at once, or, sent
without one, as soon as the bytes read pass the limit. Batch routes and imports take
`max_batch_request_bytes` (5,000 records), everything else `max_request_bytes`.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kizuna.web.i18n import parse_accept_language

__all__ = ["BATCH_PATHS", "BodyLimits"]

# Path endings that carry many records at once.
BATCH_PATHS = ("/batch",)


class _TooLarge(HTTPException):
    """Raised while the app reads the body: FastAPI passes an HTTPException through its body
    parsing (any other error there becomes a 400) to the app's 413 handler."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimits:
    def __init__(self, app: ASGIApp, default: int, batch: int, language: str = "ja") -> None:
        self.app = app
        self.default = default
        self.batch = batch
        self.language = language

    def _limit(self, path: str) -> int:
        return self.batch if path.endswith(BATCH_PATHS) else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        length = _content_length(scope)
        if length is not None and length > limit:
            await self._refuse(scope, send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        language = _language(scope) or self.language
        mib = limit / 1024 / 1024
        message = (
            f"要求が大きすぎます(上限 {mib:g} MiB)。分割して送るか、大きなデータは"
            "`kizuna import` でファイルから取り込んでください。"
            if language == "ja"
            else f"The request is too large (the limit is {mib:g} MiB). Split it, or import "
            "large data from a file with `kizuna import`."
        )
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": message,
                    "details": {"limit": limit},
                }
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None


def _language(scope: Scope) -> str | None:
    return parse_accept_language(_header(scope, b"accept-language"))
