"""Benchmark: identity resolution of 1 M customer records on a fresh SQLite file.

Generates people with 1-4 records each across sources (CRM, shop, LINE, app), written
with the variants real systems produce (upper-case and full-width e-mail, every phone
writing), plus junk values and shared switchboard numbers; bulk-inserts them with Core;
then times `resolve_identities` (identity rows + union-find + merges), a second,
idempotent run, and a third after 1% of the records changed their e-mail. Writes
bench/results/identity.md.

    .venv/bin/python -m bench.identity [--quick] [--records N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text

from kizuna.accounts.service import create_workspace
from kizuna.app import Kizuna
from kizuna.customers.bulk import table_of
from kizuna.customers.models import Customer
from kizuna.customers.resolve import ResolveReport, resolve_identities
from kizuna.settings import Settings

RESULTS = Path(__file__).parent / "results" / "identity.md"
SOURCES = ("crm", "shop", "line", "app")
FULL = str.maketrans(
    "0123456789-abcdefghijklmnopqrstuvwxyz@.",
    "０１２３４５６７８９－ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＠．",
)


def phone_variant(digits: str, style: int) -> str:
    """One Japanese mobile number written the ways forms and CRMs write it."""
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return (
        f"{a}-{b}-{c}",
        digits,
        f"+81 {a[1:]} {b} {c}",
        f"81-{a[1:]}-{b}-{c}",
        f"({a}) {b}-{c}".translate(FULL),
        f"{a}-{b}-{c}".translate(FULL),
    )[style]


def email_variant(email: str, style: int) -> str:
    return (email, email.upper(), f" {email} ", email.translate(FULL), email.title())[style]


def generate(records: int, seed: int = 11) -> list[dict[str, object]]:
    """About 1.45 records per person: 31% of records duplicate another source's record."""
    rng = np.random.default_rng(seed)
    copies = rng.choice([1, 2, 3, 4], size=records, p=[0.70, 0.20, 0.07, 0.03])
    person = np.repeat(np.arange(records), copies)[:records]
    style = rng.integers(0, 6, size=records)
    has_email = rng.random(records) < 0.8
    has_phone = rng.random(records) < 0.7
    has_line = rng.random(records) < 0.25
    junk = rng.random(records) < 0.01
    switchboard = rng.random(records) < 0.0005
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, object]] = []
    for i in range(records):
        p = int(person[i])
        digits = f"090{(p * 7919) % 100_000_000:08d}"
        phone = phone_variant(digits, int(style[i])) if has_phone[i] else None
        if switchboard[i]:
            phone = f"03-5555-{p % 5:04d}"
        email = email_variant(f"user{p}@example.jp", int(style[i]) % 5) if has_email[i] else None
        if junk[i]:
            email, phone = "none", "000-0000-0000"
        rows.append(
            {
                "workspace_id": 0,
                "source": SOURCES[i % 4],
                "external_id": f"{SOURCES[i % 4]}-{i}",
                "email": email,
                "phone": phone,
                "line_id": f"U{p:032x}" if has_line[i] else None,
                "interests": [],
                "consent_email": False,
                "consent_analysis": True,
                "attributes": {},
                "content_hash": "",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def load(url: str, records: int) -> float:
    """Create the workspace and bulk-insert the records; runs in a child process so the
    parent's peak memory is the resolve's alone."""
    kz = Kizuna(Settings(env="development", database_url=url))
    kz.upgrade_db()
    with kz.session() as session:
        workspace = create_workspace(session, "bench")
    rows = generate(records)
    for row in rows:
        row["workspace_id"] = workspace.id
    started = time.perf_counter()
    with kz.session() as session:
        for start in range(0, len(rows), 50_000):
            session.execute(insert(table_of(Customer)), rows[start : start + 50_000])
    kz.close()
    return time.perf_counter() - started


def timed_resolve(kz: Kizuna) -> tuple[ResolveReport, float, float]:
    """One resolve in its own transaction: (report, wall s, CPU s), the commit included."""
    # CPU seconds as well as wall: on a shared machine wall time mostly measures the others.
    started, cpu = time.perf_counter(), time.process_time()
    with kz.session() as session:
        report = resolve_identities(session, kz.workspace(session, "bench"))
    return report, time.perf_counter() - started, time.process_time() - cpu


def edit_emails(kz: Kizuna, every: int) -> int:
    """Every `every`-th customer takes the e-mail of the record before it, as an import
    that corrects addresses would; returns how many records were edited."""
    with kz.session() as session:
        result = session.execute(
            text(
                "UPDATE customer SET email = (SELECT p.email FROM customer p "
                "WHERE p.id = customer.id - 1), updated_at = CURRENT_TIMESTAMP "
                "WHERE id % :every = 0 AND id > 1"
            ),
            {"every": every},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def run(records: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="kizuna-bench-identity-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        load_s = pool.apply(load, (url, records))
    kz = Kizuna(Settings(env="development", database_url=url))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report, first_s, first_cpu = timed_resolve(kz)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    again, second_s, second_cpu = timed_resolve(kz)
    edited = edit_emails(kz, 100)
    after_edit, edit_s, edit_cpu = timed_resolve(kz)
    kz.close()
    return {
        "first_cpu": first_cpu,
        "second_cpu": second_cpu,
        "load": os.getloadavg(),
        "records": records,
        "load_s": load_s,
        "first_s": first_s,
        "second_s": second_s,
        "peak_mb": peak_kb / 1024,
        "growth_mb": (peak_kb - rss_before) / 1024,
        "report": report,
        "again": again,
        "edited": edited,
        "after_edit": after_edit,
        "edit_s": edit_s,
        "edit_cpu": edit_cpu,
    }


# The previous implementation (commit 14469ed; resolve unchanged since e40fbd2) on the same
# 1 M records, same generator.
BEFORE = (
    "Before (commit 14469ed, same records, 2026-11-23, load average about 1): resolve "
    "39.2 s (37.6 CPU s; identities 21.8, match 6.2, merge 7.9), re-run 24.1 s (24.1 CPU s), "
    "2,734,951 identity rows, peak RSS 1019 MB. Same merges and groups as now (digests of "
    "customer.merged_into_id and customer_merge equal row by row); the identity rows now "
    "leave out the 1,000,000 `external:<source>` rows that only repeated each record's own "
    "key, and the rest equal the old ones row by row. (Before the Arrow rewrite, f12dd51: "
    "58.6 s.)"
)


def write_table(result: dict[str, object]) -> str:
    report = result["report"]
    again = result["again"]
    load = result["load"]
    after_edit = result["after_edit"]
    assert isinstance(report, ResolveReport) and isinstance(again, ResolveReport)
    assert isinstance(after_edit, ResolveReport)
    assert isinstance(load, tuple)
    kinds = ", ".join(f"{k} {v:,}" for k, v in report.merged_by_kind.items())
    lines = [
        "# Identity resolution benchmark",
        "",
        f"Date: {dt.date.today().isoformat()}; machine: {platform.machine()}, "
        "2 cores (shared with other work, numbers are noisy); SQLite file, WAL.",
        "",
        "| records | identity rows | merges (records absorbed) | by kind | groups "
        "| skipped shared values | resolve s (CPU s) | re-run s (CPU s; new merges) "
        "| peak RSS MB |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|",
        f"| {result['records']:,} | {report.identities_added:,} "
        f"| {report.merges:,} ({report.records_merged:,}) | {kinds} | {report.groups:,} "
        f"| {len(report.skipped_shared)} | {result['first_s']:.1f} ({result['first_cpu']:.1f}) "
        f"| {result['second_s']:.1f} ({result['second_cpu']:.1f}; {again.merges}) "
        f"| {result['peak_mb']:.0f} |",
        "",
        "Load average (1, 5, 15 min) when the runs ended: "
        + ", ".join(f"{x:.2f}" for x in load)
        + " on 2 cores; where it is above 2, wall seconds include waiting for a core.",
        "",
        "Steps of the first resolve (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items())
        + "; of the re-run: "
        + ", ".join(f"{k} {v:.1f}" for k, v in again.seconds.items())
        + f". The re-run read {again.customers_synced:,} customers' identifiers again.",
        "",
        f"Re-run after {result['edited']:,} records took the e-mail of the record before them "
        f"(as an import correcting addresses would): {result['edit_s']:.1f} s "
        f"({result['edit_cpu']:.1f} CPU s); {after_edit.customers_synced:,} customers read "
        f"again, {after_edit.identities_added:,} identity rows added, "
        f"{after_edit.merges:,} new merges.",
        "",
        f"Bulk insert of the records (not timed in resolve): {result['load_s']:.1f} s. "
        "Peak RSS is the resolving process's maximum resident set (the records are generated "
        f"and inserted in a child process); the resolve added {result['growth_mb']:.0f} MB to it.",
        "Target: 1,000,000 records resolved in under 30 s.",
        "",
        BEFORE,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50,000 records")
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    records = 50_000 if args.quick else args.records
    result = run(records)
    table = write_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
