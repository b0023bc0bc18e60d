"""Read a YAML file a person wrote (rules, thresholds): every failure is a clear error.

Pure: a path in, plain data out. A missing file, a file that is not UTF-8 and a YAML
syntax error each become `InvalidInput` saying which file and what to do, instead of an
OSError or a parser traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kizuna.errors import InvalidInput

__all__ = ["read_yaml_file"]


def read_yaml_file(path: str | Path, what: str, what_ja: str) -> Any:
    """The data of a YAML file; `what`/`what_ja` name the file's role in messages."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInput(
            f"Cannot read the {what} file {path} ({reason}). Check the path and try again.",
            f"{what_ja}のファイル {path} を読めません({reason})。パスを確認してください。",
            path=str(path),
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput(
            f"The {what} file {path} is not UTF-8 text. Save it as UTF-8 and try again.",
            f"{what_ja}のファイル {path} がUTF-8のテキストではありません。UTF-8で保存し直してください。",
            path=str(path),
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"The {what} file {path} is not valid YAML ({exc}). Fix the file and try again.",
            f"{what_ja}のファイル {path} のYAMLの書き方に誤りがあります({exc})。"
            "ファイルを直してからもう一度実行してください。",
            path=str(path),
        ) from None
