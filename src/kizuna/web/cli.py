"""`kizuna serve`: the web server with its embedded job worker."""

from __future__ import annotations

from typing import Annotated

import typer

from kizuna.command import build_app

__all__ = ["serve_command"]


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Start the web server. / Webサーバーを起動します。"""
    from kizuna.server import run_server

    with build_app() as kz:
        run_server(kz, host, port)
