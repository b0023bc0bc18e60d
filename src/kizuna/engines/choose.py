"""Pick an engine by the name a person gives (`--engine`, an API parameter).

Names: operational, parquet (also duckdb: DuckDB over the export) and spark. The export
engines need the export's folder. Choosing imports nothing optional: Spark's packages are
looked for only when its engine opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from kizuna.engines.base import Engine, EngineKind
from kizuna.engines.local import OperationalEngine, ParquetEngine
from kizuna.engines.spark import SparkEngine
from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    from kizuna.app import Kizuna

__all__ = ["ENGINE_NAMES", "EXPORT_ENGINES", "EngineName", "engine_kind", "pick_engine"]

EngineName = Literal["operational", "parquet", "duckdb", "spark"]
ENGINE_NAMES: tuple[EngineName, ...] = get_args(EngineName)
# Engines that read a `kizuna export` folder rather than the operational database.
EXPORT_ENGINES: tuple[EngineName, ...] = ("parquet", "duckdb", "spark")
_KINDS: dict[str, EngineKind] = {
    "operational": "operational",
    "parquet": "parquet",
    "duckdb": "parquet",
    "spark": "spark",
}


def engine_kind(name: str) -> EngineKind:
    """The engine's own name for `name` (duckdb -> parquet); InvalidInput when unknown."""
    kind = _KINDS.get(name)
    if kind is None:
        listed = ", ".join(ENGINE_NAMES)
        raise InvalidInput(
            f"Unknown engine '{name}'. Choose one of: {listed}.",
            f"エンジン「{name}」は使えません。次から選んでください: {listed}",
            given=name,
            valid=list(ENGINE_NAMES),
        )
    return kind


def pick_engine(name: str, *, kz: Kizuna, parquet_dir: Path | None = None) -> Engine:
    """The engine called `name`, over `kz`'s database or the export in `parquet_dir`."""
    kind = engine_kind(name)
    if kind == "operational":
        return OperationalEngine(kz)
    if parquet_dir is None:
        raise InvalidInput(
            f"The {name} engine reads a Kizuna export: pass --parquet DIR "
            "(made by `kizuna export --workspace SLUG --to DIR`).",
            f"{name} エンジンはエクスポートを読みます。--parquet DIR を指定してください"
            "（`kizuna export --workspace SLUG --to DIR` で作成）。",
        )
    if kind == "spark":
        return SparkEngine(parquet_dir, master=kz.settings.spark_master)
    return ParquetEngine(parquet_dir)
