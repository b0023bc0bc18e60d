"""Package exports loaded on first use (PEP 562), so importing a package stays cheap.

    __getattr__ = lazy_exports(__name__, {"build_demo": "kizuna.demo.build"})

A package's `__init__` names what it offers without importing the modules behind it, so
`import kizuna.analytics.metrics` or `kizuna --help` does not pull SQLAlchemy or the web
app in through a parent package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `exports[name]` (a module) and returns its `name`."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
