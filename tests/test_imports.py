"""Every module of kizuna imports on its own, and light entry points stay light.

A cycle (a imports b imports a) fails only when the cycle's "wrong" end is imported first,
so each module is imported alone: in one helper process, with every `kizuna` module
forgotten before the next one, so each import starts from nothing of ours (third-party
libraries stay loaded, which changes nothing about our cycles and keeps this fast).
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import kizuna

SRC = Path(kizuna.__file__).parent

IMPORT_EACH = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "kizuna" or m.startswith("kizuna.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc().strip().splitlines()[-1])
print("\\n".join(failed))
"""


def all_modules() -> list[str]:
    found = ["kizuna"]
    for info in pkgutil.walk_packages([str(SRC)], prefix="kizuna."):
        if ".migrations" in info.name:  # Alembic scripts, run by Alembic only
            continue
        found.append(info.name)
    return sorted(found)


def test_every_module_imports_on_its_own() -> None:
    modules = all_modules()
    assert len(modules) > 100
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *modules],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    failures = [line for line in done.stdout.splitlines() if line.strip()]
    assert failures == [], "modules that fail to import alone:\n" + "\n".join(failures)


def loaded_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(done.stdout.split())


def test_the_cli_and_the_registry_load_no_database_or_web_code() -> None:
    heavy = {"sqlalchemy", "fastapi", "starlette", "alembic", "pandas", "ibis", "sudachipy"}
    for statement in (
        "import kizuna",
        "import kizuna.cli",
        "from kizuna.features import features; features()",
    ):
        loaded = loaded_after(statement)
        assert not heavy & loaded, f"{statement!r} loads {sorted(heavy & loaded)}"
