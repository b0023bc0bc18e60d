"""The room's tests share the web tests' helpers (log in, CSRF, a live server)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
