"""The ``storyline`` command: parses arguments, calls the library, prints results.

Exit codes: 0 everything went in; 1 an error stopped the command; 2 bad usage;
3 the command finished but some records were quarantined (see ``storyline quarantine``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable
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
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.status import Status
from rich.table import Table
from rich.text import Text

from . import __version__
from .errors import StorylineError
from .models import Article, IngestStats, Quarantined, Story, to_dict
from .pipeline import RunListener, RunResult
from .settings import Settings
from .terminal import SafeConsole, clip, print_ingest_summary, print_similarity, print_stories
from .types import Store
from .views import (
    article_row,
    copies_between,
    quarantine_row,
    show_story,
    story_row,
)
from .views import comparison as comparison_view

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
    from .config import make_settings

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
    from .errors import NotFoundError
    from .store import open_store

    if existing and not db.exists():
        raise NotFoundError(f"the store {str(db)!r} does not exist: give --db, or run `storyline run` first")
    return open_store(db, read_only=existing if read_only is None else read_only)


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

    from .errors import InputError

    for path in paths:
        if path == "-" or os.path.exists(path):
            continue
        if glob.has_magic(path):
            if not glob.glob(path, recursive=True):
                raise InputError("the pattern matches no file; nothing was read", origin=path)
            continue
        raise InputError("no such file or folder; nothing was read", origin=path)


def _ingest(
    paths: list[str],
    db: Path,
    settings: Settings,
    *,
    quiet: bool = False,
    exclude: list[str | os.PathLike[str]] | None = None,
) -> tuple[IngestStats, list[str]]:
    """Ingest ``paths`` into ``db``; the store's own files (and ``exclude``) are never read."""
    from .ingest import store_files
    from .pipeline import ingest

    _check_paths(paths)
    skip: list[str | os.PathLike[str]] = [*store_files(db), *(exclude or [])]
    with (
        _open(db) as store,
        _bar("ingest", TextColumn("records · {task.fields[origin]}"), quiet=quiet) as progress,
    ):
        task = progress.add_task("ingest", total=None, origin="")

        def on_record(stats: IngestStats, origin: str) -> None:
            progress.update(task, completed=stats.read, origin=Path(origin).name[-40:])

        stats, new_ids = ingest(paths, store, settings=settings, on_record=on_record, exclude=skip)
    return stats, new_ids


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, globs, or - for stdin.")],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Read, clean and store articles; bad records go to quarantine."""
    stats, _ = _ingest(paths, db, _settings(), quiet=json_out)
    if json_out:
        _print_json(stats)
    else:
        print_ingest_summary(console, stats, db)
    raise typer.Exit(EXIT_QUARANTINED if stats.quarantined else EXIT_OK)


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


@app.command()
def articles(
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    lang: LangOption = None,
    source: SourceOption = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
) -> None:
    """List the stored articles, in storing order (filters: --since --until --lang --source)."""
    if json_out:  # streamed: memory stays flat on a large store
        with _open(db, existing=True) as store:
            sys.stdout.write("[")
            rows = store.iter_found(since, until, lang, source, limit=_page(limit, json_out), offset=offset)
            for n, article in enumerate(rows):
                sys.stdout.write(("," if n else "") + "\n" + _json_text(article_row(article)))
            sys.stdout.write("\n]\n")
        return
    with _open(db, existing=True) as store:
        found, total = store.find_articles(
            since=since,
            until=until,
            language=lang,
            source=source,
            limit=_page(limit, json_out),
            offset=offset,
        )
    table = Table(title=f"articles in {db}")
    for col in ("id", "published", "lang", "source", "title"):
        table.add_column(col, overflow="fold")
    for article in found:
        table.add_row(
            article.id,
            article.published or "",
            Text(article.language),
            Text(article.source),  # article content is never Rich markup
            Text(article.headline),
        )
    out.print(table)
    _paging_note(len(found), offset, total, "articles")


@app.command()
def quarantine(
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Only records of files whose path contains this.")
    ] = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    clear: Annotated[
        bool, typer.Option("--clear", help="Forget the listed records (all, or those of --source).")
    ] = False,
) -> None:
    """List the records that were rejected, with file, position and reason (or --clear them)."""
    if clear:
        with _open(db, existing=True, read_only=False) as store:
            gone = store.clear_quarantine(origin=source)
        if json_out:
            _print_json({"cleared": gone})
        else:
            console.print(Text(f"{gone} quarantined record(s) cleared from {db}"))
        return
    with _open(db, existing=True) as store:
        found, total = store.find_quarantine(origin=source, limit=_page(limit, json_out), offset=offset)
    rows = [quarantine_row(q) for q in found]
    if json_out:
        _print_json(rows)
        return
    if not total:
        console.print(
            Text(f"nothing quarantined in {db}" + (f" from files matching {source!r}" if source else ""))
        )
        return
    table = Table(title=f"quarantine of {db}")
    for col in ("source", "position", "reason"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(Text(row["source"]), Text(row["position"]), Text(row["reason"]))
    out.print(table)
    _paging_note(len(rows), offset, total, "quarantine")


@app.command()
def boilerplate(
    db: DbOption = DEFAULT_DB,
    site: Annotated[
        str | None,
        typer.Option("--site", help="Only this site (as in the articles' source); '' for corpus-wide."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many entries.")] = 200,
    json_out: JsonOption = False,
) -> None:
    """List the boilerplate learned so far: per site (and corpus-wide), the recurring sentences with counts."""
    from .boilerplate import known

    with _open(db, existing=True) as store:
        rows = known(store, site=site, limit=limit)
    if json_out:
        _print_json(rows)
        return
    table = Table(
        title=f"learned boilerplate in {db}"
        + (f" (site {site or 'corpus-wide'})" if site is not None else "")
    )
    for col, justify in (
        ("scope", "left"),
        ("kind", "left"),
        ("articles", "right"),
        ("unrelated", "right"),
        ("text", "left"),
    ):
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]

    def printable(value: object) -> str:
        return "".join(ch if ch.isprintable() else " " for ch in str(value))

    for row in rows:
        shown = printable(row["text"])
        table.add_row(
            Text(printable(row["scope"])),
            str(row["kind"]),
            str(row["articles"]),
            str(row["unrelated"]),
            Text(clip(shown, 160)),
        )
    out.print(table)
    if not rows:
        console.print("nothing recurring learned yet" + (f" for {site!r}" if site else ""))


def _count(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun, singular for one: "1 story", "3 stories"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _threads(store: Store) -> list[Any]:
    from .threads import stored_threads

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
            Text(clip(t.title, 90)),
        )
    out.print(table)


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


def filter_stories(
    found: list[Story],
    *,
    since: str | None = None,
    until: str | None = None,
    lang: str | None = None,
    source: str | None = None,
    min_size: int = 1,
) -> list[Story]:
    """The stories that pass the filters: a time span that meets [since, until] (undated stories
    fail a date filter), a member in language ``lang``, one from outlet ``source``, at least
    ``min_size`` members."""

    def keep(story: Story) -> bool:
        if len(story.article_ids) < min_size:
            return False
        if (since or until) and not story.first_published:
            return False
        if since and (story.last_published or "") < since:
            return False
        if until and (story.first_published or "") > until:
            return False
        if lang and lang.lower() not in {x.lower() for x in story.languages}:
            return False
        return not source or source.lower() in {x.lower() for x in story.sources}

    return [s for s in found if keep(s)]


@app.command()
def stories(
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
    lang: LangOption = None,
    source: SourceOption = None,
    min_size: Annotated[
        int, typer.Option("--min-size", min=1, help="Only stories of this many articles or more.")
    ] = 1,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
) -> None:
    """List the stories, largest first: title, size, outlets, languages, time span."""
    with _open(db, existing=True) as store:
        found = filter_stories(
            store.list_stories(), since=since, until=until, lang=lang, source=source, min_size=min_size
        )
        ungrouped = len(store.unassigned_ids())
        thread_of = {s: t.id for t in _threads(store) for s in t.stories}
    rows = _page(limit, json_out)
    page = found[offset : None if rows is None else offset + rows]
    if json_out:
        _print_json([story_row(s) | {"thread": thread_of.get(s.id)} for s in page])
    else:
        print_stories(out, page, db)
        _paging_note(len(page), offset, len(found), "stories")
    if ungrouped:
        console.print(
            Text(
                f"note: {ungrouped} stored article(s) are in no story yet: `storyline run --db {db}` groups them"
            )
        )


@app.command()
def threads(
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
    min_size: Annotated[
        int, typer.Option("--min-size", min=1, help="Only threads of this many stories or more.")
    ] = 1,
) -> None:
    """List the threads: chains of stories on one developing subject, with their time span."""
    with _open(db, existing=True) as store:
        found = [t for t in _threads(store) if len(t.stories) >= min_size]
        rows = store.thread_memberships()
    if json_out:
        _print_json(
            [
                t.to_dict()
                | {"links": [{"story": s, **(rows[s][2] if s in rows else {})} for s in t.stories]}
                for t in found
            ]
        )
    elif not found:
        out.print(f"threads: none of {min_size} stories or more")
    else:
        _print_threads(found)


StoryArgument = Annotated[
    str, typer.Argument(help="Story id (or a unique prefix, or the id of a story it absorbed).")
]


@app.command()
def show(
    story: StoryArgument,
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """One story: its members with the evidence that put them there, its copy links, its history."""
    with _open(db, existing=True) as store:
        row = show_story(store, story)
    if json_out:
        _print_json(row)
        return
    out.print(Text(row["title"], style="bold").append(f"  ({row['id']})", style="not bold"))
    thread = row.get("thread")
    if thread:
        n = thread["stories"]
        line = Text(f"thread {thread['id']} ({n} {'story' if n == 1 else 'stories'}): ").append(
            thread["title"]
        )
        for label in ("previous", "next"):
            if thread[label]:
                line.append(f"\n  {label}: {thread[label]['id']} ").append(thread[label]["title"])
        out.print(line)
    table = Table(show_lines=False)
    for col in ("article", "published", "lang", "kind", "source", "score", "title"):
        table.add_column(col, overflow="fold")
    for m in row["members"]:
        table.add_row(
            m["article"],
            m["published"] or "",
            m["language"],
            m["kind"],
            Text(m["source"]),
            f"{m['score']:.2f}",
            Text(m["title"]),
        )
    out.print(table)
    if row["copies"]:
        copies = Table(title="copies")
        for col in ("copy", "original", "type", "score"):
            copies.add_column(col)
        for c in row["copies"]:
            copies.add_row(c["copy"], c["original"], c["type"], f"{c['score']:.2f}")
        out.print(copies)


eval_app = typer.Typer(help="Score storyline against gold data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("stories")
def eval_stories(
    gold: Annotated[
        Path, typer.Option("--gold", exists=True, dir_okay=False, help="Gold JSONL (ECB+ format).")
    ],
    json_out: JsonOption = False,
    precision: PrecisionOption = None,
    by_month: Annotated[
        bool, typer.Option("--by-month", help="Also score the articles of each publication month.")
    ] = False,
) -> None:
    """Cluster the gold file's articles from scratch, all together; print BCubed and pairwise P/R/F1
    (and of threads, when the gold rows have a ``thread`` field)."""
    from .evaluate import evaluate_stories

    scores = evaluate_stories(str(gold), settings=_settings(precision=precision), by_month=by_month)
    if json_out:
        _print_json(scores)
        return
    table = Table(
        title=f"stories vs {gold.name}: {scores['n_articles']} articles, {scores['n_stories']} gold stories, "
        f"{scores['n_predicted']} predicted"
    )
    for col in ("metric", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    for metric in ("bcubed", "pairwise"):
        m = scores[metric]
        table.add_row(metric, f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}")  # type: ignore[index]
    threads: Any = scores.get("threads")
    if threads:
        for metric in ("bcubed", "pairwise"):
            m = threads[metric]
            table.add_row(f"threads {metric}", f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}")
    months: Any = scores.get("months", {})
    for month, ms in months.items():
        m = ms["bcubed"]
        table.add_row(
            f"{month} bcubed ({ms['n_articles']})", f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}"
        )
    out.print(table)


def _load_article(ref: str, db: Path) -> Article:
    """An article by store id (or unique prefix, or record id), or the first article of a file."""
    from .errors import InputError, NotFoundError
    from .ingest import read_paths
    from .pipeline import prepare_record

    if Path(ref).is_file() or ref == "-":
        for record in read_paths([ref]):
            item = prepare_record(record)
            if isinstance(item, Quarantined):
                raise InputError(item.reason, origin=item.origin, position=item.position)
            return item
        raise InputError("no article in the file", origin=ref)
    if not db.exists():
        raise NotFoundError(
            f"{ref!r} is neither a file nor an article id: the store {str(db)!r} does not exist"
        )
    with _open(db, read_only=True) as store:
        return store.get_article(ref)


@app.command()
def similarity(
    a: Annotated[str, typer.Argument(help="Article id in the store, or a file.")],
    b: Annotated[str, typer.Argument(help="Article id in the store, or a file.")],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """How alike two articles are on the SemEval-2022 Task 8 dimensions (1 = very similar, 4 = very dissimilar)."""
    from .similarity import score_pair

    scores = score_pair(_load_article(a, db), _load_article(b, db))
    if json_out:
        _print_json(scores)
        return
    print_similarity(out, scores)
    for warning in scores.warnings:
        console.print(Text("warning:", style="yellow").append(f" {warning}", style="default"))


@app.command()
def compare(
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="ARTICLE",
            help="Two or more articles: store id (or a unique prefix, or the record's own id), or a file.",
        ),
    ],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Lay versions of one story side by side: shared facts, what only one says, conflicts, names, dates."""
    from .compare import compare_articles

    if len(refs) < 2:
        raise typer.BadParameter("give two or more articles to compare", param_hint="ARTICLE")
    versions = list({a.id: a for a in (_load_article(ref, db) for ref in refs)}.values())
    if len(versions) < 2:
        raise typer.BadParameter(
            f"{', '.join(refs)} are all one article ({versions[0].id}): give two different ones",
            param_hint="ARTICLE",
        )
    copies = []
    if db.exists():  # the copy links the store holds between these versions
        with _open(db, read_only=True) as store:
            copies = copies_between(store, (a.id for a in versions))
    with console.status("[bold]compare[/] aligning sentences, names and dates"):
        comparison = compare_articles(versions, copies=copies)
    if json_out:
        _print_json(comparison_view(comparison, versions))
    else:
        from .terminal import print_comparison

        print_comparison(out, comparison, versions)


def _write(what: str, target: Path, write: Callable[[], Path]) -> Path:
    """Run ``write``; a file that cannot be written is a storyline error naming it."""
    try:
        return write()
    except OSError as exc:
        raise StorylineError(f"cannot write the {what} to {str(target)!r}: {exc.strerror or exc}") from exc


@app.command()
def report(
    story: StoryArgument,
    db: DbOption = DEFAULT_DB,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="The HTML file (or a folder for it); default: reports/STORY.html."
        ),
    ] = None,
) -> None:
    """Write the self-contained HTML report of one story: its versions side by side."""
    from .report import MAX_VERSIONS, compare_story, story_filename, write_html_report

    with _open(db, existing=True) as store:
        found = store.get_story(story)
        with console.status(f"[bold]compare[/] {min(len(found.article_ids), MAX_VERSIONS)} version(s)"):
            articles, copies, comparison = compare_story(store, found)
    name = story_filename(found.id) + ".html"
    target = output or Path("reports") / name
    if target.is_dir():
        target /= name
    path = _write("report", target, lambda: write_html_report(found, articles, comparison, copies, target))
    if len(found.article_ids) > len(articles):
        console.print(f"[yellow]note:[/] the first {len(articles)} of {len(found.article_ids)} versions")
    out.print(Text(f"report of {found.id} ({len(articles)} version(s)): {path}"), soft_wrap=True)


@eval_app.command("similarity")
def eval_similarity(
    gold: Annotated[
        Path, typer.Option("--gold", exists=True, dir_okay=False, help="Gold CSV (STS22 format).")
    ],
    json_out: JsonOption = False,
) -> None:
    """Pearson r between predicted and gold scores, per dimension, over all pairs and per language pair."""
    from .evaluate import evaluate_similarity

    result = evaluate_similarity(gold)
    if json_out:
        _print_json(result)
        return
    by_dim: dict[str, dict[str, float | None]] = result["by_dimension"]
    groups = list(by_dim["overall"])
    table = Table(title=f"Pearson r vs {gold.name} ({result['n_pairs']} pairs)")
    table.add_column("dimension")
    for group in groups:
        table.add_column(group, justify="right")
    for dim, values in by_dim.items():
        table.add_row(dim, *("-" if values.get(g) is None else f"{values[g]:.3f}" for g in groups))
    out.print(table)


@app.command()
def run(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Sources to read first; none: group what the store holds."),
    ] = None,
    db: DbOption = DEFAULT_DB,
    sample: Annotated[
        bool, typer.Option("--sample", help="Read the built-in sample corpus (48 fictional articles) first.")
    ] = False,
    precision: PrecisionOption = None,
    reports: Annotated[
        Path | None,
        typer.Option(
            "--reports",
            file_okay=False,
            show_default=False,
            help="Folder for the HTML reports (default: $STORYLINE_REPORTS, the config file's reports, or reports).",
        ),
    ] = None,
    no_reports: Annotated[bool, typer.Option("--no-reports", help="Write no HTML reports.")] = False,
    max_reports: Annotated[
        int, typer.Option("--max-reports", min=1, help="Reports for at most this many stories, the largest.")
    ] = 100,
) -> None:
    """The main job: ingest PATHs (if any), group what is stored into stories, find copies, print the
    stories, write their reports."""
    from .errors import NotFoundError
    from .pipeline import run as run_job

    settings = _settings(precision=precision)
    reports = reports or Path(_CONFIG.get("reports") or "reports")
    sources = [*(paths or []), *([str(sample_corpus())] if sample else [])]
    if sources:
        _check_paths(sources)
    else:
        hint = "give PATH to read, or --sample for the built-in sample corpus"
        if not db.exists():
            raise NotFoundError(f"the store {str(db)!r} does not exist: {hint}")
        with _open(db) as store:
            held, pending = store.count_articles(), len(store.unassigned_ids())
        if not held:
            raise NotFoundError(f"the store {str(db)!r} holds no articles: {hint}")
        console.print(
            Text(f"no PATH given: grouping the {held} article(s) stored in {db} ({pending} in no story yet)")
        )
    with _open(db) as store, _RunProgress(store, db, max_reports) as listener:
        result = run_job(
            sources,
            store=store,
            settings=settings,
            reports=None if no_reports else reports,
            max_reports=max_reports,
            listener=listener,
        )
    if result.reports is not None:
        console.print(Text(f"reports of {listener.which}: {result.reports}"), soft_wrap=True)
    raise typer.Exit(EXIT_QUARANTINED if result.quarantined else EXIT_OK)


class _RunProgress(RunListener):
    """The main job's progress on the terminal: a bar (or spinner) per stage on stderr, the ingest
    summary after reading, the stories after the copy stage."""

    def __init__(self, store: Store, db: Path, max_reports: int) -> None:
        self.store, self.db, self.max_reports = store, db, max_reports
        self.which = ""
        self._live: Progress | Status | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> _RunProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = self._task = None

    def started(self, stage: str) -> None:
        """Show the stage's bar, or its spinner (copies)."""
        if stage == "copies":
            self._live = console.status("[bold]copies[/] looking for reprints, spun and translated copies")
            self._live.start()
            return
        columns = (TextColumn("records · {task.fields[origin]}"),) if stage == "ingest" else ()
        progress = _bar(stage, *columns)
        progress.start()
        self._live = progress
        self._task = progress.add_task(stage, total=None, origin="")

    def advanced(self, stage: str, done: int, total: int | None = None, detail: str = "") -> None:
        """Move the bar."""
        if isinstance(self._live, Progress) and self._task is not None:
            if stage == "ingest":
                self._live.update(self._task, completed=done, origin=Path(detail).name[-40:])
            else:
                self._live.update(self._task, completed=done, total=total)

    def finished(self, stage: str, so_far: RunResult) -> None:
        """Print what the stage leaves for the user to see."""
        self._stop()
        if stage == "ingest":
            print_ingest_summary(console, so_far.stats, self.db)
        elif stage == "copies":
            found = self.store.list_stories()
            n_links = len(self.store.copies())
            found_threads = _threads(self.store)
            print_stories(out, found, self.db, limit=30)
            _print_threads(found_threads, limit=20)
            console.print(
                Text(
                    f"{_count(len(found), 'story', 'stories')} in {_count(len(found_threads), 'thread')}; "
                    f"{_count(n_links, 'copy link')} "
                    f"({len(so_far.copy_links)} new): `storyline show STORY --db {self.db}`, "
                    f"`storyline threads --db {self.db}`"
                )
            )
            n_multi = sum(1 for s in found if len(s.article_ids) >= 2)
            self.which = (
                f"the {n_multi} stories with two or more versions"
                if n_multi <= self.max_reports
                else f"the {self.max_reports} largest of the {n_multi} stories with two or more versions"
            )


@app.command("export")
def export_command(
    kind: Annotated[str, typer.Argument(help="articles, stories, memberships or copies.", metavar="KIND")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")] = "jsonl",
    output: Annotated[
        str, typer.Option("--output", "-o", help="The file to write; - for standard output (not Parquet).")
    ] = "-",
) -> None:
    """Export the store's articles, stories, memberships or copy links as JSONL, CSV or Parquet."""
    from .export import FORMATS, KINDS, export

    if kind not in KINDS:
        raise typer.BadParameter(f"{kind!r}: give one of {', '.join(KINDS)}", param_hint="KIND")
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}: give one of {', '.join(FORMATS)}", param_hint="--format")
    with _open(db, existing=True) as store:
        try:
            n = export(store, kind, fmt, output)
        except OSError as exc:
            raise StorylineError(f"cannot write the export to {output!r}: {exc.strerror or exc}") from exc
    console.print(
        Text(
            f"{n} {kind} row(s) from {db} written as {fmt} to {'standard output' if output == '-' else output}"
        )
    )


def _copies(db: Path, settings: Settings, article_ids: list[str] | None) -> int:
    from .pipeline import find_story_copies

    with (
        _open(db) as store,
        console.status("[bold]copies[/] looking for reprints, spun and translated copies"),
    ):
        return len(find_story_copies(store, article_ids=article_ids, settings=settings))


def _assign(db: Path, settings: Settings, *, quiet: bool = False) -> int:
    from .pipeline import assign_stories, assign_threads

    with (
        _open(db) as store,
        _bar("stories", quiet=quiet) as progress,
    ):
        task = progress.add_task("stories", total=None)
        done = assign_stories(
            store,
            settings=settings,
            on_progress=lambda n, total: progress.update(task, completed=n, total=total),
        )
        assign_threads(store, settings=settings)
    return len(done)


@app.command()
def regroup(
    db: DbOption = DEFAULT_DB,
    precision: PrecisionOption = None,
) -> None:
    """Group every stored article into stories from scratch (and find the copies again): for
    after a change of --precision or of storyline. Stories get new ids."""
    settings = _settings(precision=precision)
    with _open(db, existing=True, read_only=False) as store:
        before = store.reset_stories()
        held = store.count_articles()
    console.print(Text(f"forgot {before} stories; grouping the {held} article(s) of {db} from scratch"))
    _assign(db, settings)
    with _open(db) as store:
        unchecked = store.articles_without_copy_check()
    links = _copies(db, settings, unchecked)
    with _open(db) as store:
        found = store.list_stories()
    print_stories(out, found, db, limit=30)
    console.print(Text(f"{len(found)} stories; {links} copy links"))


@app.command()
def delete(
    db: DbOption = DEFAULT_DB,
    source: Annotated[
        list[str], typer.Option("--source", help="Delete the articles of this outlet (repeat for more).")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the articles of one or more outlets, with their story memberships and copy links."""
    if not source:
        raise typer.BadParameter("give --source OUTLET (one or more)", param_hint="--source")
    with _open(db, existing=True, read_only=False) as store:
        matching = sum(
            store.find_articles(source=s, limit=0)[1] for s in dict.fromkeys(x.lower() for x in source)
        )
        if matching and not yes:
            typer.confirm(
                f"delete {matching} article(s) of {', '.join(source)} from {db}?", abort=True, err=True
            )
        gone = store.delete_sources(source)
    console.print(Text(f"deleted {gone} article(s) of {', '.join(source)} from {db}"))
    if gone:
        console.print(
            Text(f"their stories keep their other members; `storyline regroup --db {db}` regroups all")
        )


@app.command()
def schema(
    name: Annotated[str | None, typer.Argument(help="Which output; none: list them.", metavar="NAME")] = None,
) -> None:
    """Print the JSON Schema of a --json output or an export row (shipped with the package)."""
    from .schemas import load_schema, schema_names

    if name is None:
        for n in schema_names():
            out.print(n)
        return
    if name not in schema_names():
        raise typer.BadParameter(f"{name!r}: give one of {', '.join(schema_names())}", param_hint="NAME")
    sys.stdout.write(json.dumps(load_schema(name), indent=2) + "\n")


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
    from .config import load_config

    _CONFIG.clear()
    _CONFIG.update(load_config(config))
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def main() -> None:
    """Entry point: runs the app; a storyline error prints one clear line, never a traceback."""
    import sqlite3

    try:
        app()
    except StorylineError as exc:
        console.print(Text("error:", style="red").append(f" {exc}", style="default"), soft_wrap=True)
        sys.exit(EXIT_ERROR)
    except sqlite3.Error as exc:  # a store failure no stage turned into a StoreError yet
        console.print(
            Text("error:", style="red").append(f" the store: {exc}", style="default"), soft_wrap=True
        )
        sys.exit(EXIT_ERROR)
