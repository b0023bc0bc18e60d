"""The web layer (stub: the web room replaces this)."""

from __future__ import annotations

from typing import Any


def create_app(kizuna: Any) -> Any:
    raise NotImplementedError
