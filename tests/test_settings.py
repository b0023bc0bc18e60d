from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from kizuna import Settings
from kizuna.settings import PLACEHOLDER_SECRET, SIGNING_PURPOSES
from kizuna.settings_doc import settings_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_settings_table_is_generated_from_the_settings_class() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", text, re.S)
    assert found, "README.md lacks the settings table markers"
    assert found.group(1).strip() == settings_markdown().strip(), (
        "README settings table is stale: paste the output of `kizuna settings --markdown`"
    )


def test_outside_development_the_placeholder_secret_is_refused_with_the_fix() -> None:
    for env in ("production", "test"):
        with pytest.raises(ValidationError) as err:
            Settings(env=env, secret_key=PLACEHOLDER_SECRET)
        assert "KIZUNA_SECRET_KEY" in str(err.value) and "secrets.token_urlsafe" in str(err.value)
    assert Settings(env="production", secret_key="x" * 40).env == "production"
    assert Settings(env="development", secret_key=PLACEHOLDER_SECRET).env == "development"


def test_each_purpose_signs_with_its_own_key_derived_from_the_one_secret() -> None:
    one = Settings(env="production", secret_key="a" * 40)
    keys = {purpose: one.signing_key(purpose) for purpose in SIGNING_PURPOSES}
    assert len(set(keys.values())) == len(SIGNING_PURPOSES), "two purposes share a key"
    assert all(len(key) == 32 for key in keys.values())
    # Same secret, same keys (a restarted server keeps its sessions); another secret, others.
    assert Settings(env="production", secret_key="a" * 40).signing_key("session") == keys["session"]
    other = Settings(env="production", secret_key="b" * 40)
    assert other.signing_key("session") != keys["session"]
    assert b"a" * 40 not in keys["session"]


def test_settings_come_in_groups_and_links_use_the_public_address() -> None:
    s = Settings(env="development", host="0.0.0.0", port=8080)
    assert s.public_url == "http://0.0.0.0:8080"
    assert Settings(base_url="https://cx.example.co.jp/").public_url == "https://cx.example.co.jp"
    mail = Settings(smtp_host="smtp.example.jp", smtp_password="hunter2").group("mail")
    assert mail["smtp_host"] == "smtp.example.jp" and "smtp_password" not in mail
    assert set(Settings().group("jobs")) == {
        "embedded_worker",
        "worker_poll_seconds",
        "job_max_attempts",
        "job_lease_seconds",
        "run_schedules",
    }


def test_settings_come_from_kizuna_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("KIZUNA_IMPORT_BATCH_SIZE", "123")
    s = Settings()
    assert (s.timezone, s.import_batch_size) == ("Europe/Paris", 123)
