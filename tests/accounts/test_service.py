from __future__ import annotations

import pytest
from sqlalchemy import select

from kizuna import Kizuna
from kizuna.accounts.models import ApiKey
from kizuna.accounts.service import authenticate_api_key, authenticate_user, create_workspace
from kizuna.errors import AuthenticationFailed, Conflict, InvalidInput


def test_api_key_is_stored_hashed_and_authenticates_to_its_workspace(kz: Kizuna, ws) -> None:
    with kz.session() as session:
        stored = session.scalars(
            select(ApiKey.key_hash).where(ApiKey.workspace_id == ws.workspace.id)
        ).all()
        assert ws.api_key not in stored
        found, _ = authenticate_api_key(session, ws.api_key)
        assert found.slug == ws.slug


def test_wrong_key_and_wrong_password_are_refused_with_next_step(kz: Kizuna, ws) -> None:
    with kz.session() as session:
        with pytest.raises(AuthenticationFailed) as err:
            authenticate_api_key(session, ws.api_key + "x")
        assert "X-API-Key" in err.value.message("en")
        with pytest.raises(AuthenticationFailed):
            authenticate_user(session, ws.admin_email, "wrong")
        assert (
            authenticate_user(session, ws.admin_email.upper(), "correct horse battery").email
            == ws.admin_email
        )


def test_bad_and_duplicate_slugs_are_refused(kz: Kizuna, ws) -> None:
    with kz.session() as session:
        with pytest.raises(InvalidInput) as err:
            create_workspace(session, "Bad Slug!")
        assert "半角英小文字" in err.value.message("ja")
        with pytest.raises(Conflict):
            create_workspace(session, ws.slug)
