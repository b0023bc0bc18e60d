"""A small analysed demo workspace for the dashboard's tests (the same builder as `kizuna demo`)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))  # web_support

import datetime as dt
import uuid
from dataclasses import dataclass

from fastapi import FastAPI
from web_support import build_web_app

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.demo.build import build_demo
from kizuna.text.service import reanalyze_workspace

# The demo's voices run from 2025-05-01 to 2026-10-31.
START = dt.date(2026, 1, 1)
END = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class Demo:
    slug: str
    workspace: Workspace
    email: str
    password: str
    api_key: str


def build_analysed_demo(kz: Kizuna, prefix: str = "dash") -> Demo:
    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    summary = build_demo(kz, slug=slug, seed=3, customers=300, interactions=3000, feedback=1500)
    with kz.session() as session:
        workspace = kz.workspace(session, slug)
    reanalyze_workspace(kz, workspace)
    return Demo(slug, workspace, summary.admin_email, summary.password, summary.api_key)


def web_app(kz: Kizuna) -> FastAPI:
    """The app over the test database, the job worker off."""
    return build_web_app(kz)
