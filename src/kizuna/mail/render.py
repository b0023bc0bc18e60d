"""E-mail content from Jinja2 templates, one pair of files per message and language.

A message named `invitation` in Japanese is `email/invitation.ja.txt` and
`email/invitation.ja.html`, found in the templates folder of any feature (the registry's
`template_folders()`), so a feature keeps its e-mails beside its pages. The text file extends
`email/_layout.txt` and defines the blocks `subject` (one line) and `body`; the HTML file
extends `email/_layout.html` and defines `body`. The HTML is autoescaped, the text is not.
Undefined variables are errors, so a missing value fails when the mail is sent for, not as a
blank in a customer's inbox.

Every template also sees `language`, `subject` (the HTML, for its title), `public_url` (links start with it) and
`unsubscribe_url` (customer mail only; None otherwise, which the layouts use to show the
unsubscribe footer that Japan's Act on Specified Electronic Mail asks for).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)

from kizuna.errors import InvalidInput
from kizuna.mail.errors import MailTemplateNotFound

__all__ = ["MAIL_LANGUAGES", "RenderedMail", "check_template", "render_mail"]

MAIL_LANGUAGES = ("ja", "en")
SUBJECT_MAX_LENGTH = 500
NAME_MAX_LENGTH = 100
_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")
_OWN_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedMail:
    """A message's subject (one line), plain-text body and HTML body."""

    subject: str
    text: str
    html: str


def check_template(template: str, language: str) -> None:
    """MailTemplateNotFound (or InvalidInput for the language) unless both files exist."""
    _templates(template, language)


def render_mail(template: str, language: str, context: Mapping[str, Any]) -> RenderedMail:
    """Render `email/<template>.<language>.txt|html` with `context`."""
    text_template, html_template = _templates(template, language)
    values = dict(context)
    try:
        subject_block = text_template.blocks.get("subject")
        if subject_block is None:
            raise MailTemplateNotFound(f"{template} ({language}): no subject block")
        subject = " ".join("".join(subject_block(text_template.new_context(values))).split())
        text = text_template.render(values)
        html = html_template.render({**values, "subject": subject})
    except UndefinedError as exc:
        raise InvalidInput(
            f"The e-mail '{template}' needs a value the sender did not give ({exc.message}). "
            "Pass it in the context.",
            f"メール「{template}」に必要な値が渡されていません({exc.message})。"
            "context に含めてください。",
            template=template,
        ) from None
    if not subject or len(subject) > SUBJECT_MAX_LENGTH:
        raise InvalidInput(
            f"The subject of '{template}' must be 1 to {SUBJECT_MAX_LENGTH} characters.",
            f"メール「{template}」の件名は 1〜{SUBJECT_MAX_LENGTH} 文字にしてください。",
            template=template,
        )
    return RenderedMail(subject, _tidy(text), html.strip() + "\n")


def _templates(template: str, language: str) -> tuple[Template, Template]:
    if language not in MAIL_LANGUAGES:
        raise InvalidInput(
            f"E-mail language must be ja or en (got {language!r}).",
            f"メールの言語は ja か en にしてください(指定 {language!r})。",
        )
    if len(template) > NAME_MAX_LENGTH or not _NAME.match(template):
        raise MailTemplateNotFound(template)
    env = _environment(_search_path())
    try:
        return (
            env.get_template(f"email/{template}.{language}.txt"),
            env.get_template(f"email/{template}.{language}.html"),
        )
    except TemplateNotFound:
        raise MailTemplateNotFound(f"{template} ({language})") from None


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept) + "\n"


@cache
def _search_path() -> tuple[Path, ...]:
    # Once per process: the feature list is fixed, and finding each feature's folder costs
    # about half a millisecond, twice per message sent.
    # Imported late: the registry's list imports every feature's declaration.
    from kizuna.features import template_folders

    return tuple(dict.fromkeys([*template_folders(), _OWN_TEMPLATES]))


@cache
def _environment(folders: tuple[Path, ...]) -> Environment:
    return Environment(
        loader=FileSystemLoader([str(folder) for folder in folders]),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
