"""Security headers on every response, and the Content-Security-Policy pages live under.

Must not know any route: a page that needs a wider policy (the Swagger page's one inline
script) sets its own header, which `SecurityHeaders` leaves alone.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

# Scripts and styles from Kizuna itself only (everything is vendored; no network), no inline
# script (page behaviour lives in /static/*.js), no plugins, no framing, forms post here.
# Inline styles stay allowed: bar widths in templates, and ECharts and htmx set styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


# Browsers that once saw Kizuna over HTTPS refuse plain HTTP to it for a year (RFC 6797).
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Headers that keep pages out of frames, stop MIME sniffing and forbid foreign or inline
    script (a response that sets its own Content-Security-Policy keeps it). With `hsts`
    (production), a response over HTTPS also carries Strict-Transport-Security."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                if self.hsts and scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
