"""Sessions on the server: the cookie carries a random token, never what the session holds.

`ServerSessions` is an ASGI middleware giving routes `request.session` (a dict) as
Starlette's cookie sessions did, but the dict lives in the `web_session` table
(`kizuna.accounts.sessions`): a copied cookie stops working the moment the session ends
(logout, a role change, removal, a new password), and the cookie reveals no e-mail or CSRF
token. A new token is issued whenever the logged-in user changes (no session fixation).
The database is reached only when a request brings a cookie or its session changed.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from anyio import to_thread
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kizuna.accounts.sessions import (
    TOUCH_AFTER,
    delete_session,
    load_session,
    new_token,
    save_session,
)
from kizuna.app import Kizuna
from kizuna.db.base import utcnow

__all__ = ["COOKIE", "ServerSessions"]

COOKIE = "kizuna_session"


class ServerSessions:
    def __init__(self, app: ASGIApp, kz: Kizuna) -> None:
        self.app = app
        self.kz = kz
        self.days = kz.settings.session_days
        self.secure = kz.settings.env == "production"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie(scope)
        loaded = await to_thread.run_sync(self._load, token) if token else None
        data: dict[str, Any] = dict(loaded.data) if loaded is not None else {}
        before = dict(data)
        scope["session"] = data

        async def send_with_session(message: Message) -> None:
            # No cookie came and none is wanted (public pages, the API): no thread hop.
            if message["type"] == "http.response.start" and (
                loaded is not None or scope["session"]
            ):
                cookie = await to_thread.run_sync(
                    self._store, token, loaded, before, scope["session"]
                )
                if cookie is not None:
                    MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _load(self, token: str) -> Any:
        with self.kz.session() as session:
            found = load_session(session, token)
            if found is not None:
                session.expunge(found)
            return found

    def _store(
        self, token: str | None, loaded: Any, before: dict[str, Any], data: dict[str, Any]
    ) -> str | None:
        """Write what changed; the Set-Cookie value to send, if any."""
        if not data:
            if loaded is not None and token:  # logged out or cleared: end it on the server
                with self.kz.session() as session:
                    delete_session(session, token)
                return self._cookie_value("", max_age=0)
            return None
        if data == before and loaded is not None and utcnow() - loaded.last_seen_at < TOUCH_AFTER:
            return None  # nothing new: no write, no cookie
        renew = loaded is None or data.get("user_id") != before.get("user_id") or not token
        with self.kz.session() as session:
            if renew and token and loaded is not None:
                delete_session(session, token)
            chosen = new_token() if renew or not token else token
            save_session(session, chosen, data, self.days, existing=None if renew else loaded)
        return self._cookie_value(chosen, max_age=self.days * 24 * 3600)

    def _cookie_value(self, value: str, max_age: int) -> str:
        parts = [f"{COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            morsel = jar.get(COOKIE)
            if morsel is not None and 20 <= len(morsel.value) <= 100:
                return morsel.value
    return None
