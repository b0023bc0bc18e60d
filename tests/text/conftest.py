"""Fixtures of the text room: the web helpers (tests/web/web_support.py) for page tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
