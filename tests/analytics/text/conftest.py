"""Shared fixtures of the text-engine tests: one compiled analyzer for the session."""

from __future__ import annotations

from typing import Any

import pytest

from kizuna.analytics.text import Analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.fixture(scope="session")
def analyze(analyzer: Analyzer) -> Any:
    """analyze(text) -> the row of one text as a dict."""

    def run(text: object) -> dict[str, Any]:
        return analyzer.analyze_one(text).row()

    return run
