"""The web layer: pages (Jinja2 + HTMX + ECharts), the REST API under /api/v1 and /healthz.

Routes call services; services never import this package. `create_app(kz)` is the only
entry; it is loaded on first use, so a feature importing `kizuna.web.deps` does not load
the app (nor, through it, every other feature).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kizuna.lazy import lazy_exports

if TYPE_CHECKING:
    from kizuna.web.app import create_app

__all__ = ["create_app"]
__getattr__ = lazy_exports(__name__, {"create_app": "kizuna.web.app"})
