"""The voice explorer's export: the file a user opens is byte-for-byte what it was before the
export was made fast (columns, BOM, CRLF, neutralised formulas, numbers and dates as
written), it holds exactly the voices the explorer finds, and it stays in its workspace."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from kizuna import Kizuna
from kizuna.customers.models import Customer
from kizuna.errors import InvalidInput
from kizuna.feedback import explorer_export
from kizuna.feedback.explorer import VoiceFilter, matching_rows
from kizuna.feedback.explorer_export import EXPORT_COLUMNS, export_voices, write_voices
from kizuna.feedback.models import Feedback, FeedbackAnalysis, VoiceTag, VoiceTagging

JST = dt.timezone(dt.timedelta(hours=9))

# What the export wrote for the voices of `pinned` before it was rewritten for speed
# (ids and the customer id filled in): the file users and their spreadsheets rely on.
PINNED = (
    "\ufeffid,received_at,channel,touchpoint,source,customer_id,customer_ref,nps,csat,ces,"
    "rating,text,language,sentiment,sentiment_score,delight,expectation,emotion_joy,"
    "emotion_trust,emotion_surprise,emotion_anticipation,emotion_anger,emotion_sadness,"
    "emotion_fear,emotion_disgust,topics,experience_values,engine_version,tags\r\n"
    "{c},2026-10-03T00:00:00+00:00,app,,review,,,,,,3.0,'\tタブ始まり,en,positive,1.0,1.0,"
    "exceeded,,,,,,,,,'@spa:positive; zero:neutral(+0.00); again:negative(-0.50),,v2,"
    "'+1\r\n"
    "{b},2026-10-02T15:30:59+00:00,店舗,,survey,,,,,,,,en,,,,,,,,,,,,,,,,\r\n"
    "{a},2026-10-01T01:00:00+00:00,web,'=cmd,survey,{customer},'-C1,0,5,7,4.5,"
    '"\'=HYPERLINK(""http://evil.example"",""x"")\r\n2行目, ""引用""",ja,'
    "negative,-0.123,0.0,below,0.1,0.333333333,,,1,,,,"
    "room:negative(-0.50); =staff:positive; breakfast:None(+0.25),sense feel,v2,"
    '"a tag, b-tag, 感動"\r\n'
)


def _pinned(session: Session, workspace_id: int) -> dict[str, int]:
    """Three voices that reach every branch of a row: formulas in codes, text and topics;
    a newer analysis that wins over an older one; no analysis at all; empty JSON; tags."""
    customer = Customer(workspace_id=workspace_id, source="crm", external_id="C1")
    session.add(customer)
    session.flush()
    a = Feedback(
        workspace_id=workspace_id, source="survey", external_id="a", channel="web",
        touchpoint="=cmd", customer_ref="-C1", customer_id=customer.id,
        received_at=dt.datetime(2026, 10, 1, 10, 0, 0, 123456, tzinfo=JST),
        received_on=dt.date(2026, 10, 1),
        text='=HYPERLINK("http://evil.example","x")\r\n2行目, "引用"', language=None,
        nps=0, csat=5, ces=7, rating=4.5,
    )  # fmt: skip
    b = Feedback(
        workspace_id=workspace_id, source="survey", external_id="b", channel="店舗",
        received_at=dt.datetime(2026, 10, 2, 15, 30, 59, 999999, tzinfo=dt.UTC),
        received_on=dt.date(2026, 10, 2), text=None, language="en",
    )  # fmt: skip
    c = Feedback(
        workspace_id=workspace_id, source="review", external_id="c", channel="app",
        received_at=dt.datetime(2026, 10, 3, 9, 0, tzinfo=JST),
        received_on=dt.date(2026, 10, 3), text="\tタブ始まり", language="ja", rating=3.0,
    )  # fmt: skip
    session.add_all([a, b, c])
    session.flush()
    session.add_all(
        [
            FeedbackAnalysis(
                workspace_id=workspace_id, feedback_id=a.id, engine_version="v1",
                language="en", sentiment="positive", sentiment_score=0.9, delight=0.9,
                expectation="exceeded", emotions={"joy": 0.9}, topics=[],
                experience_values=[], cues=[],
            ),
            FeedbackAnalysis(
                workspace_id=workspace_id, feedback_id=c.id, engine_version="v2",
                language="en", sentiment="positive", sentiment_score=1.0, delight=1,
                expectation="exceeded", emotions={},
                topics=[
                    {"topic": "@spa", "sentiment": "positive"},
                    {"topic": "zero", "sentiment": "neutral", "score": 0.0},
                    {"topic": "again", "sentiment": "negative", "score": -0.5},
                ],
                experience_values=[],
                cues=[],
            ),
        ]
    )  # fmt: skip
    session.flush()
    session.add(
        FeedbackAnalysis(
            workspace_id=workspace_id, feedback_id=a.id, engine_version="v2", language="ja",
            sentiment="negative", sentiment_score=-0.123, delight=0.0, expectation="below",
            emotions={"joy": 0.1, "anger": 1, "trust": 0.333333333},
            topics=[
                {"topic": "room", "sentiment": "negative", "score": -0.5},
                {"topic": "=staff", "sentiment": "positive"},
                {"topic": "breakfast", "score": 0.25},
            ],
            experience_values=["sense", "feel"],
            cues=[{"start": 0, "end": 1, "kind": "sentiment"}],
        )
    )  # fmt: skip
    for name in ("b-tag", "感動", "a tag"):
        tag = VoiceTag(workspace_id=workspace_id, name=name)
        session.add(tag)
        session.flush()
        session.add(VoiceTagging(workspace_id=workspace_id, tag_id=tag.id, feedback_id=a.id))
    plus = VoiceTag(workspace_id=workspace_id, name="+1")
    session.add(plus)
    session.flush()
    session.add(VoiceTagging(workspace_id=workspace_id, tag_id=plus.id, feedback_id=c.id))
    session.flush()
    return {"a": a.id, "b": b.id, "c": c.id, "customer": customer.id}


def test_the_csv_is_byte_for_byte_the_file_users_know(
    kz: Kizuna, ws: Any, make_workspace: Any
) -> None:
    other = make_workspace()
    with kz.session() as session:
        ids = _pinned(session, ws.workspace.id)
        _pinned(session, other.workspace.id)  # the same voices elsewhere stay there
        data, rows = export_voices(session, ws.workspace, VoiceFilter(), "csv")
        out = io.BytesIO()
        written = write_voices(session, ws.workspace, VoiceFilter(), "csv", out)
    assert rows == written == 3
    assert data.decode("utf-8") == PINNED.format(**ids)
    assert out.getvalue() == data


def test_the_excel_file_holds_the_same_cells(kz: Kizuna, ws: Any) -> None:
    with kz.session() as session:
        ids = _pinned(session, ws.workspace.id)
        data, rows = export_voices(session, ws.workspace, VoiceFilter(), "xlsx")
    sheet = load_workbook(io.BytesIO(data), read_only=True)["voices"]
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    expected = list(csv.reader(io.StringIO(PINNED.format(**ids).removeprefix("\ufeff"))))
    # The workbook keeps numbers as numbers and writes its own line ends.
    expected = [[v.replace("\r\n", "\n") for v in row] for row in expected]
    cells = [[v.replace("\r\n", "\n") for v in row] for row in cells]
    assert rows == 3 and cells[0] == list(EXPORT_COLUMNS)
    for got, want in zip(cells[1:], expected[1:], strict=True):
        assert [g.removesuffix(".0") for g in got] == [w.removesuffix(".0") for w in want]


@pytest.mark.parametrize("batch", [2, 16_000])
def test_the_export_holds_exactly_the_voices_the_explorer_finds(
    kz: Kizuna, voices: Any, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words (through the index and as substrings) and filters pick the same voices in the
    file as on the page, newest first, however many batches they take; a limit keeps the
    newest."""
    monkeypatch.setattr(explorer_export, "_BATCH", batch)
    filters: list[dict[str, Any]] = [
        {},
        {"q": "朝食"},
        {"q": "staff"},
        {"q": "駅"},
        {"q": "待ち時間", "channel": "店舗"},
        {"sentiment": "negative"},
        {"channel": "web", "max_nps": 9},
        {"topic": "room"},
        {"q": "見つからない言葉"},
    ]
    with kz.session() as session:
        for wanted in filters:
            found = [row.id for row, _ in matching_rows(session, voices.workspace,
                                                        VoiceFilter(**wanted), cues=False)]  # fmt: skip
            data, rows = export_voices(session, voices.workspace, VoiceFilter(**wanted), "csv")
            table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            assert [int(r["id"]) for r in table] == found, wanted
            assert rows == len(found)
        out = io.BytesIO()
        assert write_voices(session, voices.workspace, VoiceFilter(), "csv", out, limit=2) == 2
    newest = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert [int(r["id"]) for r in newest] == found_all(kz, voices)[:2]


def found_all(kz: Kizuna, voices: Any) -> list[int]:
    with kz.session() as session:
        return [row.id for row, _ in matching_rows(session, voices.workspace, VoiceFilter())]


def test_many_voices_cross_batches_with_their_tags(
    kz: Kizuna, ws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More voices than one batch reads, taken from the driver in smaller chunks: every voice
    once, newest first, each with its tags."""
    monkeypatch.setattr(explorer_export, "_BATCH", 500)
    monkeypatch.setattr(explorer_export, "_CHUNK", 37)
    workspace_id = ws.workspace.id
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with kz.session() as session:
        tag = VoiceTag(workspace_id=workspace_id, name="要対応")
        session.add(tag)
        made = [
            Feedback(
                workspace_id=workspace_id, source="survey", external_id=f"m{i}", channel="web",
                received_at=base + dt.timedelta(minutes=i), received_on=base.date(),
                text=f"声 {i}", nps=i % 11,
            )
            for i in range(1_234)
        ]  # fmt: skip
        session.add_all(made)
        session.flush()
        tagged = {f.id for f in made[::7]}
        session.add_all(
            VoiceTagging(workspace_id=workspace_id, tag_id=tag.id, feedback_id=fid)
            for fid in tagged
        )
        session.flush()
        out = io.BytesIO()
        assert write_voices(session, ws.workspace, VoiceFilter(), "csv", out) == len(made)
    table = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert [int(r["id"]) for r in table] == sorted((f.id for f in made), reverse=True)
    assert {int(r["id"]) for r in table if r["tags"] == "要対応"} == tagged
    assert table[-1]["text"] == "声 0" and table[0]["text"] == f"声 {len(made) - 1}"


def test_a_score_of_minus_zero_is_shown_as_python_shows_it() -> None:
    """Scores are shown from a cache of their texts; 0.0 and -0.0 are one key, two texts."""
    scores: dict[Any, str] = {}
    for score in (0.0, -0.0, 0.25, 0.25, -0.0, 0.0, 1, True):
        topics = [{"topic": "room", "sentiment": "neutral", "score": score}]
        assert explorer_export._topics(topics, scores) == f"room:neutral({score:+.2f})"


def test_a_filter_naming_no_segment_is_refused_in_both_languages(kz: Kizuna, voices: Any) -> None:
    """The error found while reading (on PostgreSQL by the reading thread) reaches the user,
    and the session goes on serving."""
    with kz.session() as session:
        with pytest.raises(InvalidInput) as refused:
            export_voices(session, voices.workspace, VoiceFilter(segment=987_654_321), "csv")
        assert "segment" in refused.value.message_en and "セグメント" in refused.value.message_ja
        _, rows = export_voices(session, voices.workspace, VoiceFilter(), "csv")
    assert rows == len(found_all(kz, voices))


def test_dates_stored_in_other_shapes_are_shown_as_before(
    kz: Kizuna, ws: Any, is_postgres: bool
) -> None:
    """The date is cut in SQL; a text SQLite holds in another shape (written by hand or by
    another tool) is still shown as `_when`, the code that read every date before, shows it."""
    if is_postgres:
        pytest.skip("PostgreSQL stores a timestamp, never a text")
    shapes = [
        "2026-10-01 01:00:00.123456",
        "2026-10-01 01:00:00",
        "2026-10-01T01:00:00",
        "2026-10-01T01:00:00+09:00",
        "2026-10-01 01:00",
        "2026-10-01",
    ]
    with kz.session() as session:
        made = [
            Feedback(
                workspace_id=ws.workspace.id, source="survey", external_id=f"d{i}",
                channel="web", received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                received_on=dt.date(2026, 1, 1), text="x",
            )
            for i in range(len(shapes))
        ]  # fmt: skip
        session.add_all(made)
        session.flush()
        for voice, shape in zip(made, shapes, strict=True):
            session.connection().exec_driver_sql(
                "UPDATE feedback SET received_at = ? WHERE id = ?", (shape, voice.id)
            )
        data, _ = export_voices(session, ws.workspace, VoiceFilter(), "csv")
    shown = {
        int(r["id"]): r["received_at"]
        for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    }
    for voice, shape in zip(made, shapes, strict=True):
        assert shown[voice.id] == explorer_export._when(shape), shape
    assert shown[made[0].id] == "2026-10-01T01:00:00+00:00"
