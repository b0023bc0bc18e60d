"""Reading a respondent's submission: the body (a form, or JSON), its size, its fields.

A body over `BODY_LIMIT` is refused (413) before it is parsed; a form gives lists of values
per field (`q.<question>`, `q.<question>.other`, `h.<hidden field>`, `rk`, `p`, `save`,
`website` the honeypot); JSON gives `answers`, `hidden`, `response_key`, `page`, `complete`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from kizuna.errors import InvalidInput, KizunaError
from kizuna.surveys.answers import Submission

__all__ = ["BODY_LIMIT", "CHANNELS", "Body", "BodyTooLarge", "read_body", "submission_of"]

BODY_LIMIT = 64 * 1024
CHANNELS = ("link", "qr", "widget")


class Body:
    """A submission's fields: a form (lists of values) or JSON."""

    def __init__(self, fields: dict[str, list[str]], data: dict[str, Any] | None) -> None:
        self.fields = fields
        self.data = data

    @property
    def is_json(self) -> bool:
        return self.data is not None

    def get(self, name: str) -> str | None:
        if self.data is not None:
            value = self.data.get(name)
            return None if value is None else str(value)
        values = self.fields.get(name)
        return values[-1] if values else None


async def read_body(request: Request) -> Body:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > BODY_LIMIT:
        raise BodyTooLarge()
    raw = await request.body()
    if len(raw) > BODY_LIMIT:
        raise BodyTooLarge()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "Send the answers in UTF-8.", "回答は UTF-8 で送ってください。"
        ) from None
    if kind == "application/json":
        try:
            data = json.loads(text or "{}")
        except ValueError:
            raise InvalidInput(
                "The body is not valid JSON.", "本文が JSON として正しくありません。"
            ) from None
        if not isinstance(data, dict):
            raise InvalidInput(
                'Send a JSON object such as {"answers": {"nps": 9}}.',
                '{"answers": {"nps": 9}} のような JSON オブジェクトを送ってください。',
            )
        return Body({}, data)
    if kind not in ("application/x-www-form-urlencoded", ""):
        raise InvalidInput(
            "Send the answers as a form or as JSON.",
            "回答はフォームか JSON で送ってください。",
        )
    fields: dict[str, list[str]] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, max_num_fields=500):
        fields.setdefault(name, []).append(value)
    return Body(fields, None)


class BodyTooLarge(KizunaError):
    code = "payload_too_large"
    status = 413

    def __init__(self) -> None:
        super().__init__(
            f"The answers are larger than {BODY_LIMIT // 1024} KiB. Shorten the text and send again.",
            f"回答が {BODY_LIMIT // 1024} KiB を超えています。文章を短くしてもう一度送ってください。",
        )


def submission_of(body: Body, key: str | None, token: str | None) -> Submission:
    page_text = body.get("p") if not body.is_json else body.get("page")
    try:
        page = int(page_text) if page_text not in (None, "") else None
    except ValueError:
        raise InvalidInput(
            "The page number is not valid.", "ページ番号が正しくありません。"
        ) from None
    if body.data is not None:
        answers = body.data.get("answers") or {}
        hidden = body.data.get("hidden") or {}
        if not isinstance(answers, dict) or not isinstance(hidden, dict):
            raise InvalidInput(
                "answers and hidden are JSON objects.",
                "answers と hidden は JSON オブジェクトにしてください。",
            )
        complete = body.data.get("complete", page is None)
        channel = str(body.data.get("channel") or "api")
        response_key = body.get("response_key") or body.get("rk")
    else:
        answers = {
            name[2:]: values for name, values in body.fields.items() if name.startswith("q.")
        }
        hidden = {
            name[2:]: values[-1] for name, values in body.fields.items() if name.startswith("h.")
        }
        complete = False
        channel = body.get("ch") or "link"
        response_key = body.get("rk")
    return Submission(
        survey_key=key,
        token=token,
        response_key=response_key or None,
        page=page,
        answers=answers,
        hidden=hidden,
        channel=channel if channel in (*CHANNELS, "api") else "link",
        language=body.get("lang") or body.get("language"),
        complete=bool(complete) and page is None,
        save_only=body.get("save") == "1",
    )
