"""The ``storyline`` command: parses arguments, calls the library, prints results.

Exit codes: 0 everything went in; 1 an error stopped the command; 2 bad usage;
3 the command finished but some records were quarantined (see ``storyline quarantine``).
"""

from __future__ import annotations

import json
import logging
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from . import __version__
from .errors import StorylineError
from .models import IngestStats, to_dict
from .settings import Settings

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_QUARANTINED = 3

app = typer.Typer(
    name="storyline",
    help="Turn a pile or a stream of news articles into stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console(soft_wrap=True)

DbOption = Annotated[Path, typer.Option("--db", help="SQLite store file.", envvar="STORYLINE_DB")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DEFAULT_DB = Path("storyline.db")


def sample_corpus() -> Path:
    """The folder of the built-in sample corpus shipped with the package."""
    return Path(str(resources.files("storyline") / "sample"))


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_dict(value), ensure_ascii=False, indent=2) + "\n")


def _open(db: Path) -> Any:
    from .store import open_store

    return open_store(db)


def _ingest(
    paths: list[str], db: Path, settings: Settings, *, quiet: bool = False
) -> tuple[IngestStats, list[str]]:
    from .pipeline import ingest

    with (
        _open(db) as store,
        Progress(
            SpinnerColumn(),
            TextColumn("[bold]ingest[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("records · {task.fields[origin]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=quiet,
        ) as progress,
    ):
        task = progress.add_task("ingest", total=None, origin="")

        def on_record(stats: IngestStats, origin: str) -> None:
            progress.update(task, completed=stats.read, origin=Path(origin).name[-40:])

        stats, new_ids = ingest(paths, store, settings=settings, on_record=on_record)
    return stats, new_ids


def _summary(stats: IngestStats, db: Path) -> None:
    table = Table(title=f"ingest into {db}", show_header=True)
    for col in ("files", "read", "stored", "duplicates", "quarantined"):
        table.add_column(col, justify="right")
    table.add_row(*(str(getattr(stats, c)) for c in ("files", "read", "stored", "duplicates", "quarantined")))
    console.print(table)
    if stats.quarantined:
        console.print(
            f"[yellow]{stats.quarantined} record(s) quarantined[/]: see `storyline quarantine --db {db}`"
        )


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, globs, or - for stdin.")],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Read, clean and store articles; bad records go to quarantine."""
    stats, _ = _ingest(paths, db, Settings(), quiet=json_out)
    if json_out:
        _print_json(stats)
    else:
        _summary(stats, db)
    raise typer.Exit(EXIT_QUARANTINED if stats.quarantined else EXIT_OK)


@app.command()
def articles(db: DbOption = DEFAULT_DB, json_out: JsonOption = False) -> None:
    """List the stored articles."""
    with _open(db) as store:
        if json_out:
            sys.stdout.write("[")
            for n, article in enumerate(store.iter_articles()):
                row = to_dict(article)
                row["title"] = article.title or article.headline
                sys.stdout.write(("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False))
            sys.stdout.write("\n]\n")
            return
        table = Table(title=f"articles in {db}")
        for col in ("id", "published", "lang", "source", "title"):
            table.add_column(col, overflow="fold")
        for article in store.iter_articles():
            table.add_row(
                article.id, article.published or "", article.language, article.source, article.headline
            )
        out.print(table)


@app.command()
def quarantine(db: DbOption = DEFAULT_DB, json_out: JsonOption = False) -> None:
    """List the records that were rejected, with file, position and reason."""
    with _open(db) as store:
        rows = [
            {"source": q.origin, "position": q.position, "reason": q.reason} for q in store.iter_quarantine()
        ]
    if json_out:
        _print_json(rows)
        return
    table = Table(title=f"quarantine of {db}")
    for col in ("source", "position", "reason"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(row["source"], row["position"], row["reason"])
    out.print(table)


@app.command()
def run(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Sources; default: the built-in sample corpus.")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The main job: ingest, then every later stage, then a summary."""
    sources = paths or [str(sample_corpus())]
    stats, _ = _ingest(sources, db, Settings())
    _summary(stats, db)
    raise typer.Exit(EXIT_QUARANTINED if stats.quarantined else EXIT_OK)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each quarantined record.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit(EXIT_OK)
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def main() -> None:
    """Entry point: runs the app; a storyline error prints one clear line, never a traceback."""
    try:
        app()
    except StorylineError as exc:
        console.print(f"[red]error:[/] {exc}")
        sys.exit(EXIT_ERROR)
