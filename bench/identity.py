"""Benchmark: identity resolution of 1 M customer records on a fresh SQLite file.

Generates people with 1-4 records each across sources (CRM, shop, LINE, app), written
with the variants real systems produce (upper-case and full-width e-mail, every phone
writing), plus junk values and shared switchboard numbers; bulk-inserts them with Core;
then times `resolve_identities` (identity rows + union-find + merges) and a second,
idempotent run. Writes bench/results/identity.md.

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
from sqlalchemy import insert

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
    kz = Kizuna(Settings(env="test", database_url=url))
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


def run(records: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="kizuna-bench-identity-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        load_s = pool.apply(load, (url, records))
    kz = Kizuna(Settings(env="test", database_url=url))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # CPU seconds as well as wall: on a shared machine wall time mostly measures the others.
    started, cpu = time.perf_counter(), time.process_time()
    with kz.session() as session:
        report = resolve_identities(session, kz.workspace(session, "bench"))
    first_s, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    with kz.session() as session:
        again = resolve_identities(session, kz.workspace(session, "bench"))
    second_s, second_cpu = time.perf_counter() - started, time.process_time() - cpu
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
    }


# The previous implementation (commit f12dd51) on the same 1 M records, same generator.
BEFORE = (
    "Before the Arrow/integer-array rewrite (commit f12dd51, same records, 2026-11-23, "
    "load average about 2.8): resolve 58.6 s (46.4 CPU s; identities 36.8, match 7.2, "
    "merge 11.3), re-run 26.0 s (24.6 CPU s), peak RSS 2088 MB. Same merges, groups and "
    "identity rows as now (checked row by row with digests of customer.merged_into_id, "
    "customer_merge and identity)."
)


def write_table(result: dict[str, object]) -> str:
    report = result["report"]
    again = result["again"]
    load = result["load"]
    assert isinstance(report, ResolveReport) and isinstance(again, ResolveReport)
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
        + ".",
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
