"""The web layer: pages (Jinja2 + HTMX + ECharts), the REST API under /api/v1 and /healthz.

Routes call services; services never import this package. `create_app(kz)` is the only entry.
"""

from kizuna.web.app import create_app

__all__ = ["create_app"]
