"""Kizuna (絆): a customer experience management platform.

The package's public face is the application object; everything else lives in feature
rooms (`kizuna.customers`, `kizuna.feedback`, ...) and pure analytics (`kizuna.analytics`).
`Kizuna` and `Settings` are loaded on first use, so `import kizuna.analytics.metrics`
(or the CLI's --help) loads no database or web code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kizuna.lazy import lazy_exports

if TYPE_CHECKING:
    from kizuna.app import Kizuna
    from kizuna.settings import Settings

__all__ = ["Kizuna", "Settings", "__version__"]
__version__ = "0.1.0"
__getattr__ = lazy_exports(__name__, {"Kizuna": "kizuna.app", "Settings": "kizuna.settings"})
