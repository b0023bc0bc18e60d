"""The one permission table: which role may do what.

Each feature declares the permissions its routes and commands check, with the roles that
hold them (`Feature.permissions`); this module joins them into one table and answers
"may this role, through this key's scopes, do this?". Roles run from owner (everything)
to viewer (reads only):

    owner    everything, including making and removing other owners
    admin    everything else: members, API keys, audit log, jobs, settings
    analyst  reads, segments, imports, text models, exports
    agent    reads, and writes about single customers and voices (frontline staff)
    viewer   reads only

Nothing here touches the database or the web.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from kizuna.accounts.models import ROLES
from kizuna.errors import InvalidInput, PermissionDenied

__all__ = [
    "ROLES",
    "check_permission",
    "permission_table",
    "permissions_of",
    "role_allows",
    "validate_scopes",
]


@cache
def permission_table() -> dict[str, frozenset[str]]:
    """Permission name -> roles that hold it, from every feature's declaration."""
    from kizuna.features import permissions

    table: dict[str, frozenset[str]] = {}
    for permission in permissions():
        unknown = set(permission.roles) - set(ROLES)
        if unknown or permission.name in table:
            raise ValueError(f"bad permission declaration {permission.name}: {sorted(unknown)}")
        # The owner holds every permission, whatever a feature forgot to list.
        table[permission.name] = frozenset({"owner", *permission.roles})
    return table


def role_allows(role: str, permission: str) -> bool:
    table = permission_table()
    if permission not in table:
        raise KeyError(f"unknown permission {permission!r}; declare it in a feature.py")
    return role in table[permission]


def permissions_of(role: str, scopes: Iterable[str] = ()) -> frozenset[str]:
    """Every permission the role holds, narrowed to `scopes` when any are given."""
    allowed = {name for name, roles in permission_table().items() if role in roles}
    narrowed = set(scopes)
    return frozenset(allowed & narrowed if narrowed else allowed)


def check_permission(role: str, permission: str, scopes: Iterable[str] = ()) -> None:
    """PermissionDenied, in both languages and saying whom to ask, unless allowed."""
    narrowed = list(scopes)
    if role_allows(role, permission) and (not narrowed or permission in narrowed):
        return
    holders = ", ".join(r for r in ROLES if role_allows(r, permission))
    if narrowed and role_allows(role, permission):
        raise PermissionDenied(
            f"This API key's scopes do not include '{permission}'. Create a key with that "
            "scope, or use one without scopes.",
            f"この API キーのスコープに「{permission}」が含まれていません。そのスコープを持つキーを"
            "作成するか、スコープなしのキーを使ってください。",
            permission=permission,
            role=role,
        )
    raise PermissionDenied(
        f"Your role ({role}) may not do this ('{permission}' needs {holders}). Ask a workspace "
        "owner or admin to change your role.",
        f"あなたのロール({role})ではこの操作はできません(「{permission}」には {holders} が"
        "必要です)。ワークスペースのオーナーか管理者にロールの変更を依頼してください。",
        permission=permission,
        role=role,
    )


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, checked against the table; InvalidInput naming an unknown one."""
    chosen = sorted(set(scopes))
    table = permission_table()
    unknown = [s for s in chosen if s not in table]
    if unknown:
        raise InvalidInput(
            f"Unknown scope(s): {', '.join(unknown)}. Use permission names such as "
            f"{', '.join(sorted(table)[:4])} (`kizuna users permissions` lists them).",
            f"不明なスコープ: {', '.join(unknown)}。権限名(`kizuna users permissions` で一覧)を"
            "指定してください。",
            unknown=unknown,
        )
    return chosen
