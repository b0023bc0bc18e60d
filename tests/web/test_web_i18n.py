"""Languages: every UI string has a Japanese translation, every stored code a Japanese and an
English label (the vocabulary), and the browser's language is honoured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import kizuna
from kizuna.accounts.models import ROLES
from kizuna.analytics.text.lexicon import EMOTIONS, EXPERIENCE_VALUES
from kizuna.customers.scores import CHURN_FEATURES
from kizuna.customers.segments import SEGMENT_FIELDS
from kizuna.customers.service import CUSTOMER_SORTS
from kizuna.features import nav_entries, permissions, schedules, template_folders
from kizuna.i18n import load_catalogs
from kizuna.i18n.vocabulary import codes, kinds, label, labels_of
from kizuna.jobs.models import JOB_STATES
from kizuna.jobs.queue import get_handler, registered_kinds
from kizuna.mail.models import MAIL_CATEGORIES, MAIL_STATES
from kizuna.reports.home import METRIC_SPECS
from kizuna.web.i18n import parse_accept_language
from kizuna.web.templating import TEMPLATE_DIR


def shipped_kinds() -> list[str]:
    """The kinds Kizuna's own features run (not those a test module registered)."""
    return [k for k in registered_kinds() if get_handler(k).run.__module__.startswith("kizuna.")]


MSGID = re.compile(r"""\b_\(\s*(?:"([^"]*)"|'([^']*)')""")
SOURCE = Path(kizuna.__file__).parent
AUDIT_CALL = re.compile(r"record_audit\(")
ACTION_LITERAL = re.compile(r'(?<![\w:{])"([a-z]+(?:\.[a-z_-]+)+)"')
ACTION_BY_STATUS = re.compile(r'f"([a-z]+)\.\{[^}]*status\}"')
# Statuses the writers record as `<thing>.<status>` (customers, interactions, voices).
WRITE_STATUSES = ("inserted", "updated")


def template_files() -> list[Path]:
    """Every template of the shell and of every feature (pages and e-mails)."""
    folders = [TEMPLATE_DIR, *template_folders()]
    return sorted(f for folder in folders for f in folder.rglob("*") if f.is_file())


def used_msgids() -> set[str]:
    found: set[str] = set()
    for template in template_files():
        for double, single in MSGID.findall(template.read_text(encoding="utf-8")):
            found.add(double or single)
    for menu in ("main", "admin"):
        found |= {entry.label for entry in nav_entries(menu)}
    for spec in METRIC_SPECS.values():
        found |= {spec["title"], spec["hint"]}
    return found


def test_the_scan_sees_every_template_folder() -> None:
    names = {f.relative_to(f.parents[1]).as_posix() for f in template_files()}
    for expected in (
        "templates/base.html",
        "customers/profile.html",
        "reports/home.html",
        "accounts/members.html",
        "jobs/admin.html",
    ):
        assert expected in names, expected
    assert {"Home", "Customers", "Members", "Jobs"} <= used_msgids()


def test_every_string_on_the_pages_has_a_japanese_translation() -> None:
    catalogs = load_catalogs()
    # The dashboard's widgets name their words by key (kizuna.reports.dashboard_text).
    from kizuna.reports.dashboard_text import msgids as dashboard_msgids

    used = used_msgids() | set(dashboard_msgids())
    missing = sorted(m for m in used if m not in catalogs.messages["ja"])
    assert missing == [], f"add these to i18n/locale/ja/LC_MESSAGES/messages.po: {missing}"
    assert catalogs.translate("ja", "{n} responses", n="1,234") == "回答 1,234 件"
    assert catalogs.translate("en", "{n} responses", n="1,234") == "1,234 responses"


def test_every_vocabulary_entry_is_named_in_both_languages() -> None:
    for kind in kinds():
        for language in ("ja", "en"):
            names = labels_of(kind, language)
            assert names, kind
            blank = [code for code, name in names.items() if not name.strip()]
            assert blank == [], f"{kind}: no {language} label for {blank}"


def audit_actions_in_source() -> set[str]:
    """Actions passed to record_audit anywhere in Kizuna, read from the source: a literal in
    the call or in the lines just before it (`action = ...`); `f"customer.{x.status}"`
    stands for every write status."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in AUDIT_CALL.finditer(text):
            if text[: call.start()].endswith("def "):
                continue
            depth, end = 0, call.end() - 1
            for end in range(call.end() - 1, len(text)):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
            before = text[: call.start()].rsplit("\n", 4)[0]
            window = text[len(before) : end]
            found |= set(ACTION_LITERAL.findall(window))
            for family in ACTION_BY_STATUS.findall(window):
                found |= {f"{family}.{status}" for status in WRITE_STATUSES}
    return found


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("role", lambda: ROLES),
        ("permission", lambda: [p.name for p in permissions()]),
        ("job_state", lambda: JOB_STATES),
        ("job_kind", shipped_kinds),
        ("mail_state", lambda: MAIL_STATES),
        ("mail_category", lambda: MAIL_CATEGORIES),
        ("schedule", lambda: [s.name for s in schedules()]),
        ("customer_sort", lambda: CUSTOMER_SORTS),
        ("segment_field", lambda: SEGMENT_FIELDS),
        ("churn_factor", lambda: CHURN_FEATURES),
        ("emotion", lambda: EMOTIONS),
        ("experience_value", lambda: EXPERIENCE_VALUES),
        ("sentiment", lambda: ("positive", "neutral", "negative", "mixed")),
        ("expectation", lambda: ("exceeded", "met", "below", "unknown")),
        ("identity_kind", lambda: ("email", "phone", "line_id", "external")),
        ("audit_action", audit_actions_in_source),
    ],
)
def test_every_stored_code_of_a_kind_has_a_label(kind: str, expected) -> None:  # type: ignore[no-untyped-def]
    wanted = list(expected())
    assert wanted, f"nothing found to check for {kind}"
    missing = [code for code in wanted if code not in codes(kind)]
    assert missing == [], f"add these {kind} codes to i18n/vocabulary.yaml: {missing}"


def test_audit_scan_finds_the_actions_the_issue_lists() -> None:
    found = audit_actions_in_source()
    assert {
        "segment.create",
        "member.invite.revoke",
        "customer.inserted",
        "schedule.enable",
    } <= found


def test_codes_people_import_and_the_demo_stores_are_named() -> None:
    """Channels, kinds and genders the importer knows; the next-best-action rules' codes."""
    data = yaml.safe_load((SOURCE / "ingest" / "vocabulary.yaml").read_text(encoding="utf-8"))
    for kind, section in (
        ("channel", "channels"),
        ("interaction_kind", "kinds"),
        ("gender", "genders"),
    ):
        missing = sorted(set(data[section]) - set(codes(kind)))
        assert missing == [], f"{kind}: {missing}"
    actions = yaml.safe_load(
        (SOURCE / "analytics" / "data" / "actions.yaml").read_text(encoding="utf-8")
    )
    assert {rule["code"] for rule in actions["rules"]} <= set(codes("action"))


def test_a_family_code_is_named_after_its_family() -> None:
    assert label("identity_kind", "external:pos", "ja") == "外部ID (pos)"
    assert label("identity_kind", "external:crm", "en") == "External ID (crm)"
    assert label("topic", "room", "ja") == "部屋・客室"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ja,en-US;q=0.9", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr-FR,en;q=0.5,ja;q=0.7", "ja"),
        ("fr-FR", None),
        ("en;q=0", None),
        ("", None),
    ],
)
def test_accept_language_picks_the_preferred_supported_language(
    header: str, expected: str | None
) -> None:
    assert parse_accept_language(header) == expected
