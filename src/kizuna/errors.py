"""One error tree, shown one way.

    KizunaError                      code            HTTP
    ├── NotFound                     not_found       404
    │   └── WorkspaceNotFound        workspace_not_found
    ├── InvalidInput                 invalid_input   422
    │   ├── UnsupportedFile          unsupported_file
    │   └── InsufficientData         insufficient_data  (too little data to fit or test)
    ├── Conflict                     conflict        409
    ├── NotFittedError               not_fitted      409  (a model used before fit)
    ├── AuthenticationFailed         unauthenticated 401
    ├── PermissionDenied             forbidden       403
    ├── DependencyMissing            dependency_missing 500
    ├── SchemaOutdated               schema_outdated 503  (database behind the code's migrations)
    ├── EngineUnavailable            engine_unavailable 503  (Spark could not start)
    └── ImportInterrupted            import_interrupted 500  (kizuna.ingest.service)

Every error carries a message in Japanese and English and says what to do next. The web
layer renders `{"error": {"code", "message", "details"}}` or an HTML page; the CLI prints
the message, never a traceback.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthenticationFailed",
    "Conflict",
    "DependencyMissing",
    "EngineUnavailable",
    "InsufficientData",
    "InvalidInput",
    "KizunaError",
    "NotFittedError",
    "NotFound",
    "PermissionDenied",
    "SchemaOutdated",
    "UnsupportedFile",
    "WorkspaceNotFound",
]


class KizunaError(Exception):
    """Base of every error Kizuna shows to a person."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message_en: str, message_ja: str | None = None, **details: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_ja = message_ja or message_en
        self.details = details

    def message(self, language: str = "ja") -> str:
        return self.message_ja if language == "ja" else self.message_en

    def to_dict(self, language: str = "ja") -> dict[str, Any]:
        return {
            "error": {"code": self.code, "message": self.message(language), "details": self.details}
        }


class NotFound(KizunaError):
    code = "not_found"
    status = 404


class WorkspaceNotFound(NotFound):
    code = "workspace_not_found"

    def __init__(self, slug: str) -> None:
        super().__init__(
            f"Workspace '{slug}' does not exist. List workspaces with `kizuna workspaces` "
            "or create one with `kizuna init`.",
            f"ワークスペース「{slug}」は存在しません。`kizuna workspaces` で一覧を確認するか、"
            "`kizuna init` で作成してください。",
            slug=slug,
        )


class InvalidInput(KizunaError):
    code = "invalid_input"
    status = 422


class UnsupportedFile(InvalidInput):
    code = "unsupported_file"


class InsufficientData(InvalidInput):
    """The data are valid but too few (or too alike) to fit, test or split a model on."""

    code = "insufficient_data"


class Conflict(KizunaError):
    code = "conflict"
    status = 409


class NotFittedError(KizunaError):
    """A model was asked for a prediction before `fit` was called."""

    code = "not_fitted"
    status = 409

    def __init__(self, model: str, call: str) -> None:
        super().__init__(
            f"This {model} is not fitted yet. Call {call} first, then ask again.",
            f"この {model} はまだ学習されていません。先に {call} を呼んでから、もう一度実行してください。",
            model=model,
        )


class AuthenticationFailed(KizunaError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(KizunaError):
    code = "forbidden"
    status = 403


class DependencyMissing(KizunaError):
    code = "dependency_missing"
    status = 500

    def __init__(self, package: str, extra: str) -> None:
        line = f"pip install 'kizuna[{extra}]'"
        super().__init__(
            f"This needs the optional package '{package}'. Install it with: {line}",
            f"この機能には追加パッケージ「{package}」が必要です。次のコマンドで入れてください: {line}",
            package=package,
        )


class SchemaOutdated(KizunaError):
    """The database's schema is not the one this version of Kizuna was built for."""

    code = "schema_outdated"
    status = 503


class EngineUnavailable(KizunaError):
    """An analytics engine (Spark) is installed but could not start or be reached."""

    code = "engine_unavailable"
    status = 503
