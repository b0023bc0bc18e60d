"""`kizuna text`: analyse text from the command line (no database needed).

    kizuna text analyze "朝食はとても美味しかったが、部屋が狭くて残念でした。" --format table
    kizuna text analyze - < comments.txt --format json     (one text per line)
    kizuna text topics                                      (the built-in taxonomy)

    kizuna text train --workspace acme --sentences labelled.csv
                                  (a model is adopted only on sentence-level evidence)

Training on a workspace's feedback and background re-analysis are wired by the lead on
top of `kizuna.analytics.text` (PolarityClassifier, weak_labels).

Only Typer is imported with this module (the root command imports it to list `text`); each
command imports what it uses, so `kizuna text analyze` costs the text engine's own start-up
(SudachiPy, the lexicons) and never pandas, scikit-learn or the database.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kizuna.errors import InvalidInput

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

__all__ = ["app"]

app = typer.Typer(help="Text analytics: analyze, topics. / テキスト分析", no_args_is_help=True)


class OutputFormat(StrEnum):
    json = "json"
    table = "table"


class Tier(StrEnum):
    fast = "fast"
    accurate = "accurate"


_COLOURS = {"positive": "green", "negative": "red", "mixed": "yellow", "neutral": "white"}


def _read_texts(texts: list[str]) -> list[str]:
    if texts == ["-"]:
        return [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise InvalidInput(
            'Give the text to analyse, e.g. kizuna text analyze "部屋が綺麗でした", or - to read lines from stdin.',
            '分析するテキストを指定してください(例: kizuna text analyze "部屋が綺麗でした")。'
            "標準入力から読むときは - を指定します。",
        )
    return texts


def _highlight(text: str, cues: list[dict[str, Any]]) -> Text:
    """The original text with sentiment cues coloured, using the cues' offsets."""
    from rich.text import Text

    rich_text = Text(text)
    for cue in cues:
        if cue["kind"] == "sentiment":
            rich_text.stylize(f"bold {_COLOURS[cue['label']]}", cue["start"], cue["end"])
        elif cue["kind"] in ("delight", "request"):
            rich_text.stylize("underline", cue["start"], cue["end"])
    return rich_text


def _print_table(texts: list[str], rows: list[dict[str, Any]], console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    for text, row in zip(texts, rows, strict=True):
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        table.add_row("text", _highlight(text, row["cues"]))
        sentiment = row["sentiment"] or "- (not analysed)"
        score = "" if row["sentiment_score"] is None else f" ({row['sentiment_score']:+.2f})"
        colour = _COLOURS.get(row["sentiment"] or "", "white")
        table.add_row("language", row["language"])
        table.add_row("sentiment", Text(sentiment + score, style=colour))
        delight = "-" if row["delight"] is None else f"{row['delight']:.2f}"
        table.add_row("delight", f"{delight}  expectation: {row['expectation']}")
        emotions = ", ".join(
            f"{name} {value:.2f}" for name, value in row["emotions"].items() if value > 0
        )
        table.add_row("emotions", emotions or "-")
        topics = ", ".join(
            f"{t['topic']} {t['sentiment']} ({t['score']:+.2f})" for t in row["topics"]
        )
        table.add_row("topics", topics or "-")
        table.add_row("experience", ", ".join(row["experience_values"]) or "-")
        cues = "; ".join(
            f"{c['kind']}:{c['label']} 「{c['text']}」[{c['start']}:{c['end']}]"
            for c in row["cues"]
        )
        table.add_row("cues", cues or "-")
        if row["truncated"]:
            table.add_row("truncated", "yes: only the start of the text was analysed")
        console.print(table)
        console.print()


@app.command("analyze")
def analyze_command(
    texts: Annotated[
        list[str], typer.Argument(help="Texts to analyse; - reads one per line from stdin.")
    ],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="json or table.")
    ] = OutputFormat.table,
    topics_file: Annotated[
        Path | None,
        typer.Option("--topics", help="Extra topics YAML (same shape as the built-in one)."),
    ] = None,
    tier: Annotated[
        Tier,
        typer.Option(
            "--tier",
            envvar="KIZUNA_TEXT_TIER",
            help="fast (the rules) or accurate (the rules plus the shipped learned model).",
        ),
    ] = Tier.fast,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            envvar="KIZUNA_TEXT_ACCURATE_MODEL",
            help="A local accurate-tier model (.npz) instead of the shipped one.",
        ),
    ] = None,
) -> None:
    """Analyse texts: sentiment, emotions, delight, topics, cues. / テキストを分析します。"""
    from kizuna.analytics.text.analyzer import Analyzer
    from kizuna.analytics.text.engine import ENGINE_VERSION

    items = _read_texts(texts)
    version = ENGINE_VERSION
    analyzer = Analyzer(extra_topics=topics_file)
    if tier is Tier.accurate:
        from kizuna.analytics.text.accurate import accurate_version, load_accurate_model
        from kizuna.analytics.text.classifier import PolarityClassifier

        path = str(model) if model is not None and str(model) else None
        classifier = PolarityClassifier.from_bytes(load_accurate_model(path))
        analyzer = Analyzer(extra_topics=topics_file, classifier=classifier)
        version = f"{ENGINE_VERSION}+{accurate_version(path)}"
    # Rows straight from the engine: the same values as `Analyzer.analyze`'s frame, with
    # None where the frame has NaN, and no pandas to import for one line of text.
    rows = analyzer.analyze_rows(items)
    if output is OutputFormat.json:
        payload = [{"text": text, **row} for text, row in zip(items, rows, strict=True)]
        typer.echo(
            json.dumps(
                {"engine_version": version, "results": payload}, ensure_ascii=False, indent=2
            )
        )
        return
    from rich.console import Console

    _print_table(items, rows, Console())


@app.command("topics")
def topics_command(
    topics_file: Annotated[
        Path | None, typer.Option("--topics", help="Extra topics YAML to merge in.")
    ] = None,
) -> None:
    """List the topic taxonomy. / トピック分類を表示します。"""
    from rich.console import Console
    from rich.table import Table

    from kizuna.analytics.text.topics import list_topics

    frame = list_topics(topics_file)
    table = Table("topic", "日本語", "English", "domains", "terms ja/en")
    for row in frame.itertuples(index=False):
        table.add_row(
            str(row.topic),
            str(row.name_ja),
            str(row.name_en),
            ", ".join(str(domain) for domain in row.domains),  # type: ignore[union-attr]
            f"{row.terms_ja}/{row.terms_en}",
        )
    Console().print(table)


@app.command("reanalyze")
def reanalyze_command(
    workspace: Annotated[str, typer.Option(help="Workspace slug.")],
) -> None:
    """Analyse every feedback of a workspace again. / 全フィードバックを再分析します。"""
    from rich.console import Console
    from rich.progress import Progress

    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.text.service import active_engine, reanalyze_workspace

    with build_app() as kz:
        with kz.session() as session:
            ws = kz.workspace(session, workspace)
            _, version = active_engine(
                session, ws.id, kz.settings.text_tier, kz.settings.text_accurate_model
            )
        with Progress(transient=True) as bar:
            task = bar.add_task(f"analysing ({version})", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            count = reanalyze_workspace(kz, ws, progress=advance, actor=cli_actor())
        Console().print(f"analysed {count} feedback with {version}")


def _read_sentences(path: Path) -> list[tuple[str, str]]:
    """(sentence, label) pairs from a CSV or TSV file with the columns text and label."""
    import csv

    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Cannot read {path} ({exc}). Give a UTF-8 CSV or TSV file with columns text,label.",
            f"{path} を読めません({exc})。text,label 列のある UTF-8 の CSV か TSV を指定してください。",
        ) from None
    dialect = "excel-tab" if "\t" in content.splitlines()[0] else "excel"
    rows = list(csv.DictReader(content.splitlines(), dialect=dialect))
    if not rows or not {"text", "label"} <= set(rows[0]):
        raise InvalidInput(
            f"{path} needs a header with the columns text and label "
            "(label: positive, neutral or negative, one sentence per row).",
            f"{path} には text と label の列見出しが必要です"
            "(label は positive・neutral・negative、1 行に 1 文)。",
        )
    return [(row["text"], row["label"]) for row in rows if (row["text"] or "").strip()]


@app.command("train")
def train_command(
    workspace: Annotated[str, typer.Option(help="Workspace slug.")],
    folds: Annotated[int, typer.Option(min=2, max=10, help="Cross-validation folds.")] = 5,
    sentences: Annotated[
        Path | None,
        typer.Option(
            help="CSV/TSV of sentences your team labelled (columns text,label: positive, "
            "neutral, negative). A model is adopted only if it beats the built-in engine "
            "on them too."
        ),
    ] = None,
) -> None:
    """Train a polarity model on the workspace's scored feedback. / 自社データで学習します。"""
    from rich.console import Console

    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.text.service import train_workspace_model

    evidence = _read_sentences(sentences) if sentences is not None else None
    with build_app() as kz:
        with kz.session() as session:
            ws = kz.workspace(session, workspace)
        report = train_workspace_model(kz, ws, folds=folds, actor=cli_actor(), sentences=evidence)
        console = Console()
        console.print(f"labelled texts: {report.n_texts} {report.labels}")
        console.print(f"built-in engine macro-F1: {report.baseline_macro_f1:.3f}")
        console.print(
            f"trained model {report.version} macro-F1 ({folds}-fold CV): "
            f"{report.macro_f1:.3f} ± {report.macro_f1_std:.3f}"
        )
        if report.sentence_macro_f1 is not None and report.sentence_baseline_macro_f1 is not None:
            console.print(
                f"on {report.sentence_texts} labelled sentences: trained "
                f"{report.sentence_macro_f1:.3f}, built-in {report.sentence_baseline_macro_f1:.3f}"
            )
        if report.adopted:
            console.print(
                f"[green]adopted[/]: {workspace} now uses {report.version} ({report.reason}); "
                f"run `kizuna text reanalyze --workspace {workspace}`"
            )
        else:
            console.print(f"[yellow]not adopted[/]: the built-in engine stays ({report.reason})")


@app.command("models")
def models_command(workspace: Annotated[str, typer.Option(help="Workspace slug.")]) -> None:
    """The workspace's trained models and which engine is in use. / 学習済みモデルの一覧"""
    from rich.console import Console

    from kizuna.analytics.text.engine import ENGINE_VERSION
    from kizuna.command import build_app
    from kizuna.text.service import list_models

    console = Console()
    with build_app() as kz, kz.session() as session:
        found = list_models(session, kz.workspace(session, workspace).id)
        active = next((m.version for m in found if m.active), None)
        console.print(f"in use: {active or 'built-in ' + ENGINE_VERSION}")
        for m in found:
            state = "IN USE" if m.active else ""
            console.print(
                f"{m.version}\t{m.trained_at:%Y-%m-%d %H:%M}\t{m.n_texts} comments\t"
                f"macro-F1 {m.macro_f1:.3f} (built-in {m.baseline_macro_f1:.3f})\t{state}"
            )


@app.command("model-off")
def model_off_command(workspace: Annotated[str, typer.Option(help="Workspace slug.")]) -> None:
    """Analyse new voices with the built-in engine again. / 組み込みエンジンに戻します"""
    from rich.console import Console

    from kizuna.accounts.audit import cli_actor
    from kizuna.command import build_app
    from kizuna.text.service import switch_off_model

    with build_app() as kz, kz.session() as session:
        ws = kz.workspace(session, workspace)
        stopped = switch_off_model(session, ws, cli_actor())
    Console().print(
        f"{stopped.version} switched off: the built-in engine reads new voices"
        if stopped
        else "no model was in use: the built-in engine reads every voice"
    )
