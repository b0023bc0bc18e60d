from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from kizuna import Settings
from kizuna.settings import PLACEHOLDER_SECRET
from kizuna.settings_doc import settings_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_settings_table_is_generated_from_the_settings_class() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", text, re.S)
    assert found, "README.md lacks the settings table markers"
    assert found.group(1).strip() == settings_markdown().strip(), (
        "README settings table is stale: paste the output of `kizuna settings --markdown`"
    )


def test_production_refuses_the_placeholder_secret_and_says_how_to_fix_it() -> None:
    with pytest.raises(ValidationError) as err:
        Settings(env="production", secret_key=PLACEHOLDER_SECRET)
    assert "KIZUNA_SECRET_KEY" in str(err.value)
    assert Settings(env="production", secret_key="x" * 40).env == "production"


def test_settings_come_from_kizuna_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("KIZUNA_IMPORT_BATCH_SIZE", "123")
    s = Settings()
    assert (s.timezone, s.import_batch_size) == ("Europe/Paris", 123)
