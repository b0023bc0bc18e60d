"""The loop API's shared annotations (behind `api`): who may call each route, ids, the
services' vocabularies as the OpenAPI document shows them, and the 409 of a stale version."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path
from pydantic import Field

from kizuna.web.deps import Caller, api_caller

__all__ = [
    "STALE",
    "CaseManager",
    "CaseReader",
    "CaseStatus",
    "CaseWorker",
    "Id",
    "ImprovementManager",
    "ImprovementReader",
    "ImprovementStatus",
    "LoopReader",
    "PraiseKind",
    "PraiseReader",
    "Priority",
    "RefId",
    "ReplyKind",
    "ReplyVariant",
    "RuleManager",
    "RuleReader",
    "WebhookEvent",
]

CaseReader = Annotated[Caller, Depends(api_caller("cases.read"))]
CaseWorker = Annotated[Caller, Depends(api_caller("cases.work"))]
CaseManager = Annotated[Caller, Depends(api_caller("cases.manage"))]
RuleReader = Annotated[Caller, Depends(api_caller("rules.read"))]
RuleManager = Annotated[Caller, Depends(api_caller("rules.manage"))]
ImprovementReader = Annotated[Caller, Depends(api_caller("improvements.read"))]
ImprovementManager = Annotated[Caller, Depends(api_caller("improvements.manage"))]
PraiseReader = Annotated[Caller, Depends(api_caller("praise.read"))]
LoopReader = Annotated[Caller, Depends(api_caller("loop.read"))]

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
RefId = Annotated[int, Field(ge=1, le=2**63 - 1)]
# The services' vocabularies (kizuna.loop.models and friends), as the document shows them.
CaseStatus = Literal["new", "assigned", "in_progress", "waiting", "resolved", "closed", "reopened"]
Priority = Literal[1, 2, 3, 4]
ImprovementStatus = Literal["idea", "planned", "in_progress", "shipped"]
PraiseKind = Literal["staff", "team", "role", "store"]
WebhookEvent = Literal["rule.matched", "case.opened", "case.changed", "improvement.shipped"]
ReplyKind = Literal["apology", "thanks", "follow_up"]
ReplyVariant = Literal["teinei", "keigo", "en"]
STALE: dict[int | str, dict[str, Any]] = {
    409: {"description": "Changed by someone else since `version`: reload and apply again."}
}
