"""Shared fixtures: one migrated database per test run, a fresh workspace per test.

The suite runs on a real SQLite file always, and on real PostgreSQL when
`KIZUNA_TEST_DATABASE_URL` is set: then a private database is created for the run
(so parallel runs never see each other) and dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kizuna import Kizuna, Settings
from kizuna.accounts.models import Workspace
from kizuna.accounts.service import init_workspace

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Outside development the placeholder secret is refused: tests (and the commands they run in
# subprocesses) get a test secret unless one is set.
TEST_SECRET = "test-secret-for-kizuna-tests-only-0123456789"
os.environ.setdefault("KIZUNA_SECRET_KEY", TEST_SECRET)
os.environ.setdefault("KIZUNA_RUN_SCHEDULES", "false")


@dataclass
class WorkspaceHandle:
    """A workspace made for one test, with its owner's login and an API key."""

    workspace: Workspace
    slug: str
    admin_email: str
    password: str
    api_key: str


def _private_postgres(url: str) -> Iterator[str]:
    name = f"kizuna_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("KIZUNA_TEST_DATABASE_URL")
    if url:
        yield from _private_postgres(url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kizuna.db'}"


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Recurring jobs stay off: a nightly run falling due mid-suite would score every test
    # workspace. The schedule tests call the scheduler directly.
    return Settings(env="test", database_url=database_url, run_schedules=False)


@pytest.fixture(scope="session")
def kz(settings: Settings) -> Iterator[Kizuna]:
    """The application object, built as the server and the CLI build it, on a migrated DB."""
    app = Kizuna(settings)
    app.upgrade_db()
    yield app
    app.close()


@pytest.fixture
def is_postgres(kz: Kizuna) -> bool:
    return kz.engine.dialect.name == "postgresql"


@pytest.fixture
def make_workspace(kz: Kizuna) -> Iterator[object]:
    def make(prefix: str = "t") -> WorkspaceHandle:
        slug = f"{prefix}-{uuid.uuid4().hex[:10]}"
        email = f"owner-{slug}@example.com"
        with kz.session() as session:
            made = init_workspace(session, slug, email, password="correct horse battery")
        return WorkspaceHandle(made.workspace, slug, email, made.password, made.api_key)

    yield make


@pytest.fixture
def ws(make_workspace) -> WorkspaceHandle:  # type: ignore[no-untyped-def]
    """A fresh workspace for this test only."""
    return make_workspace()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}; put ../shared/data beside the repo")
    return SHARED_DATA
