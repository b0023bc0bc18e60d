"""Two resolves of one workspace at once: the second waits for the first and merges nothing again."""

from __future__ import annotations

import threading
import time

from resolve_support import add_customers
from sqlalchemy import func, select, text

from kizuna import Kizuna
from kizuna.accounts.models import Workspace
from kizuna.customers.models import CustomerMerge
from kizuna.customers.resolve import ResolveReport, resolve_identities


def _wait_until_blocked(kz: Kizuna, done: threading.Event) -> None:
    """Until the second resolve waits for the first (PostgreSQL says so; SQLite cannot)."""
    if kz.engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    deadline = time.monotonic() + 20
    while not done.is_set() and time.monotonic() < deadline:
        with kz.engine.connect() as conn:
            if conn.execute(waiting).scalar_one():
                return
        time.sleep(0.02)


def test_a_second_resolve_waits_for_the_first_and_merges_nothing_twice(kz: Kizuna, ws) -> None:  # type: ignore[no-untyped-def]
    add_customers(
        kz,
        ws.workspace,
        *[
            {"source": src, "external_id": f"{src}-{i}", "email": f"person{i}@example.com"}
            for i in range(40)
            for src in ("crm", "shop")
        ],
    )
    second: list[ResolveReport] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def resolve_meanwhile() -> None:
        try:
            with kz.session() as session:
                found = session.get(Workspace, ws.workspace.id)
                assert found is not None
                second.append(resolve_identities(session, found))
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            done.set()

    with kz.session() as session:
        found = session.get(Workspace, ws.workspace.id)
        assert found is not None
        first = resolve_identities(session, found)
        other = threading.Thread(target=resolve_meanwhile)
        other.start()
        _wait_until_blocked(kz, done)
        assert not done.is_set(), "the second resolve did not wait for the first"
    other.join(60)
    assert not errors and not other.is_alive()
    assert first.merges == 40
    assert second[0].merges == 0
    with kz.session() as session:
        journal = session.scalar(
            select(func.count()).where(CustomerMerge.workspace_id == ws.workspace.id)
        )
    assert journal == 40
