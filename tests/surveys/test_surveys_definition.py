"""Definitions: the templates are valid, and a wrong definition is refused with every
problem's place and reason (unknown type, loop, jump to a missing question, translation)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kizuna.surveys.builder import read_text
from kizuna.surveys.definition import InvalidSurvey, parse_definition, parse_delay
from kizuna.surveys.library import TEMPLATES, list_templates, load_template, template_text


def base() -> dict[str, Any]:
    return {
        "title": {"ja": "テスト", "en": "Test"},
        "languages": ["ja", "en"],
        "hidden": ["store"],
        "questions": [
            {"id": "nps", "type": "nps", "text": {"ja": "おすすめ度は?", "en": "Recommend?"}},
            {
                "id": "why",
                "type": "text",
                "page": 2,
                "show_if": {"question": "nps", "group": "detractor"},
                "text": {"ja": "{{nps}}点の理由は?", "en": "Why {{nps}}?"},
            },
            {
                "id": "end",
                "type": "consent",
                "page": 3,
                "text": {"ja": "連絡可?", "en": "Contact?"},
            },
        ],
    }


def problems(raw: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidSurvey) as refused:
        parse_definition(raw)
    return [(p.place, p.en) for p in refused.value.problems]


def test_every_template_is_valid_and_measures_what_its_name_says() -> None:
    found = {t.code: t for t in list_templates()}
    assert (
        set(found)
        == set(TEMPLATES)
        == {
            "relationship_nps",
            "post_stay",
            "post_purchase",
            "post_support",
            "enps_pulse",
            "event_feedback",
        }
    )
    assert found["relationship_nps"].measures == ("nps",)
    assert found["post_stay"].measures[0] == "csat"
    assert found["post_purchase"].measures[0] == "csat"
    assert found["post_support"].measures == ("ces",)
    assert found["enps_pulse"].definition.source == "employee"
    assert "rating" in found["event_feedback"].measures
    for template in found.values():
        assert set(template.definition.languages) == {"ja", "en"}
        assert read_text(template_text(template.code))  # the YAML people download reads back


def test_a_good_definition_is_typed_with_pages_and_logic() -> None:
    definition = parse_definition(base())
    assert definition.pages == (("nps",), ("why",), ("end",))
    assert definition.question("why").show_if == {"question": "nps", "group": "detractor"}
    assert definition.first_score_question().id == "nps"


def test_unknown_question_type_is_refused_with_its_place() -> None:
    raw = base()
    raw["questions"][2]["type"] = "slider"
    assert problems(raw) == [
        (
            "questions[2] (end).type",
            "unknown question type 'slider'; use one of nps, csat, ces, rating, number, "
            "single, multiple, text, consent",
        )
    ]


def test_a_condition_on_a_later_question_is_a_loop() -> None:
    raw = base()
    raw["questions"][0]["show_if"] = {"question": "why", "answered": True}
    found = problems(raw)
    assert found[0][0] == "questions[0] (nps).show_if.question"
    assert "(a loop)" in found[0][1]


def test_a_jump_back_is_a_loop_and_a_jump_to_nothing_is_refused() -> None:
    raw = base()
    raw["questions"][2]["jump"] = [{"if": {"question": "end", "equals": True}, "to": "nps"}]
    raw["questions"][1]["jump"] = [{"to": "nowhere"}]
    found = dict(problems(raw))
    assert "jumps back to 'nps' (a loop)" in found["questions[2] (end).jump[0].to"]
    assert found["questions[1] (why).jump[0].to"] == "jumps to the missing question 'nowhere'"


def test_a_condition_on_a_missing_question_or_hidden_field_is_refused() -> None:
    raw = base()
    raw["questions"][1]["show_if"] = {"question": "ghost", "group": "detractor"}
    raw["questions"][2]["show_if"] = {"hidden": "room", "equals": "301"}
    found = dict(problems(raw))
    assert found["questions[1] (why).show_if.question"] == (
        "show_if names the missing question 'ghost'"
    )
    assert "'room' is not a hidden field" in found["questions[2] (end).show_if.hidden"]


def test_a_missing_translation_names_the_language_and_the_place() -> None:
    raw = base()
    del raw["questions"][1]["text"]["en"]
    raw["title"] = "テストだけ"
    found = problems(raw)
    assert ("questions[1] (why).text.en", "missing translation: no English text") in found
    assert found[0][0] == "title"
    with pytest.raises(InvalidSurvey) as refused:
        parse_definition(raw)
    ja = refused.value.message("ja")
    assert "翻訳がありません: 英語の文言がありません" in ja
    assert refused.value.details["problems"][0]["place"] == "title"


def test_piping_from_a_later_page_and_unknown_options_are_refused() -> None:
    raw = base()
    raw["questions"][0]["text"]["ja"] = "{{why}}について"
    raw["questions"].append(
        {
            "id": "pick",
            "type": "single",
            "page": 4,
            "show_if": {"question": "end", "equals": "maybe"},
            "options": [{"id": "a", "text": {"ja": "あ", "en": "A"}}],
            "text": {"ja": "選択", "en": "Pick"},
        }
    )
    raw["questions"].append(
        {
            "id": "after",
            "type": "text",
            "page": 5,
            "show_if": {"question": "pick", "in": ["a", "zzz"]},
            "text": {"ja": "後", "en": "After"},
        }
    )
    found = dict(problems(raw))
    assert "piping depends on 'why'" in found["questions[0] (nps).text.ja"]
    assert found["questions[4] (after).show_if.in"] == "'zzz' is not an option of 'pick'"
    assert found["questions[3] (pick).show_if.equals"] == "a consent answer is true or false"


def test_many_problems_are_reported_at_once_and_duplicates_named() -> None:
    raw = copy.deepcopy(base())
    raw["questions"].append(dict(raw["questions"][0]))
    raw["questions"][1]["type"] = "stars"
    raw["colour"] = "red"
    found = problems(raw)
    places = [place for place, _ in found]
    assert "colour" in places
    assert "questions[1] (why).type" in places
    assert any("used twice" in reason for _, reason in found)


def test_a_yaml_syntax_error_says_the_line() -> None:
    with pytest.raises(InvalidSurvey) as refused:
        read_text("title: {ja: a, en: b}\nquestions:\n  - id: nps\n    type: [nps\n")
    assert refused.value.problems[0].place.startswith("line ")


def test_delays_read_minutes_hours_and_days() -> None:
    assert [parse_delay(v) for v in (90, "90m", "2h", "1d", "soon", -5)] == [
        90,
        90,
        120,
        1440,
        None,
        None,
    ]
    assert load_template("post_stay").definition.triggers[0].delay_minutes == 120
