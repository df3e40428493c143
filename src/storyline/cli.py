"""The ``storyline`` command: parses arguments, calls the library, prints results.

Exit codes: 0 everything went in; 1 an error stopped the command; 2 bad usage;
3 the command finished but some records were quarantined (see ``storyline quarantine``).
"""

from __future__ import annotations

import json
import logging
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
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from . import __version__
from .errors import StorylineError
from .models import Article, IngestStats, Quarantined, Story, to_dict
from .settings import Settings
from .terminal import clip, print_ingest_summary, print_similarity, print_stories

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
console = Console(stderr=True, width=None if sys.stderr.isatty() else 150)
out = Console(width=_WIDTH)

DbOption = Annotated[Path, typer.Option("--db", help="SQLite store file.", envvar="STORYLINE_DB")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DEFAULT_DB = Path("storyline.db")


def sample_corpus() -> Path:
    """The built-in sample corpus shipped with the package (JSONL that doubles as its gold file)."""
    return Path(str(resources.files("storyline") / "sample" / "corpus.jsonl"))


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_dict(value), ensure_ascii=False, indent=2) + "\n")


def _open(db: Path, *, existing: bool = False) -> Any:
    """The store; with ``existing``, a missing store is an error (opening it would create it)."""
    from .errors import NotFoundError
    from .store import open_store

    if existing and not db.exists():
        raise NotFoundError(f"the store {str(db)!r} does not exist: give --db, or run `storyline run` first")
    return open_store(db)


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


def _ingest(
    paths: list[str], db: Path, settings: Settings, *, quiet: bool = False
) -> tuple[IngestStats, list[str]]:
    from .pipeline import ingest

    with (
        _open(db) as store,
        _bar("ingest", TextColumn("records · {task.fields[origin]}"), quiet=quiet) as progress,
    ):
        task = progress.add_task("ingest", total=None, origin="")

        def on_record(stats: IngestStats, origin: str) -> None:
            progress.update(task, completed=stats.read, origin=Path(origin).name[-40:])

        stats, new_ids = ingest(paths, store, settings=settings, on_record=on_record)
    return stats, new_ids


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
        print_ingest_summary(console, stats, db)
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
                article.id,
                article.published or "",
                article.language,
                Text(article.source),  # article content is never Rich markup
                Text(article.headline),
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
        table.add_row(Text(row["source"]), Text(row["position"]), Text(row["reason"]))
    out.print(table)


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
        assign_threads(store)
    return len(done)


def _threads(store: Any) -> list[Any]:
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
        table.add_row(t.id, str(len(t.stories)), t.first_published or "", t.last_published or "", Text(clip(t.title, 90)))
    out.print(table)


def _story_row(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "articles": list(story.article_ids),
        "size": len(story.article_ids),
        "sources": list(story.sources),
        "languages": list(story.languages),
        "first_published": story.first_published,
        "last_published": story.last_published,
        "merged_from": list(story.merged_from),
    }


PrecisionOption = Annotated[
    float,
    typer.Option(
        "--precision",
        min=0.0,
        max=1.0,
        help="0 joins and links generously (recall), 1 only when sure (precision).",
    ),
]


@app.command()
def stories(db: DbOption = DEFAULT_DB, json_out: JsonOption = False) -> None:
    """List the stories: title, size, outlets, languages, time span."""
    with _open(db) as store:
        found = store.list_stories()
        thread_of = {s: t.id for t in _threads(store) for s in t.stories}
    if json_out:
        _print_json([_story_row(s) | {"thread": thread_of.get(s.id)} for s in found])
    else:
        print_stories(out, found, db)


@app.command()
def threads(db: DbOption = DEFAULT_DB, json_out: JsonOption = False) -> None:
    """List the threads: chains of stories on one developing subject, with their time span."""
    with _open(db) as store:
        found = _threads(store)
        rows = store.thread_memberships()
    if json_out:
        _print_json(
            [
                t.to_dict() | {"links": [{"story": s, **(rows[s][2] if s in rows else {})} for s in t.stories]}
                for t in found
            ]
        )
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
    from .kinds import article_kind

    with _open(db) as store:
        found = store.get_story(story)
        members = {m.article_id: m for m in store.memberships(found.id)}
        articles = {a.id: a for a in store.iter_articles(found.article_ids)}
        links = store.copies(found.article_ids)
        history = store.story_events(found.id)
        thread = next(t for t in _threads(store) if found.id in t.stories)
        titles = {s.id: s.title for s in store.list_stories() if s.id in thread.stories}
    row = _story_row(found)
    at = thread.stories.index(found.id)
    row["thread"] = {
        "id": thread.id,
        "title": thread.title,
        "stories": len(thread.stories),
        "previous": ({"id": thread.stories[at - 1], "title": titles.get(thread.stories[at - 1], "")} if at else None),
        "next": (
            {"id": thread.stories[at + 1], "title": titles.get(thread.stories[at + 1], "")}
            if at + 1 < len(thread.stories)
            else None
        ),
    }
    row["members"] = [
        {
            "article": a,
            "title": articles[a].headline,
            "source": articles[a].source,
            "published": articles[a].published,
            "language": articles[a].language,
            "kind": article_kind(articles[a]),
            "score": members[a].score,
            "evidence": members[a].evidence,
        }
        for a in found.article_ids
    ]
    row["copies"] = [
        {
            "copy": c.copy,
            "original": c.original,
            "type": str(c.type),
            "score": c.score,
            "evidence": c.evidence,
        }
        for c in links
    ]
    row["history"] = history
    if json_out:
        _print_json(row)
        return
    out.print(Text(found.title, style="bold").append(f"  ({found.id})", style="not bold"))
    line = Text(f"thread {thread.id} ({len(thread.stories)} stories): ").append(thread.title)
    for label in ("previous", "next"):
        if row["thread"][label]:
            line.append(f"\n  {label}: {row['thread'][label]['id']} ").append(row["thread"][label]["title"])
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
    if links:
        copies = Table(title="copies")
        for col in ("copy", "original", "type", "score"):
            copies.add_column(col)
        for c in links:
            copies.add_row(c.copy, c.original, str(c.type), f"{c.score:.2f}")
        out.print(copies)


eval_app = typer.Typer(help="Score storyline against gold data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("stories")
def eval_stories(
    gold: Annotated[
        Path, typer.Option("--gold", exists=True, dir_okay=False, help="Gold JSONL (ECB+ format).")
    ],
    json_out: JsonOption = False,
    precision: PrecisionOption = 0.5,
    by_month: Annotated[
        bool, typer.Option("--by-month", help="Also score the articles of each publication month.")
    ] = False,
) -> None:
    """Cluster the gold file's articles from scratch, all together; print BCubed and pairwise P/R/F1
    (and of threads, when the gold rows have a ``thread`` field)."""
    from .evaluate import evaluate_stories

    scores = evaluate_stories(str(gold), settings=Settings(precision=precision), by_month=by_month)
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
        table.add_row(f"{month} bcubed ({ms['n_articles']})", f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}")
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
    with _open(db) as store:
        article: Article = store.get_article(ref)
        return article


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
    from .compare import compare_articles, comparison_to_json

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
        ids = {a.id for a in versions}
        with _open(db) as store:
            copies = [c for c in store.copies(ids) if c.copy in ids and c.original in ids]
    with console.status("[bold]compare[/] aligning sentences, names and dates"):
        comparison = compare_articles(versions, copies=copies)
    if json_out:
        _print_json(comparison_to_json(comparison, versions))
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
    from .similarity import evaluate_similarity

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


def _reports(db: Path, folder: Path, settings: Settings, max_stories: int) -> Path:
    from .report import write_story_reports

    with (
        _open(db) as store,
        _bar("reports") as progress,
    ):
        task = progress.add_task("reports", total=None)
        index: Path = write_story_reports(
            store,
            folder,
            settings=settings,
            max_stories=max_stories,
            on_progress=lambda n, total: progress.update(task, completed=n, total=total),
        )
    return index


@app.command()
def run(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Sources; default: the built-in sample corpus.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    precision: PrecisionOption = 0.5,
    reports: Annotated[
        Path,
        typer.Option(
            "--reports", file_okay=False, help="Folder for the HTML reports of stories with 2+ versions."
        ),
    ] = Path("reports"),
    no_reports: Annotated[bool, typer.Option("--no-reports", help="Write no HTML reports.")] = False,
    max_reports: Annotated[
        int, typer.Option("--max-reports", min=1, help="Reports for at most this many stories, the largest.")
    ] = 100,
) -> None:
    """The main job: ingest, group into stories, find copies, print the stories, write their reports."""
    settings = Settings(precision=precision)
    sources = paths or [str(sample_corpus())]
    stats, _ = _ingest(sources, db, settings)
    print_ingest_summary(console, stats, db)
    _assign(db, settings)
    with _open(db) as store:
        unchecked = store.articles_without_copy_check()
    links = _copies(db, settings, unchecked)
    with _open(db) as store:
        found = store.list_stories()
        n_links = len(store.copies())
        found_threads = _threads(store)
    print_stories(out, found, db, limit=30)
    _print_threads(found_threads, limit=20)
    console.print(
        f"{len(found)} stories in {len(found_threads)} threads; {n_links} copy links ({links} new): "
        f"`storyline show STORY --db {db}`, `storyline threads --db {db}`"
    )
    if not no_reports:
        index = _write("reports", reports, lambda: _reports(db, reports, settings, max_reports))
        n_multi = sum(1 for s in found if len(s.article_ids) >= 2)
        which = (
            f"the {n_multi} stories with two or more versions"
            if n_multi <= max_reports
            else f"the {max_reports} largest of the {n_multi} stories with two or more versions"
        )
        console.print(Text(f"reports of {which}: {index}"), soft_wrap=True)
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
