"""The REST API's address and its docs page.

Features' JSON routers are mounted under `API_PREFIX` by the app factory (from the
registry); every route is authenticated by the X-API-Key header and scoped to that key's
workspace. The Swagger page loads its assets from /static (vendored), never from a CDN.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from kizuna.web.security import CONTENT_SECURITY_POLICY

__all__ = ["API_PREFIX", "OPENAPI_URL", "docs_router"]

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"


docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/api/docs")
def show_api_docs() -> HTMLResponse:
    """Swagger UI over the OpenAPI document, with vendored assets only."""
    page = _swagger_page()
    # Swagger UI starts from one inline script: allowed by its hash, and no other.
    scripts = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), flags=re.S)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts
    )
    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}")
    page.headers["content-security-policy"] = policy
    return page


def _swagger_page() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="Kizuna API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        # Swagger UI would otherwise ask validator.swagger.io for a badge: no network here.
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
    )
