"""Every workspace page, as its owner, in Japanese and in English, over demo-like data: no
stored code goes unnamed (the vocabulary) and no internal code shows on a Japanese page.

One demo workspace (analysed, scored, resolved, with a segment, an invitation, a dead job
and the schedules) serves the module; see page_tour.py for the pages and how text is read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from page_tour import Tour, build_tour, code_leaks, visible_text
from web_support import build_web_app, csrf_from, log_in

from kizuna import Kizuna
from kizuna.i18n.vocabulary import clear_missing, label, missing_labels

# What a new user once found on the Japanese pages (the list).
ONCE_LEAKED = ("mixed", "reservation_change", "post_stay", "line_id", "上位 0%")


@pytest.fixture(scope="module")
def tour(kz: Kizuna) -> Tour:
    return build_tour(kz)


@pytest.fixture(scope="module")
def pages_by_language(kz: Kizuna, tour: Tour) -> Iterator[dict[str, dict[str, tuple[str, set]]]]:
    """(what) -> (html, missing labels), in each language, fetched once for the module."""
    client = TestClient(build_web_app(kz))
    log_in(client, tour.demo.admin_email, tour.demo.password)
    seen: dict[str, dict[str, tuple[str, set]]] = {}
    for language in ("ja", "en"):
        token = csrf_from(client.get(tour.pages[0][1]).text)
        client.post("/lang", data={"lang": language, "next": "/", "csrf_token": token})
        seen[language] = {}
        for what, path in tour.pages:
            clear_missing()
            answer = client.get(path)
            assert answer.status_code == 200, f"{what} ({path}): {answer.status_code}"
            seen[language][what] = (answer.text, missing_labels())
    clear_missing()
    yield seen


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_stored_code_on_every_page_has_a_label(pages_by_language, language: str) -> None:
    unnamed = {
        what: sorted(missing)
        for what, (_, missing) in pages_by_language[language].items()
        if missing
    }
    assert unnamed == {}, f"add these (kind, code) to i18n/vocabulary.yaml: {unnamed}"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_internal_code_shows_on_a_page(pages_by_language, language: str) -> None:
    leaks = {
        what: found
        for what, (html, _) in pages_by_language[language].items()
        if (found := code_leaks(visible_text(html), language))
    }
    assert leaks == {}, f"internal codes people can read ({language}): {leaks}"


def test_what_once_leaked_is_named_now(pages_by_language, tour: Tour) -> None:
    japanese = "\n".join(visible_text(html) for html, _ in pages_by_language["ja"].values())
    for leak in ONCE_LEAKED:
        assert leak not in japanese, leak
    # ...and their names are there instead: the tour shows each of these codes.
    for kind, code in (
        ("sentiment", "mixed"),
        ("identity_kind", "line_id"),
        ("identity_kind", "external"),
    ):
        assert label(kind, code, "ja") in japanese, (kind, code)
    assert "上位 1% の顧客" in japanese
    assert "下位" in japanese  # a customer in the lower half is not "top 90%"


def test_the_leak_finder_catches_codes_and_spares_peoples_words() -> None:
    page = (
        "<p>理由: reservation_change · アンケート: post_stay · mixed · segment.create</p>"
        '<p title="at-risk">上位 1% の顧客 · NPS · CLV(12か月) · API キー</p>'
        '<blockquote translate="no">The room_service was great!</blockquote>'
        '<script>var some_code = 1;</script><input type="hidden" name="csrf_token">'
    )
    text = visible_text(page)
    assert "room_service" not in text and "some_code" not in text
    assert code_leaks(text, "ja") == [
        "at-risk", "mixed", "post_stay", "reservation_change", "segment.create"
    ]  # fmt: skip
    assert code_leaks("Ad seen · Mixed · e-mail, e.g. a follow-up", "en") == []
    assert code_leaks("Stage: at-risk · won back", "en") == ["at-risk"]
