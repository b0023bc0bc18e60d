"""Display logic, jumps and piping, on the relationship-NPS template and small definitions."""

from __future__ import annotations

from kizuna.surveys.definition import parse_definition
from kizuna.surveys.library import load_template
from kizuna.surveys.logic import clean_answers, next_page, nps_group, page_path, pipe_text


def test_nps_groups_follow_the_standard_cut_points() -> None:
    assert [nps_group(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    assert nps_group(None) is None and nps_group(True) is None


def test_each_nps_group_gets_its_own_follow_up() -> None:
    definition = load_template("relationship_nps").definition
    for score, follow_up in ((3, "disappointed"), (8, "improve"), (10, "delighted")):
        path = page_path(definition, {"nps": score}, {})
        assert path == [0, 1, 2]
        from kizuna.surveys.logic import visible_questions

        shown = [q.id for q in visible_questions(definition, 1, {"nps": score}, {})]
        assert shown == [follow_up]


def test_jumps_skip_forward_and_hidden_fields_steer_too() -> None:
    definition = parse_definition(
        {
            "title": "t",
            "languages": ["ja"],
            "hidden": ["store"],
            "questions": [
                {
                    "id": "csat",
                    "type": "csat",
                    "text": "満足度",
                    "jump": [{"if": {"question": "csat", "gte": 4}, "to": "end_note"}],
                },
                {"id": "why", "type": "text", "page": 2, "text": "理由"},
                {
                    "id": "shop",
                    "type": "text",
                    "page": 3,
                    "text": "{{hidden.store}}店はいかがでしたか({{csat}}点)",
                    "show_if": {"hidden": "store", "in": ["shibuya", "umeda"]},
                },
                {"id": "end_note", "type": "text", "page": 4, "text": "ひとこと"},
            ],
        }
    )
    assert page_path(definition, {"csat": 5}, {"store": "shibuya"}) == [0, 3]
    assert page_path(definition, {"csat": 2}, {"store": "shibuya"}) == [0, 1, 2, 3]
    assert page_path(definition, {"csat": 2}, {"store": "sapporo"}) == [0, 1, 3]
    assert next_page(definition, {"csat": 2}, {}, 1) == 3
    assert next_page(definition, {"csat": 2}, {}, 3) is None
    text = definition.question("shop").text["ja"]
    assert pipe_text(text, definition, {"csat": 2}, {"store": "shibuya"}, "ja") == (
        "shibuya店はいかがでしたか(2点)"
    )
    # An answer the respondent's path no longer shows is dropped when they finish.
    kept = clean_answers(definition, {"csat": 5, "why": "前の答え", "end_note": "ok"}, {})
    assert kept == {"csat": 5, "end_note": "ok"}
