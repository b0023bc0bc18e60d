"""Start the web server for an application object (used by `kizuna serve` and `kizuna demo`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from kizuna.app import Kizuna
from kizuna.db import require_current

__all__ = ["proxy_options", "run_server"]


def run_server(kz: Kizuna, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from kizuna.web import create_app

    require_current(kz.engine)  # an outdated schema: one clear message, not failing pages
    host = host or kz.settings.host
    port = port or kz.settings.port
    Console().print(f"Kizuna is running at [bold]http://{host}:{port}/[/]  (Ctrl+C to stop)")
    uvicorn.run(create_app(kz), host=host, port=port, log_level="warning", **proxy_options(kz))


def proxy_options(kz: Kizuna) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so one rotated header would
    dodge the login throttle: only the proxies named in KIZUNA_TRUSTED_PROXIES are believed."""
    trusted = kz.settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}
