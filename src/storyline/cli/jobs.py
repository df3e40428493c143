"""Commands that change the store: ingest, run, regroup, delete, report."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    Progress,
    TaskID,
    TextColumn,
)
from rich.status import Status
from rich.text import Text

from ..errors import StorylineError
from ..models import IngestStats
from ..pipeline import RunListener, RunResult
from ..report.terminal import print_ingest_summary, print_stories
from ..settings import Settings
from ..store.base import Store
from .app import (
    _CONFIG,
    DEFAULT_DB,
    EXIT_OK,
    EXIT_QUARANTINED,
    DbOption,
    JsonOption,
    PrecisionOption,
    StoryArgument,
    _bar,
    _check_paths,
    _count,
    _open,
    _print_json,
    _print_threads,
    _settings,
    _threads,
    app,
    console,
    out,
    sample_corpus,
)

#: the group these commands are listed under in ``storyline --help``: what changes the store
PANEL = "Build"


def _ingest(
    paths: list[str],
    db: Path,
    settings: Settings,
    *,
    quiet: bool = False,
    exclude: list[str | os.PathLike[str]] | None = None,
) -> tuple[IngestStats, list[str]]:
    """Ingest ``paths`` into ``db``; the store's own files (and ``exclude``) are never read."""
    from ..pipeline import ingest
    from ..readers.sources import store_files

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


@app.command(rich_help_panel=PANEL)
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


def _write(what: str, target: Path, write: Callable[[], Path]) -> Path:
    """Run ``write``; a file that cannot be written is a storyline error naming it."""
    try:
        return write()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        blocked = next((p for p in Path(target).parents if p.exists() and not p.is_dir()), None)
        if blocked is not None:  # "File exists" says little: a folder on the way is a file
            reason = f"{str(blocked)!r} is a file, not a folder"
        raise StorylineError(f"cannot write the {what} to {str(target)!r}: {reason}") from exc


@app.command(rich_help_panel=PANEL)
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
    from ..report.html import compare_story, story_filename, write_html_report

    settings = _settings()
    with _open(db, existing=True) as store:
        found = store.get_story(story)
        shown = min(len(found.article_ids), settings.report_max_versions)
        with console.status(f"[bold]compare[/] {shown} version(s)"):
            articles, copies, comparison = compare_story(store, found, settings=settings)
    name = story_filename(found.id) + ".html"
    target = output or Path("reports") / name
    if target.is_dir():
        target /= name
    path = _write("report", target, lambda: write_html_report(found, articles, comparison, copies, target))
    if len(found.article_ids) > len(articles):
        console.print(f"[yellow]note:[/] the first {len(articles)} of {len(found.article_ids)} versions")
    out.print(Text(f"report of {found.id} ({len(articles)} version(s)): {path}"), soft_wrap=True)


@app.command(rich_help_panel=PANEL)
def run(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Sources to read first; none: group what the store holds."),
    ] = None,
    db: DbOption = DEFAULT_DB,
    sample: Annotated[
        bool,
        typer.Option(
            "--sample", help="Read the built-in sample corpus (52 fictional articles, with its gold) first."
        ),
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
    spark: Annotated[
        str | None,
        typer.Option(
            "--spark",
            metavar="MASTER",
            help="Read, clean and analyse the PATHs on Apache Spark (the spark extra; a Java runtime), "
            "e.g. local[*] or spark://host:7077; the rest of the job runs here, with the same results.",
            show_default=False,
        ),
    ] = None,
    spark_partitions: Annotated[
        int | None,
        typer.Option(
            "--spark-partitions", min=1, help="Spark tasks the files are dealt into.", show_default=False
        ),
    ] = None,
) -> None:
    """The main job: read PATHs, group into stories and threads, find copies, write reports.

    Ingests PATHs (if any), groups what is stored into stories, threads the stories, finds copies,
    prints the stories and writes their reports."""
    from ..errors import NotFoundError
    from ..pipeline import run as run_job

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
    session = preparer = None
    if spark is not None and not sources:
        console.print(Text("--spark reads the PATHs given; with none, the job runs here"))
    if spark is not None and sources:
        from ..spark import SparkPreparer, spark_session

        with console.status(f"[bold]spark[/] starting Spark ({spark})"):
            session = spark_session(spark)
            preparer = SparkPreparer(session, spark_partitions)
    try:
        with _open(db) as store, _RunProgress(store, db, max_reports) as listener:
            result = run_job(
                sources,
                store=store,
                settings=settings,
                reports=None if no_reports else reports,
                max_reports=max_reports,
                listener=listener,
                prepare=preparer,
                # the executors embedded the leads: the story stage takes their vectors
                embedder=None if preparer is None else preparer.embedder,
            )
    finally:
        if session is not None:
            session.stop()
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

    def waiting(self, stage: str, reason: str) -> None:
        """Say why the bar stands still."""
        console.print(Text(f"{stage}: {reason} ({self.db}); waiting for it to finish"))

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
                    f"{_count(len(found), 'story', 'stories')} in {_count(len(found_threads), 'thread')} "
                    f"({sum(len(t.stories) > 1 for t in found_threads)} of two or more stories); "
                    f"{_count(n_links, 'copy link')} "
                    f"({len(so_far.copy_links)} new): `storyline show STORY --db {self.db}`, "
                    f"`storyline threads --db {self.db}`"
                )
            )
            n_multi = sum(1 for s in found if len(s.article_ids) >= 2)
            self.which = (
                f"the {_count(n_multi, 'story', 'stories')} with two or more versions"
                if n_multi <= self.max_reports
                else f"the {self.max_reports} largest of the {n_multi} stories with two or more versions"
            )


def _copies(db: Path, settings: Settings, article_ids: list[str] | None) -> int:
    from ..pipeline import find_story_copies

    with (
        _open(db) as store,
        console.status("[bold]copies[/] looking for reprints, spun and translated copies"),
    ):
        return len(find_story_copies(store, article_ids=article_ids, settings=settings))


def _assign(store: Store, settings: Settings, *, quiet: bool = False) -> int:
    from ..pipeline import assign_stories, assign_threads

    with _bar("stories", quiet=quiet) as progress:
        task = progress.add_task("stories", total=None)
        done = assign_stories(
            store,
            settings=settings,
            on_progress=lambda n, total: progress.update(task, completed=n, total=total),
        )
        assign_threads(store, settings=settings)
    return len(done)


def _say_waiting(db: Path) -> None:
    console.print(Text(f"stories: another process is grouping this store ({db}); waiting for it to finish"))


@app.command(rich_help_panel=PANEL)
def regroup(
    db: DbOption = DEFAULT_DB,
    precision: PrecisionOption = None,
) -> None:
    """Group every stored article into stories from scratch, and find the copies again.

    For after a change of --precision or of storyline. Stories get new ids."""
    settings = _settings(precision=precision)
    # forgetting and grouping again under one hold of the grouping lock: a run at the same time
    # neither groups into stories about to be forgotten nor beside this regrouping
    with _open(db, existing=True, read_only=False) as store, store.grouping(lambda: _say_waiting(db)):
        before = store.reset_stories()
        held = store.count_articles()
        console.print(Text(f"forgot {before} stories; grouping the {held} article(s) of {db} from scratch"))
        _assign(store, settings)
    with _open(db) as store:
        unchecked = store.articles_without_copy_check()
    links = _copies(db, settings, unchecked)
    with _open(db) as store:
        found = store.list_stories()
    print_stories(out, found, db, limit=30)
    console.print(Text(f"{len(found)} stories; {links} copy links"))


@app.command(rich_help_panel=PANEL)
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
