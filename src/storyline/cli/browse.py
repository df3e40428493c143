"""Commands that read the store: articles, quarantine, boilerplate, stories, threads, show, export, schema."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..errors import StorylineError
from ..report.terminal import cell, clip, print_stories
from ..views import article_row, filter_stories, quarantine_row, show_story, story_rows, thread_rows
from .app import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    LangOption,
    LimitOption,
    OffsetOption,
    SinceOption,
    SourceOption,
    StoryArgument,
    UntilOption,
    _count,
    _json_text,
    _open,
    _page,
    _paging_note,
    _print_json,
    _print_threads,
    _settings,
    _threads,
    app,
    console,
    out,
)

#: the group these commands are listed under in ``storyline --help``: what reads the store
PANEL = "Look"


@app.command(rich_help_panel=PANEL)
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
            cell(article.language),
            cell(article.source),  # article content is never Rich markup
            cell(article.headline),
        )
    out.print(table)
    _paging_note(len(found), offset, total, "articles")


@app.command(rich_help_panel=PANEL)
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
        table.add_row(cell(row["source"]), cell(row["position"]), cell(row["reason"]))
    out.print(table)
    _paging_note(len(rows), offset, total, "quarantine")


@app.command(rich_help_panel=PANEL)
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
    from ..clean.boilerplate import known

    with _open(db, existing=True) as store:
        rows = known(store, site=site, limit=limit)
    if json_out:
        _print_json(rows)
        return
    if not rows:  # an empty table says nothing the line does not
        console.print("nothing recurring learned yet" + (f" for {site!r}" if site else "") + f" in {db}")
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


@app.command(rich_help_panel=PANEL)
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
    filters: dict[str, Any] = {
        "since": since,
        "until": until,
        "lang": lang,
        "source": source,
        "min_size": min_size,
    }
    rows = _page(limit, json_out)
    with _open(db, existing=True) as store:
        ungrouped = len(store.unassigned_ids())
        if json_out:
            _print_json(story_rows(store, **filters)[offset : None if rows is None else offset + rows])
        else:
            found = filter_stories(store.list_stories(), **filters)
    if not json_out:
        page = found[offset : None if rows is None else offset + rows]
        print_stories(out, page, db)
        _paging_note(len(page), offset, len(found), "stories")
    if ungrouped:
        console.print(
            Text(
                f"note: {ungrouped} stored article(s) are in no story yet: `storyline run --db {db}` groups them"
            )
        )


@app.command(rich_help_panel=PANEL)
def threads(
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
    min_size: Annotated[
        int, typer.Option("--min-size", min=1, help="Only threads of this many stories or more.")
    ] = 1,
) -> None:
    """List the threads: chains of stories on one developing subject, with their time span."""
    with _open(db, existing=True) as store:
        if json_out:
            _print_json(thread_rows(store, min_size=min_size))
            return
        found = [t for t in _threads(store) if len(t.stories) >= min_size]
    if not found:
        out.print(f"threads: none of {min_size} stories or more")
    else:
        _print_threads(found)


@app.command(rich_help_panel=PANEL)
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
    span = " → ".join(dict.fromkeys(d for d in (row["first_published"], row["last_published"]) if d))
    out.print(
        Text(
            f"{_count(row['size'], 'article')} from {_count(len(row['sources']), 'outlet')}, "
            + (f"published {span}" if span else "undated")
        )
    )
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
    for col in ("article", "published", "lang", "kind", "source", "score", "closest", "title"):
        table.add_column(col, overflow="fold")
    for m in row["members"]:
        table.add_row(
            m["article"],
            (m["published"] or "") + (" (not believed)" if m["date_doubted"] else ""),
            m["language"],
            m["kind"],
            cell(m["source"]),
            f"{m['score']:.2f}",
            _closest(m["evidence"]),
            cell(m["title"]),
        )
    out.print(table)
    if row["doubted_dates"]:
        out.print(
            Text(
                "not believed: a date more than two days after this machine's clock when the story "
                "was grouped (a typo, a placeholder year); the story stage placed the article as "
                "undated and the span leaves it out",
                style="dim",
            )
        )
    if row["copies"]:
        copies = Table(title="copies")
        for col in ("copy", "original", "type", "score"):
            copies.add_column(col)
        for c in row["copies"]:
            copies.add_row(c["copy"], c["original"], c["type"], f"{c['score']:.2f}")
        out.print(copies)
    _print_history(row["history"])
    out.print(Text(f"the evidence behind each member: storyline show {row['id']} --json", style="dim"))


def _closest(evidence: dict[str, Any]) -> str:
    """The member it matched best when it joined, and how sure the stage was ("" for none)."""
    closest = evidence.get("closest") or []
    if not closest:
        return ""
    best = closest[0]
    return f"{str(best.get('article', ''))[:8]} p={float(best.get('probability', 0.0)):.2f}"


def _print_history(events: list[dict[str, Any]], shown: int = 12) -> None:
    """The story's history, oldest first: when each article opened or joined it, merges, re-cleanings."""
    if not events:
        return
    import time

    out.print(Text("history", style="bold"))
    for event in events[:shown]:
        detail = event["detail"]
        what = {
            "merged": f"absorbed {detail.get('absorbed', '')}",
            "merged-into": f"merged into {detail.get('into', '')}",
        }.get(event["kind"], event["kind"])
        score = f" (score {detail['score']:.2f})" if isinstance(detail.get("score"), (int, float)) else ""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(event["at"]))
        out.print(Text(f"  {when}  {event['article']}  {what}{score}"))
    if len(events) > shown:
        out.print(Text(f"  … and {len(events) - shown} more (--json lists all)", style="dim"))


@app.command("export", rich_help_panel=PANEL)
def export_command(
    kind: Annotated[str, typer.Argument(help="articles, stories, memberships or copies.", metavar="KIND")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")] = "jsonl",
    output: Annotated[
        str, typer.Option("--output", "-o", help="The file to write; - for standard output (not Parquet).")
    ] = "-",
    spreadsheet_safe: Annotated[
        bool,
        typer.Option(
            "--spreadsheet-safe/--exact",
            help="CSV: put a ' before a cell that starts with = + - @, a tab or a carriage return, so "
            "a spreadsheet shows it as text instead of running it as a formula (OWASP's advice on CSV "
            "injection; the default). --exact writes every value as stored, for programs. JSONL and "
            "Parquet are always exact.",
        ),
    ] = True,
) -> None:
    """Export the store's articles, stories, memberships or copy links as JSONL, CSV or Parquet.

    CSV is safe to open in a spreadsheet by default (see --exact)."""
    from ..export import FORMATS, KINDS, export

    if kind not in KINDS:
        raise typer.BadParameter(f"{kind!r}: give one of {', '.join(KINDS)}", param_hint="KIND")
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}: give one of {', '.join(FORMATS)}", param_hint="--format")
    with _open(db, existing=True) as store:
        try:
            n = export(store, kind, fmt, output, spreadsheet_safe=spreadsheet_safe)
        except BrokenPipeError:
            raise  # the reader went away (`| head`): quiet, as for every command
        except OSError as exc:
            raise StorylineError(f"cannot write the export to {output!r}: {exc.strerror or exc}") from exc
    console.print(
        Text(
            f"{n} {kind} row(s) from {db} written as {fmt} to {'standard output' if output == '-' else output}"
        )
    )


@app.command(rich_help_panel=PANEL)
def schema(
    name: Annotated[str | None, typer.Argument(help="Which output; none: list them.", metavar="NAME")] = None,
) -> None:
    """Print the JSON Schema of a --json output or an export row (shipped with the package)."""
    from ..schemas import load_schema, schema_names

    if name is None:
        for n in schema_names():
            out.print(n)
        return
    if name not in schema_names():
        raise typer.BadParameter(f"{name!r}: give one of {', '.join(schema_names())}", param_hint="NAME")
    sys.stdout.write(json.dumps(load_schema(name), indent=2) + "\n")


@app.command(rich_help_panel=PANEL)
def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Where to listen: 127.0.0.1 (this machine only) unless a --token guards it."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="STORYLINE_TOKEN",
            help="A secret every request must carry (Authorization: Bearer TOKEN, or ?token= once in a "
            "browser); needed to listen beyond this machine.",
            show_default=False,
        ),
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Serve the store for reading only: POST is refused.")
    ] = False,
) -> None:
    """The local web app and JSON API over a store: stories by thread, each story's versions
    side by side, and /api (POST /api/articles adds articles)."""
    from ..server import check_binding, check_port, check_store
    from ..server import serve as run_server

    check_binding(host, token)
    check_port(host, port)
    if read_only and not db.exists():
        raise StorylineError(f"the store {str(db)!r} does not exist: give --db, or run `storyline run` first")
    if not db.exists():
        console.print(
            Text(
                f"the store {str(db)!r} does not exist yet: serving a new, empty one (POST /api/articles fills it)"
            ),
            soft_wrap=True,
        )
    else:
        check_store(db, read_only=read_only)
    shown = f"[{host}]" if ":" in host else host
    console.print(
        Text(
            f"storyline serves {db} at http://{shown}:{port}/ (the API at /api, described at /api/openapi.json)"
            + ("; every request needs the token" if token else "")
            + "; Ctrl-C stops it"
        ),
        soft_wrap=True,
    )
    run_server(db, host=host, port=port, token=token, settings=_settings(), read_only=read_only)
