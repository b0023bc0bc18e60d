"""Topic names as a workspace sees them, for pages that show stored topic keys.

`label("topic", key)` of the vocabulary names the built-in taxonomy only; a workspace's
renames and its own topics live in its changes. `workspace_label` gives a page's `label`
that names topics the workspace's way and every other code as the vocabulary does:

    context["label"] = workspace_label(session, member.workspace, lang)
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from kizuna.accounts.models import Workspace
from kizuna.i18n.vocabulary import label
from kizuna.topics.service import topic_names

__all__ = ["workspace_label"]


def workspace_label(
    session: Session, workspace: Workspace | int, language: str
) -> Callable[[str, object], str]:
    """`label(kind, code)` with the workspace's topic names (see the module notes)."""
    names = topic_names(session, workspace, language)

    def named(kind: str, code: object) -> str:
        if kind == "topic" and str(code) in names:
            return names[str(code)]
        return label(kind, code, language)

    return named
