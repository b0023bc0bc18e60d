"""Use cases of the surveys room: surveys and their versions, logos, the contact rules.

Every function takes the workspace and filters on it; writes are audited
(`survey.create`, `survey.update`, `survey.publish`, `survey.close`, `survey.logo`,
`survey.policy`) with ids and counts only.

Editing keeps answers readable: when the current version already has responses, the edit
becomes a new version (`survey_version`), and each response keeps the version it was
answered on; a version nobody answered yet is edited in place.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.accounts.audit import record_audit
from kizuna.accounts.models import Workspace
from kizuna.db.base import utcnow
from kizuna.errors import Conflict, InvalidInput, NotFound
from kizuna.surveys.definition import Definition, parse_definition
from kizuna.surveys.library import _raw as template_raw
from kizuna.surveys.models import Survey, SurveyPolicy, SurveyResponse, SurveyVersion

__all__ = [
    "LOGO_MAX_BYTES",
    "SurveyRow",
    "close_survey",
    "create_survey",
    "definition_at",
    "definition_of",
    "get_policy",
    "get_survey",
    "get_survey_by_key",
    "list_surveys",
    "publish_survey",
    "set_logo",
    "survey_versions",
    "update_policy",
    "update_survey",
]

LOGO_MAX_BYTES = 200_000
# Raster images only: an SVG logo could carry script onto Kizuna's own origin.
_LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


class SurveyNotFound(NotFound):
    code = "survey_not_found"

    def __init__(self, survey_id: int | str) -> None:
        super().__init__(
            f"Survey {survey_id} does not exist in this workspace. List surveys with "
            "`kizuna surveys list` or GET /api/v1/surveys.",
            f"アンケート {survey_id} はこのワークスペースにありません。`kizuna surveys list` または "
            "GET /api/v1/surveys で一覧を確認してください。",
            survey_id=survey_id,
        )


_CACHE: OrderedDict[str, Definition] = OrderedDict()
_CACHE_SIZE = 512
_CACHE_LOCK = threading.Lock()


def definition_of(survey: Survey, version: SurveyVersion | None = None) -> Definition:
    """The checked definition of a survey's current version (or of `version`), cached per
    process by survey, version and change time (answering reads it on every page)."""
    data = version.definition if version is not None else survey.definition
    number = version.version if version is not None else survey.version
    stamp = (version.created_at if version is not None else survey.updated_at).isoformat()
    key = f"{survey.id}:{number}:{stamp}"
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    parsed = parse_definition(data)
    with _CACHE_LOCK:
        _CACHE[key] = parsed
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return parsed


def definition_at(session: Session, survey: Survey, version: int) -> Definition:
    """The checked definition a response was answered on (its survey's version `version`)."""
    if version == survey.version:
        return definition_of(survey)
    row = session.scalar(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id, SurveyVersion.version == version
        )
    )
    return definition_of(survey, row) if row is not None else definition_of(survey)


def _new_key(session: Session) -> str:
    while True:
        key = secrets.token_urlsafe(9)
        if session.scalar(select(Survey.id).where(Survey.key == key)) is None:
            return key


def create_survey(
    session: Session,
    workspace: Workspace,
    raw: Mapping[str, Any] | None = None,
    *,
    template: str | None = None,
    name: str | None = None,
    actor: str = "system",
) -> Survey:
    """A draft survey from a definition, or from a template (`raw` None); InvalidSurvey lists
    every problem of the definition with its place."""
    if raw is None:
        if template is None:
            raise InvalidInput(
                "Give a survey definition (YAML or JSON) or a template name.",
                "アンケートの定義(YAML または JSON)かテンプレート名を指定してください。",
            )
        raw = template_raw(template)
    definition = parse_definition(raw)
    now = utcnow()
    survey = Survey(
        workspace_id=workspace.id,
        key=_new_key(session),
        name=(name or definition.title[definition.language])[:200],
        status="draft",
        source=definition.source,
        template=template,
        version=1,
        definition=definition.data,
        closes_at=definition.closes_at,
        response_cap=definition.response_cap,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(survey)
    session.flush()
    session.add(
        SurveyVersion(
            workspace_id=workspace.id,
            survey_id=survey.id,
            version=1,
            definition=definition.data,
            created_by=actor,
            created_at=now,
        )
    )
    record_audit(
        session,
        workspace,
        actor,
        "survey.create",
        f"survey:{survey.id}",
        questions=len(definition.questions),
    )
    return survey


def update_survey(
    session: Session,
    workspace: Workspace,
    survey_id: int,
    raw: Mapping[str, Any],
    *,
    name: str | None = None,
    actor: str = "system",
) -> Survey:
    """Replace the definition: a new version when the current one has answers."""
    survey = get_survey(session, workspace, survey_id)
    definition = parse_definition(raw)
    if definition.source != survey.source and _has_responses(session, survey, None):
        raise Conflict(
            "This survey already has answers; its source (customer or employee) cannot change. "
            "Make a new survey instead.",
            "このアンケートには回答があるため、対象(顧客・従業員)は変更できません。新しいアンケートを作ってください。",
        )
    now = utcnow()
    answered = _has_responses(session, survey, survey.version)
    if answered:
        survey.version += 1
        session.add(
            SurveyVersion(
                workspace_id=workspace.id,
                survey_id=survey.id,
                version=survey.version,
                definition=definition.data,
                created_by=actor,
                created_at=now,
            )
        )
    else:
        current = session.scalar(
            select(SurveyVersion).where(
                SurveyVersion.survey_id == survey.id, SurveyVersion.version == survey.version
            )
        )
        if current is not None:
            current.definition = definition.data
            current.created_at = now
    survey.definition = definition.data
    survey.source = definition.source
    survey.closes_at = definition.closes_at
    survey.response_cap = definition.response_cap
    survey.updated_at = now
    if name:
        survey.name = name[:200]
    record_audit(
        session,
        workspace,
        actor,
        "survey.update",
        f"survey:{survey.id}",
        version=survey.version,
        new_version=answered,
    )
    return survey


def _has_responses(session: Session, survey: Survey, version: int | None) -> bool:
    query = select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id)
    if version is not None:
        query = query.where(SurveyResponse.version == version)
    return session.scalar(query.limit(1)) is not None


def publish_survey(
    session: Session, workspace: Workspace, survey_id: int, *, actor: str = "system"
) -> Survey:
    """Open the survey for answers (from draft, or again after closing)."""
    survey = get_survey(session, workspace, survey_id)
    if survey.closes_at is not None and survey.closes_at <= utcnow():
        raise Conflict(
            "The survey's close date has passed. Set a later closes_at (or none) and publish again.",
            "アンケートの締切日時を過ぎています。closes_at を後の日時にする(または外す)と公開できます。",
        )
    survey.status = "live"
    survey.published_at = survey.published_at or utcnow()
    survey.closed_at = None
    survey.updated_at = utcnow()
    record_audit(session, workspace, actor, "survey.publish", f"survey:{survey.id}")
    return survey


def close_survey(
    session: Session, workspace: Workspace, survey_id: int, *, actor: str = "system"
) -> Survey:
    """Stop taking answers; links then show a friendly "closed" page."""
    survey = get_survey(session, workspace, survey_id)
    survey.status = "closed"
    survey.closed_at = utcnow()
    survey.updated_at = utcnow()
    record_audit(session, workspace, actor, "survey.close", f"survey:{survey.id}")
    return survey


def set_logo(
    session: Session,
    workspace: Workspace,
    survey_id: int,
    data: bytes | None,
    *,
    actor: str = "system",
) -> Survey:
    """Set (or with None remove) the logo shown on the answering page: PNG, JPEG or GIF."""
    survey = get_survey(session, workspace, survey_id)
    if data:
        if len(data) > LOGO_MAX_BYTES:
            raise InvalidInput(
                f"The logo is {len(data):,} bytes; at most {LOGO_MAX_BYTES:,} are taken. "
                "Use a smaller image.",
                f"ロゴは {len(data):,} バイトです。{LOGO_MAX_BYTES:,} バイト以下の画像にしてください。",
            )
        kind = next((t for magic, t in _LOGO_TYPES.items() if data.startswith(magic)), None)
        if kind is None:
            raise InvalidInput(
                "The logo must be a PNG, JPEG or GIF image.",
                "ロゴは PNG・JPEG・GIF のいずれかの画像にしてください。",
            )
        survey.logo, survey.logo_type = data, kind
    else:
        survey.logo, survey.logo_type = None, None
    survey.updated_at = utcnow()
    record_audit(
        session, workspace, actor, "survey.logo", f"survey:{survey.id}", bytes=len(data or b"")
    )
    return survey


def get_survey(session: Session, workspace: Workspace, survey_id: int) -> Survey:
    """One survey of this workspace; SurveyNotFound for another workspace's as for none."""
    survey = session.scalar(
        select(Survey).where(Survey.workspace_id == workspace.id, Survey.id == survey_id)
    )
    if survey is None:
        raise SurveyNotFound(survey_id)
    return survey


def get_survey_by_key(session: Session, key: str) -> Survey | None:
    """The survey a public link names (any workspace: the key is the link)."""
    if not key or len(key) > 32:
        return None
    return session.scalar(select(Survey).where(Survey.key == key))


def survey_versions(session: Session, survey: Survey) -> dict[int, SurveyVersion]:
    rows = session.scalars(select(SurveyVersion).where(SurveyVersion.survey_id == survey.id))
    return {row.version: row for row in rows}


@dataclass(frozen=True)
class SurveyRow:
    """A survey with its answer counts, for lists."""

    survey: Survey
    completed: int
    partial: int


def list_surveys(session: Session, workspace: Workspace) -> list[SurveyRow]:
    """The workspace's surveys, newest first, with completed and partial answer counts."""
    surveys = list(
        session.scalars(
            select(Survey).where(Survey.workspace_id == workspace.id).order_by(Survey.id.desc())
        )
    )
    counts: dict[tuple[int, str], int] = {}
    if surveys:
        for survey_id, state, n in session.execute(
            select(SurveyResponse.survey_id, SurveyResponse.state, func.count())
            .where(SurveyResponse.survey_id.in_([s.id for s in surveys]))
            .group_by(SurveyResponse.survey_id, SurveyResponse.state)
        ):
            counts[(survey_id, state)] = int(n)
    return [
        SurveyRow(s, counts.get((s.id, "completed"), 0), counts.get((s.id, "partial"), 0))
        for s in surveys
    ]


def get_policy(session: Session, workspace: Workspace | int) -> SurveyPolicy:
    """The workspace's contact rules (the defaults until someone changes them)."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    found = session.scalar(select(SurveyPolicy).where(SurveyPolicy.workspace_id == workspace_id))
    if found is None:
        found = SurveyPolicy(
            workspace_id=workspace_id,
            frequency_days=30,
            quiet_start="21:00",
            quiet_end="09:00",
            require_consent=True,
            link_days=30,
            partial_timeout_minutes=60,
            rate_limit_per_minute=60,
            allowed_origins=[],
            updated_at=utcnow(),
        )
    return found


def update_policy(
    session: Session, workspace: Workspace, *, actor: str = "system", **values: Any
) -> SurveyPolicy:
    """Change the contact rules; each value is checked, unknown names are refused."""
    numbers = {
        "frequency_days": (0, 365),
        "link_days": (1, 365),
        "partial_timeout_minutes": (5, 7 * 24 * 60),
        "rate_limit_per_minute": (0, 100_000),
    }
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name in numbers:
            low, high = numbers[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _bad_policy(
                    name, f"a whole number from {low} to {high}", f"{low}〜{high} の整数"
                )
        elif name in ("quiet_start", "quiet_end"):
            if not isinstance(value, str) or not _TIME.match(value):
                raise _bad_policy(name, "a time such as 21:00", "21:00 のような時刻")
        elif name == "require_consent":
            value = bool(value)
        elif name == "allowed_origins":
            origins = [str(o).strip().rstrip("/").lower() for o in value if str(o).strip()]
            bad = [o for o in origins if not _ORIGIN.match(o)]
            if bad:
                raise _bad_policy(
                    name,
                    f"origins such as https://www.example.co.jp (not {bad[0]})",
                    f"https://www.example.co.jp のようなオリジン({bad[0]} は不可)",
                )
            value = list(dict.fromkeys(origins))
        else:
            raise _bad_policy(name, "a known setting", "既知の設定名")
        checked[name] = value
    # Every value is checked before any is set: a refused change leaves the rules as they were.
    policy = get_policy(session, workspace)
    for name, value in checked.items():
        setattr(policy, name, value)
    policy.updated_at = utcnow()
    if policy.id is None:
        session.add(policy)
    session.flush()
    record_audit(session, workspace, actor, "survey.policy", f"survey_policy:{policy.id}")
    return policy


def _bad_policy(name: str, en: str, ja: str) -> InvalidInput:
    return InvalidInput(
        f"The contact rule '{name}' must be {en}.",
        f"連絡ルール「{name}」は{ja}にしてください。",
        setting=name,
    )
