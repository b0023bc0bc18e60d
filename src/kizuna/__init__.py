"""Kizuna (絆): a customer experience management platform.

The package's public face is the application object; everything else lives in feature
rooms (`kizuna.customers`, `kizuna.feedback`, ...) and pure analytics (`kizuna.analytics`).
"""

from kizuna.app import Kizuna
from kizuna.settings import Settings

__all__ = ["Kizuna", "Settings", "__version__"]
__version__ = "0.1.0"
