"""From a header to a plan, and from a row to the columns of its target table.

A `Plan` says which cell holds which canonical field (found through vocabulary.yaml or an
explicit mapping); cells no field claims are kept in `attributes` (customers) or
`properties` (interactions, feedback). `convert_row` validates one row and returns a
`Prepared` row or raises `RowRejected`; it never touches the database.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import Any

from kizuna.errors import InvalidInput
from kizuna.ingest.block import Prepared, Rejection, digest_cells, hash_values
from kizuna.ingest.rejections import raw_row
from kizuna.ingest.safety import check_json, check_row
from kizuna.ingest.values import DateParser, RowRejected, parse_bool, parse_float, parse_int
from kizuna.ingest.values import to_text as _text
from kizuna.ingest.vocabulary import Target, Vocabulary, normalize_word

__all__ = [
    "REQUIRED",
    "Plan",
    "Prepared",
    "RowContext",
    "build_plan",
    "convert_entry",
    "convert_row",
    "lookup_channel",
]

# Fields a row cannot do without; files lacking the column are refused before any write.
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("external_id",),
    "interactions": ("occurred_at", "channel"),
    "feedback": ("received_at",),
}
_INTEREST_SEPARATORS = str.maketrans({"、": "|", ",": "|", ";": "|", "，": "|", "／": "|"})


@dataclass(frozen=True)
class Plan:
    """Where each canonical field sits in a row, and which cells are extras."""

    target: Target
    header: tuple[str, ...]
    picks: tuple[tuple[int, str], ...]  # (cell index, canonical field)
    extras: tuple[tuple[int, str], ...]  # (cell index, header as written)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(field for _, field in self.picks)

    @cached_property
    def signature(self) -> str:
        return "\x1e".join(self.header) + "\x1d"

    def missing_required(self) -> list[str]:
        return [f for f in REQUIRED[self.target] if f not in self.fields]


@dataclass
class RowContext:
    """What converting rows of one run needs: target, vocabulary, dates in the zone."""

    target: Target
    vocab: Vocabulary
    dates: DateParser
    channels: dict[str, str | None] = dataclass_field(default_factory=dict)


def build_plan(
    target: Target,
    header: Sequence[str],
    vocab: Vocabulary,
    mapping: Mapping[str, str | None] | None = None,
) -> Plan:
    """Match a header to fields; an explicit mapping (field -> header, or None) wins."""
    known = vocab.fields[target]
    header = tuple(h if isinstance(h, str) else "" for h in header)
    taken: dict[str, int] = {}
    explicit = set(mapping or {})
    for field, source in (mapping or {}).items():
        if field not in known:
            raise InvalidInput(
                f"The mapping names '{field}', which {target} do not have. Use one of: "
                f"{', '.join(known)}.",
                f"マッピングの「{field}」は{target}の項目ではありません。次のいずれかを使ってください: "
                f"{', '.join(known)}。",
                field=field,
            )
        if source is None:  # null: the file's column for this field is not that field
            continue
        index = _find_header(header, str(source))
        if index is None:
            raise InvalidInput(
                f"The mapping points {field} to the column '{source}', which the file does not "
                f"have. Columns found: {', '.join(header)}.",
                f"マッピングで{field}に指定した列「{source}」がファイルにありません。"
                f"ファイルの列: {', '.join(header)}。",
                field=field,
                column=str(source),
            )
        taken[field] = index
    claimed = set(taken.values())
    synonyms = vocab.headers[target]
    for index, name in enumerate(header):
        if index in claimed:
            continue
        guess = synonyms.get(normalize_word(name))
        if guess is None or guess in explicit:  # the mapping decided this field already
            continue
        if guess in taken:
            other = header[taken[guess]]
            raise InvalidInput(
                f"Both columns '{other}' and '{name}' look like {guess}. Say which one to use "
                "with --mapping (a YAML file: field: column).",
                f"列「{other}」と「{name}」のどちらも{vocab.label(guess)}に見えます。"
                "--mapping(YAMLファイル: 項目: 列名)でどちらを使うか指定してください。",
                field=guess,
            )
        taken[guess] = index
    claimed = set(taken.values())
    extras = tuple(
        (i, name or f"column_{i + 1}") for i, name in enumerate(header) if i not in claimed
    )
    picks = tuple(sorted((i, f) for f, i in taken.items()))
    return Plan(target, header, picks, extras)


def _find_header(header: tuple[str, ...], source: str) -> int | None:
    if source in header:
        return header.index(source)
    wanted = normalize_word(source)
    for i, name in enumerate(header):
        if normalize_word(name) == wanted:
            return i
    return None


def convert_row(line: int, cells: Sequence[Any], plan: Plan, ctx: RowContext) -> Prepared:
    """Validate one row and give its columns; raises `RowRejected` with the reason."""
    check_row(plan.header, cells)  # NUL, lone surrogates, JSON too deep or too large
    width = len(plan.header)
    if len(cells) > width and any(_text(c) for c in cells[width:]):
        raise RowRejected(
            "column_count",
            f"The row has {len(cells)} values but the header has {width} columns; check for "
            "an unquoted separator in a value.",
            f"この行の値は{len(cells)}個ですが、見出しは{width}列です。値の中の区切り文字に"
            "引用符が付いているか確認してください。",
        )
    got: dict[str, Any] = {}
    for index, field in plan.picks:
        value = cells[index] if index < len(cells) else None
        if isinstance(value, str):
            value = value.strip() or None
        got[field] = value
    extras: dict[str, Any] = {}
    for index, name in plan.extras:
        if index < len(cells) and (value := _jsonable(cells[index])) not in (None, ""):
            extras[name] = value
    if plan.target == "feedback":
        row = _convert_feedback(line, got, extras, ctx)
    elif plan.target == "interactions":
        row = _convert_interaction(line, got, extras, ctx)
    else:
        row = _convert_customer(line, got, extras, ctx)
    # The row as written decides "unchanged": any edit in any column is an update.
    row.content_hash = digest_cells(plan.signature, cells)
    return row


def convert_entry(
    line: int, cells: Sequence[Any], plan: Plan, ctx: RowContext
) -> Prepared | Rejection:
    """`convert_row`, with a refusal kept as a `Rejection` (the row as written, its reason)."""
    try:
        return convert_row(line, cells, plan, ctx)
    except RowRejected as why:
        return Rejection(line, why, raw_row(plan.header, cells))


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool | dict | list):
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _short(value: Any, limit: int, field: str, ctx: RowContext) -> str | None:
    if value is None:
        return None
    text = value if type(value) is str else _text(value)  # str cells come stripped
    if text is not None and len(text) > limit:
        raise RowRejected(
            "too_long",
            f"{field} is {len(text)} characters; at most {limit} fit. Shorten it.",
            f"{ctx.vocab.label(field)}が{len(text)}文字あります。{limit}文字以内にしてください。",
        )
    return text


def _missing(field: str, ctx: RowContext) -> RowRejected:
    return RowRejected(
        "missing_field",
        f"{field} is empty; every row needs it. Fill it in and import the file again.",
        f"{ctx.vocab.label(field)}が空です。すべての行に必要です。入力してから再度取り込んでください。",
    )


def _identifier(value: Any, field: str, ctx: RowContext) -> str | None:
    text = _short(value, 200, field, ctx)
    if text is None or text.isascii():
        return text
    # Ids typed in Japanese spreadsheets often carry full-width digits: ＡＢ０１ is AB01.
    return unicodedata.normalize("NFKC", text)


def _mapping(value: Any, extras: dict[str, Any], field: str, ctx: RowContext) -> dict[str, Any]:
    parsed: Any = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            parsed = None
        else:
            check_json(parsed, field)
    if value is None:
        return extras  # a fresh dict per row already
    if isinstance(parsed, dict):
        base: dict[str, Any] = dict(parsed)
    else:
        raise RowRejected(
            "invalid_properties",
            f'{field} must be a JSON object such as {{"store": "Shibuya"}}; fix it or '
            "leave it empty.",
            f'{ctx.vocab.label(field)}は {{"store": "渋谷"}} のようなJSONオブジェクトで'
            "入力してください。直すか空欄にしてください。",
        )
    base.update(extras)
    return base


def lookup_channel(text: str, ctx: RowContext) -> str | None:
    """The code of a channel name as written (stripped); None when the vocabulary lacks it."""
    code = ctx.channels.get(text, "")
    if code == "":
        code = ctx.vocab.channel_code(text)
        if len(ctx.channels) < 10_000:  # a file names few channels; stay bounded anyway
            ctx.channels[text] = code
    return code


def _channel(value: Any, props: dict[str, Any], ctx: RowContext) -> str | None:
    text = _text(value)
    if text is None:
        return None
    code = lookup_channel(text, ctx)
    if code is None:  # unknown names are kept, so nothing the file said is lost
        props["channel_raw"] = text
        return "other"
    return code


def _scores(got: dict[str, Any]) -> dict[str, Any]:
    rating = parse_float(got.get("rating"), "rating")
    if rating is not None and not 1 <= rating <= 5:
        raise RowRejected(
            "score_out_of_range",
            f"rating must be from 1 to 5, got {rating:g}; fix the value or leave it empty.",
            f"評価は1〜5の範囲で入力してください(入力値: {rating:g})。値を直すか空欄にしてください。",
        )
    return {
        "nps": parse_int(got.get("nps"), "nps", 0, 10),
        "csat": parse_int(got.get("csat"), "csat", 1, 5),
        "ces": parse_int(got.get("ces"), "ces", 1, 7),
        "rating": rating,
    }


def _keyed(line: int, key: str | None, values: dict[str, Any]) -> Prepared:
    if key is None:
        # No id: the converted content is the key (so a re-saved file with other date
        # formats or column order still matches), and importing it again adds nothing.
        key = f"auto-{hash_values(values.values())}"
    return Prepared(line, key, values, "")


def _convert_feedback(
    line: int, got: dict[str, Any], extras: dict[str, Any], ctx: RowContext
) -> Prepared:
    at = ctx.dates.at(got.get("received_at"), "received_at")
    if at is None:
        raise _missing("received_at", ctx)
    props = _mapping(got.get("properties"), extras, "properties", ctx)
    text = _text(got.get("text"))
    scores = _scores(got)
    if text is None and all(v is None for v in scores.values()):
        raise RowRejected(
            "empty_feedback",
            "The row has neither a comment nor a score; add one or remove the row.",
            "コメントもスコアもない行です。どちらかを入力するか、行を削除してください。",
        )
    values = {
        "channel": _channel(got.get("channel"), props, ctx) or "other",
        "touchpoint": _short(got.get("touchpoint"), 100, "touchpoint", ctx),
        "customer_ref": _identifier(got.get("customer_ref"), "customer_ref", ctx),
        "received_at": at[0],
        "received_on": at[1],
        "text": text,
        "language": _short(got.get("language"), 8, "language", ctx),
        **scores,
        "properties": props,
    }
    return _keyed(line, _identifier(got.get("external_id"), "external_id", ctx), values)


def _convert_interaction(
    line: int, got: dict[str, Any], extras: dict[str, Any], ctx: RowContext
) -> Prepared:
    at = ctx.dates.at(got.get("occurred_at"), "occurred_at")
    if at is None:
        raise _missing("occurred_at", ctx)
    props = _mapping(got.get("properties"), extras, "properties", ctx)
    channel = _channel(got.get("channel"), props, ctx)
    if channel is None:
        raise _missing("channel", ctx)
    kind = _short(got.get("kind"), 64, "kind", ctx)
    if kind is not None:
        kind = ctx.vocab.kinds.get(normalize_word(kind), kind.lower())
    amount = parse_float(got.get("amount"), "amount")
    if amount is not None and abs(amount) >= 1e12:
        raise RowRejected(
            "invalid_number",
            f"amount {amount:g} is too large (at most 12 digits before the point).",
            f"金額 {amount:g} が大きすぎます(整数部は12桁まで)。",
        )
    direct = parse_bool(got.get("direct"), ctx.vocab.booleans, "direct")
    values = {
        "customer_ref": _identifier(got.get("customer_ref"), "customer_ref", ctx),
        "occurred_at": at[0],
        "occurred_on": at[1],
        "channel": channel,
        "touchpoint": _short(got.get("touchpoint"), 100, "touchpoint", ctx),
        "kind": kind or "visit",  # a row that says nothing else records a visit
        "direct": True if direct is None else direct,
        "amount": None if amount is None else round(amount, 2),
        "properties": props,
    }
    return _keyed(line, _identifier(got.get("external_id"), "external_id", ctx), values)


def _convert_customer(
    line: int, got: dict[str, Any], extras: dict[str, Any], ctx: RowContext
) -> Prepared:
    key = _identifier(got.get("external_id"), "external_id", ctx)
    if key is None:
        raise _missing("external_id", ctx)
    words = ctx.vocab.booleans
    email = _short(got.get("email"), 320, "email", ctx)
    if email is not None:
        email = unicodedata.normalize("NFKC", email).lower()
        if "@" not in email:
            raise RowRejected(
                "invalid_email",
                f"email {email!r} is not an e-mail address; fix it or leave it empty.",
                f"メールアドレス「{email}」の形式が正しくありません。直すか空欄にしてください。",
            )
    gender = _short(got.get("gender"), 16, "gender", ctx)
    consent_email = parse_bool(got.get("consent_email"), words, "consent_email")
    consent_analysis = parse_bool(got.get("consent_analysis"), words, "consent_analysis")
    values = {
        "name": _short(got.get("name"), 200, "name", ctx),
        "email": email,
        "phone": _identifier(_short(got.get("phone"), 40, "phone", ctx), "phone", ctx),
        "line_id": _short(got.get("line_id"), 100, "line_id", ctx),
        "birthday": ctx.dates.day(got.get("birthday"), "birthday"),
        "age_band": _short(got.get("age_band"), 16, "age_band", ctx),
        "gender": None if gender is None else ctx.vocab.genders.get(normalize_word(gender), gender),
        "prefecture": _short(got.get("prefecture"), 16, "prefecture", ctx),
        "life_stage": _short(got.get("life_stage"), 32, "life_stage", ctx),
        "interests": _interests(got.get("interests")),
        "consent_email": bool(consent_email),  # no answer is no consent to e-mail
        "consent_analysis": True if consent_analysis is None else consent_analysis,
        "attributes": _mapping(got.get("attributes"), extras, "attributes", ctx),
    }
    return _keyed(line, key, values)


def _interests(value: Any) -> list[str]:
    if value is None:
        return []
    items = (
        value if isinstance(value, list) else str(value).translate(_INTEREST_SEPARATORS).split("|")
    )
    return [text for item in items if (text := _text(item))]
