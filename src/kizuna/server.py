"""Start the web server for an application object (used by `kizuna serve` and `kizuna demo`)."""

from __future__ import annotations

from rich.console import Console

from kizuna.app import Kizuna
from kizuna.db import require_current

__all__ = ["run_server"]


def run_server(kz: Kizuna, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from kizuna.web import create_app

    require_current(kz.engine)  # an outdated schema: one clear message, not failing pages
    host = host or kz.settings.host
    port = port or kz.settings.port
    Console().print(f"Kizuna is running at [bold]http://{host}:{port}/[/]  (Ctrl+C to stop)")
    uvicorn.run(create_app(kz), host=host, port=port, log_level="warning")
