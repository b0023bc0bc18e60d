"""Analytics is pure and light to import: no database or web code, heavy libraries on use.

Every module under `kizuna.analytics` is imported alone in a fresh interpreter, which then
reports what it loaded. None may bring in SQLAlchemy, Alembic, FastAPI, Starlette, Jinja2,
the database layer, the web app or the application object (ARCHITECTURE.md: analytics
calls nothing of ours but other analytics and `kizuna.errors`). The text engine's path
(`kizuna text analyze`) must not load pandas, NumPy, SciPy or scikit-learn at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

import kizuna.analytics

ANALYTICS = Path(kizuna.analytics.__file__).parent
FORBIDDEN = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "alembic",
    "jinja2",
    "kizuna.db",
    "kizuna.web",
    "kizuna.app",
)
# Libraries each light module must not load when it is imported (they are imported by
# the functions that use them).
HEAVY = {
    "kizuna.analytics.text": ("pandas", "numpy", "scipy", "sklearn", "sudachipy"),
    "kizuna.analytics.text.engine": ("pandas", "numpy", "scipy", "sklearn", "sudachipy"),
    "kizuna.analytics.text.analyzer": ("pandas", "numpy", "scipy", "sklearn", "sudachipy"),
    "kizuna.analytics.text.topics": ("pandas", "numpy", "scipy", "sklearn"),
    "kizuna.analytics.text.discover": ("pandas", "numpy", "scipy", "sklearn"),
    "kizuna.analytics.text.classifier": ("pandas", "scipy", "sklearn"),
    "kizuna.analytics.metrics": ("pandas", "scipy", "ibis"),
    "kizuna.analytics.intervals": ("pandas", "scipy"),
    "kizuna.analytics.lifecycle": ("pandas", "numpy", "scipy"),
    "kizuna.analytics.actions": ("pandas", "numpy", "scipy"),
    "kizuna.analytics.churn": ("sklearn", "scipy"),
    "kizuna.analytics.unionfind": ("scipy", "pandas"),
}

REPORT = """
import importlib, json, sys
for statement in sys.argv[1:]:
    exec(statement)
print(json.dumps(sorted(sys.modules)))
"""


def analytics_modules() -> list[str]:
    names = []
    for path in sorted(ANALYTICS.rglob("*.py")):
        parts = path.relative_to(ANALYTICS.parent.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def loaded_after(*statements: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statements`."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT, *statements],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


@cache
def loaded_by_import() -> dict[str, set[str]]:
    """What importing each analytics module loads, one fresh interpreter per module."""
    modules = analytics_modules()
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = pool.map(lambda name: loaded_after(f"import {name}"), modules)
        return dict(zip(modules, found, strict=True))


def offending(loaded: set[str], prefixes: tuple[str, ...]) -> list[str]:
    """The packages among `prefixes` that were loaded (themselves or a submodule)."""
    return sorted(
        prefix
        for prefix in set(prefixes)
        if any(name == prefix or name.startswith(prefix + ".") for name in loaded)
    )


def test_every_analytics_module_is_found() -> None:
    modules = analytics_modules()
    assert "kizuna.analytics.metrics" in modules
    assert "kizuna.analytics.text.engine" in modules
    assert "kizuna.analytics.clv" in modules
    assert all(name.startswith("kizuna.analytics") for name in modules)


@pytest.mark.parametrize("module", analytics_modules())
def test_importing_analytics_loads_no_database_or_web_code(module: str) -> None:
    loaded = loaded_by_import()[module]
    assert offending(loaded, FORBIDDEN) == [], f"{module} pulls in database or web code"
    # Analytics may use other analytics and kizuna.errors, nothing else of ours (the
    # package `kizuna` itself loads only what its own import needs).
    own = {name for name in loaded if name.startswith("kizuna.")}
    allowed = loaded_by_kizuna_alone() | {"kizuna.errors"}
    stray = sorted(name for name in own - allowed if not name.startswith("kizuna.analytics"))
    assert stray == [], f"{module} imports rooms outside analytics: {stray}"


@cache
def loaded_by_kizuna_alone() -> set[str]:
    return loaded_after("import kizuna")


@pytest.mark.parametrize("module", sorted(HEAVY))
def test_light_modules_leave_heavy_libraries_for_later(module: str) -> None:
    loaded = loaded_by_import()[module]
    assert offending(loaded, HEAVY[module]) == []


def test_analysing_rows_needs_no_pandas_numpy_scipy_or_sklearn() -> None:
    # What `kizuna text analyze` runs: the engine and one analysis, nothing heavier.
    loaded = loaded_after(
        "from kizuna.analytics.text.analyzer import Analyzer",
        "rows = Analyzer().analyze_rows(['朝食は美味しかったが、部屋が狭い', 'Great staff!'])",
        "assert rows[1]['sentiment'] == 'positive', rows",
    )
    assert "sudachipy" in loaded
    assert offending(loaded, ("pandas", "numpy", "scipy", "sklearn", *FORBIDDEN)) == []
