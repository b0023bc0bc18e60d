"""JSON routes of the loop's rules (under /api/v1, included by `kizuna.loop.api.router`):
list, create, test a draft or a saved rule, change, delete, switch on and off."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from kizuna.loop import rules as rule_service
from kizuna.loop.api_annotations import STALE, Id, RuleManager, RuleReader
from kizuna.loop.presenters import rule_dict
from kizuna.web.deps import SessionDep
from kizuna.web.fields import StrictBody
from kizuna.web.routing import SummaryRoute

__all__ = [
    "Activate",
    "LoopRuleCreate",
    "LoopRuleUpdate",
    "RuleDraft",
    "delete_rule",
    "get_rule",
    "get_rules",
    "patch_rule",
    "post_activate",
    "post_deactivate",
    "post_rule",
    "post_rule_test",
    "post_saved_rule_test",
    "router",
]

router = APIRouter(route_class=SummaryRoute)


class LoopRuleCreate(StrictBody):
    name: str
    conditions: Any
    actions: list[dict[str, Any]]
    description: str = ""
    max_cases_per_hour: int = 20


class LoopRuleUpdate(StrictBody):
    version: int | None = None
    name: str | None = None
    conditions: Any = None
    actions: list[dict[str, Any]] | None = None
    description: str | None = None
    max_cases_per_hour: int | None = None


class RuleDraft(StrictBody):
    conditions: Any
    actions: list[dict[str, Any]] = Field(default_factory=list)
    max_cases_per_hour: int = 20


class Activate(StrictBody):
    force: bool = False


@router.get("/loop/rules", tags=["loop"])
def get_rules(caller: RuleReader, session: SessionDep) -> list[dict[str, Any]]:
    """Every rule with its status and last test."""
    return [rule_dict(r) for r in rule_service.list_rules(session, caller.workspace)]


@router.post("/loop/rules", status_code=201, tags=["loop"])
def post_rule(body: LoopRuleCreate, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """Create a rule (off until activated; refused when it can never match)."""
    rule = rule_service.create_rule(
        session,
        caller.workspace,
        body.name,
        body.conditions,
        body.actions,
        description=body.description,
        max_cases_per_hour=body.max_cases_per_hour,
        actor=caller.actor,
    )
    return rule_dict(rule)


@router.post("/loop/rules/test", tags=["loop"])
def post_rule_test(body: RuleDraft, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """What these conditions would have matched over the last 30 days."""
    return rule_service.test_rule(
        session, caller.workspace, body.conditions, body.actions, limit=body.max_cases_per_hour
    ).as_dict()


@router.get("/loop/rules/{rule_id:int}", tags=["loop"])
def get_rule(rule_id: Id, caller: RuleReader, session: SessionDep) -> dict[str, Any]:
    """One rule."""
    return rule_dict(rule_service.get_rule(session, caller.workspace, rule_id))


@router.patch("/loop/rules/{rule_id:int}", tags=["loop"], responses=STALE)
def patch_rule(
    rule_id: Id, body: LoopRuleUpdate, caller: RuleManager, session: SessionDep
) -> dict[str, Any]:
    """Change a rule (an active one goes back to draft until switched on again)."""
    rule = rule_service.update_rule(
        session,
        caller.workspace,
        rule_id,
        version=body.version,
        name=body.name,
        conditions=body.conditions,
        actions=body.actions,
        description=body.description,
        max_cases_per_hour=body.max_cases_per_hour,
        actor=caller.actor,
    )
    return rule_dict(rule)


@router.delete("/loop/rules/{rule_id:int}", status_code=204, tags=["loop"])
def delete_rule(rule_id: Id, caller: RuleManager, session: SessionDep) -> None:
    """Delete a rule (its cases stay)."""
    rule_service.delete_rule(session, caller.workspace, rule_id, actor=caller.actor)


@router.post("/loop/rules/{rule_id}/test", tags=["loop"])
def post_saved_rule_test(rule_id: Id, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """Test a saved rule over the last 30 days."""
    rule = rule_service.get_rule(session, caller.workspace, rule_id)
    return rule_service.test_rule(
        session, caller.workspace, rule.conditions, rule.actions, limit=rule.max_cases_per_hour
    ).as_dict()


@router.post("/loop/rules/{rule_id}/activate", tags=["loop"])
def post_activate(
    rule_id: Id, body: Activate, caller: RuleManager, session: SessionDep
) -> dict[str, Any]:
    """Test, then switch on (or hold with the reason: rate, no_data)."""
    rule, result = rule_service.activate_rule(
        session, caller.workspace, rule_id, force=body.force, actor=caller.actor
    )
    return {**rule_dict(rule), "test": result.as_dict()}


@router.post("/loop/rules/{rule_id}/deactivate", tags=["loop"])
def post_deactivate(rule_id: Id, caller: RuleManager, session: SessionDep) -> dict[str, Any]:
    """Switch a rule off."""
    return rule_dict(
        rule_service.deactivate_rule(session, caller.workspace, rule_id, actor=caller.actor)
    )
