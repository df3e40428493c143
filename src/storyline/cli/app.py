"""The ``storyline`` command: parses arguments, calls the library, prints results.

Exit codes: 0 everything went in; 1 an error stopped the command; 2 bad usage;
3 the command finished but some records were quarantined (see ``storyline quarantine``)."""

from __future__ import annotations

import json
import logging
import os
import re
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
from rich.text import Text

from .. import __version__
from ..errors import StorylineError
from ..models import to_dict
from ..report.terminal import SafeConsole, cell, clip
from ..settings import Settings
from ..store.base import Store

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_QUARANTINED = 3


def _help_type(param: Any, ctx: Any, shown: Any) -> str | None:
    """The type column of ``--help`` as a reader needs it: nothing for a flag (typer 0.29 prints
    ``<bool>`` beside ``--json``, ``--help``, …, as if they took a value), ``<str>…`` for several
    values instead of the Python ``<list[str]>``."""
    if getattr(param, "is_flag", False) and param.metavar is None:
        return None
    label = shown(param, ctx)
    if not isinstance(label, str):
        return None
    # an argument without a metavar is already named "paths..."
    named_many = param.param_type_name == "argument" and param.metavar is None
    return re.sub(r"^<list\[(\w+)\]>$", r"<\1>" if named_many else r"<\1>…", label)


def _readable_help_types() -> None:
    from functools import partialmethod

    from typer import core

    for cls in (core.TyperOption, core.TyperArgument):
        shown = cls.display_type_rich
        cls.display_type_rich = partialmethod(_help_type, shown=shown)  # type: ignore[method-assign,assignment]


_readable_help_types()

app = typer.Typer(
    name="storyline",
    help="Turn a pile or a stream of news articles into stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # a docstring's lines flow into one paragraph
)
# Off a terminal (pipes, CI logs) rich would assume 80 columns and fold every table.
_WIDTH = None if sys.stdout.isatty() else 150
# Article text may hold terminal escape sequences: both consoles show them as symbols.
console: Console = SafeConsole(stderr=True, width=None if sys.stderr.isatty() else 150)
out: Console = SafeConsole(width=_WIDTH)

DEFAULT_DB = Path("storyline.db")

#: what the config file and the STORYLINE_* variables set, loaded afresh by each invocation
_CONFIG: dict[str, Any] = {}


def _resolve_db(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """--db, else $STORYLINE_DB, else the config file's ``db``, else storyline.db."""
    source = ctx.get_parameter_source(param.name) if param.name else None
    if getattr(source, "name", "") == "DEFAULT" and _CONFIG.get("db"):
        return Path(_CONFIG["db"])
    return value


def _settings(**overrides: Any) -> Settings:
    """The settings: the command line's ``overrides`` over the environment over the config file."""
    from ..config import make_settings

    return make_settings(_CONFIG, **overrides)


DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        help="SQLite store file (default: $STORYLINE_DB, the config file's db, or storyline.db).",
        callback=_resolve_db,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def sample_corpus() -> Path:
    """The built-in sample corpus shipped with the package (JSONL that doubles as its gold file)."""
    return Path(str(resources.files("storyline") / "sample" / "corpus.jsonl"))


# json.dumps escapes C0 controls but writes DEL and C1 controls (a terminal may obey CSI, U+009B) as
# they are: they are escaped too, so JSON on a terminal is as safe as a table.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _json_text(value: Any, *, indent: int | None = None) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _print_json(value: Any) -> None:
    sys.stdout.write(_json_text(to_dict(value), indent=2) + "\n")


def _open(db: Path, *, existing: bool = False, read_only: bool | None = None) -> Store:
    """The store; with ``existing``, a missing store is an error (opening it would create it).
    ``read_only`` (default: as ``existing``, the read commands) opens it for reading only."""
    from ..errors import NotFoundError, StoreError
    from ..store import open_store

    if existing and not db.exists():
        raise NotFoundError(f"the store {str(db)!r} does not exist: give --db, or run `storyline run` first")
    if db.is_dir():
        raise StoreError(f"the store {str(db)!r} is a folder: give --db a file (it is created if need be)")
    folder = db.parent
    if not existing and str(db) != ":memory:" and not folder.exists():  # a typo in --db shows here
        console.print(Text(f"creating the folder {str(folder)!r} for the store {db.name!r}"), soft_wrap=True)
    _OPENED.append(db)
    return open_store(db, read_only=existing if read_only is None else read_only)


#: the stores this invocation opened: an SQLite error no stage turned into a StoreError names the last
_OPENED: list[Path] = []


def _bar(stage: str, *columns: TextColumn, quiet: bool = False) -> Progress:
    """A transient progress bar on stderr: spinner, stage, bar, done of total, extra columns, time."""
    return Progress(
        SpinnerColumn(),
        TextColumn(f"[bold]{stage}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )


def _check_paths(paths: list[str]) -> None:
    """A path that names nothing (no file, no folder, a pattern matching nothing) stops the
    command before anything is read: a typo is named, not quarantined."""
    import glob

    from ..errors import InputError

    for path in paths:
        if path == "-" or os.path.exists(path):
            continue
        if glob.has_magic(path):
            if not glob.glob(path, recursive=True):
                raise InputError("the pattern matches no file; nothing was read", origin=path)
            continue
        raise InputError("no such file or folder; nothing was read", origin=path)


def _iso_day(value: str | None) -> str | None:
    """A --since/--until value: an ISO date (YYYY-MM-DD)."""
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: give YYYY-MM-DD") from None


SinceOption = Annotated[
    str | None,
    typer.Option("--since", callback=_iso_day, metavar="YYYY-MM-DD", help="Published on or after this day."),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", callback=_iso_day, metavar="YYYY-MM-DD", help="Published on or before this day."),
]
LangOption = Annotated[str | None, typer.Option("--lang", help="Only this language (ISO code, e.g. en).")]
SourceOption = Annotated[str | None, typer.Option("--source", help="Only this outlet (e.g. bbc.co.uk).")]
LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=0,
        show_default=False,
        help="At most this many rows (default: 100 in a table, all with --json; 0: all).",
    ),
]
OffsetOption = Annotated[int, typer.Option("--offset", min=0, help="Skip this many rows first.")]

#: rows a table shows when no --limit is given (--json gives every row)
TABLE_ROWS = 100


def _page(limit: int | None, json_out: bool) -> int | None:
    """The number of rows to show: --limit (0: all), else all for JSON and TABLE_ROWS for a table."""
    if limit is None:
        return None if json_out else TABLE_ROWS
    return limit or None


def _paging_note(shown: int, offset: int, total: int, command: str) -> None:
    """Say on stderr that a table shows only part of the rows, and how to see the rest."""
    if offset + shown < total:
        console.print(
            Text(
                f"rows {offset + 1 if shown else offset}-{offset + shown} of {total:,}: "
                f"--offset {offset + shown} for the next, --limit 0 for all ({command})"
            ),
            soft_wrap=True,
        )


PrecisionOption = Annotated[
    float | None,
    typer.Option(
        "--precision",
        min=0.0,
        max=1.0,
        show_default=False,
        help="0 joins and links generously (recall), 1 only when sure (precision) (default: "
        "$STORYLINE_PRECISION, the config file's precision, or 0.5).",
    ),
]


StoryArgument = Annotated[
    str, typer.Argument(help="Story id (or a unique prefix, or the id of a story it absorbed).")
]


def _count(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun, singular for one: "1 story", "3 stories"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _threads(store: Store) -> list[Any]:
    from ..stories.threads import stored_threads

    return stored_threads(store.list_stories(), store.thread_memberships(), store.merged_threads())


def _print_threads(threads: list[Any], *, limit: int | None = None) -> None:
    table = Table(title="threads (stories on one developing subject)")
    for col in ("thread", "stories", "first", "last", "title"):
        table.add_column(col, overflow="fold")
    shown = [t for t in threads if len(t.stories) > 1] if limit else threads
    if not shown:
        out.print("threads: no thread holds more than one story (each story is a thread of its own)")
        return
    for t in shown[:limit] if limit else shown:
        table.add_row(
            t.id,
            str(len(t.stories)),
            t.first_published or "",
            t.last_published or "",
            cell(clip(t.title, 90)),
        )
    out.print(table)


#: libraries that log a page they cannot parse as an ERROR ("parsed tree length: 0, wrong data type
#: or not valid HTML"): shown only with --verbose
QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "readability", "warcio")


def _print_version(value: bool) -> None:
    if value:
        out.print(__version__)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each quarantined record.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            dir_okay=False,
            show_default=False,
            help="Settings file, TOML (default: $STORYLINE_CONFIG, or ./storyline.toml when there is one).",
        ),
    ] = None,
) -> None:
    from ..config import load_config

    _CONFIG.clear()
    _CONFIG.update(load_config(config))
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    # what they report as errors is a record storyline quarantines anyway, with its reason
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.CRITICAL)


def main() -> None:
    """Entry point: runs the app; a storyline error prints one clear line, never a traceback."""
    import sqlite3

    try:
        app()
    except StorylineError as exc:
        console.print(Text("error:", style="red").append(f" {exc}", style="default"), soft_wrap=True)
        sys.exit(EXIT_ERROR)
    except sqlite3.Error as exc:  # a store failure no stage turned into a StoreError yet
        path = str(_OPENED[-1]) if _OPENED else "FILE"
        store = f"the store {path!r}" if _OPENED else "the store"
        from ..store.sqlite import describe_failure

        reason = describe_failure(exc, path)
        console.print(
            Text("error:", style="red").append(f" {store}: {reason}", style="default"), soft_wrap=True
        )
        sys.exit(EXIT_ERROR)
