"""The web app and JSON API over one store: the pages and the ``/api`` routes.

Every JSON shape comes from :mod:`storyline.views` (what ``--json`` prints), every page from the
HTML report's templates (:mod:`storyline.report`), and a posted article goes through the same
:func:`~storyline.pipeline.ingest_records` and story stage as ``storyline run``: the server adds
routes, not logic. Routes are plain (synchronous) functions: FastAPI runs them in its thread
pool, and the SQLite store gives each thread its own connection and serialises the writes.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations (Request)
# at run time, and they are names local to create_app (FastAPI is imported when it runs).
import hmac
import ipaddress
import sqlite3
import sys
import threading
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import views
from ..errors import ConfigError, InputError, NotFoundError, StoreError, StorylineError, require_extra
from ..models import Article, Quarantined
from ..readers.records import valid_date
from ..settings import DEFAULT_SETTINGS, Settings
from ..store import open_store

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..store.base import Store
    from ..types import Embedder

#: the largest request body a POST may carry (bytes); a larger one is refused with 413
MAX_BODY = 16 * 1024 * 1024
#: the most rows one list request returns (``?limit=`` asks for fewer)
MAX_PAGE = 1000
#: the most articles one POST may hold: a larger batch is refused whole (413), before any is
#: stored, so one small request of a million empty objects cannot fill the quarantine
MAX_POSTED = 10_000
#: the cookie a browser keeps the token in, once it opened a page with ``?token=``
TOKEN_COOKIE = "storyline_token"
#: the security headers of every response: nothing is loaded from elsewhere, no page frames ours
PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
#: where a posted article says it came from in the quarantine and in error messages
POST_ORIGIN = "POST /api/articles"


class _Reports:
    """Stories' comparisons, made once and kept until the story changes (its members): comparing
    costs about a second a story, and the models load on the first one; the page around one is
    rendered on each request (its thread may change while its members do not). The number of
    conflicts each comparison found is kept for the index."""

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self.pages: dict[str, tuple[tuple[str, ...], Any, int]] = {}
        self.lock = threading.Lock()

    def get(self, story_id: str, members: tuple[str, ...], make: Callable[[], tuple[Any, int]]) -> Any:
        with self.lock:
            hit = self.pages.get(story_id)
        if hit is not None and hit[0] == members:
            return hit[1]
        page, conflicts = make()
        with self.lock:
            if len(self.pages) >= self.limit:
                self.pages.pop(next(iter(self.pages)))
            self.pages[story_id] = (members, page, conflicts)
        return page

    def conflicts(self, story_id: str, members: tuple[str, ...]) -> int | None:
        """The conflicts of the story's comparison, if it was opened since it last changed."""
        with self.lock:
            hit = self.pages.get(story_id)
        return hit[2] if hit is not None and hit[0] == members else None


def create_app(
    db: str | Path,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    token: str | None = None,
    embedder: "Embedder | None" = None,
    read_only: bool = False,
) -> "FastAPI":
    """The web app over the store at ``db`` (opened, and created if missing, unless ``read_only``).

    With ``token``, every request must carry it: ``Authorization: Bearer TOKEN`` (the API), or
    ``?token=TOKEN`` once (a browser: the page sets a cookie for the next ones). ``embedder``
    (default: the multilingual USE model) serves the story stage of posted articles and the
    story pages. Needs the ``serve`` extra (FastAPI)."""
    if token is not None:
        check_token(token)
    require_extra("fastapi", "serve")
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    #: the query parameters of the list routes, checked as the command line checks its options
    Day = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, inclusive")
    Limit = Query(None, ge=0, le=MAX_PAGE, description=f"rows; 0 or none: a full page ({MAX_PAGE})")
    Offset = Query(0, ge=0, le=2**62, description="rows to skip")

    store = open_store(db, read_only=read_only)
    reports = _Reports()
    app = FastAPI(
        title="storyline",
        summary="Stories, threads and copies of a news store",
        # the interactive docs page loads its script from a CDN: off (offline, and no foreign
        # script on this origin); the description itself is served
        docs_url=None,
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.store = store

    def problem(status: int, message: str, **extra: Any) -> Any:
        return JSONResponse({"error": message, **extra}, status_code=status, headers=PAGE_HEADERS)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Any:
        given = None
        host = request.headers.get("host", "")
        if token is None and not _loopback_host(host):
            # a page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) reads nothing
            return problem(421, f"this server answers only requests to this machine, not to {host!r}")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != host:
                return problem(403, f"a request from another site ({origin!r}) may not change this store")
        if token is not None:
            header = request.headers.get("authorization", "")
            given = (
                header[7:].strip()
                if header.lower().startswith("bearer ")
                else request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
            )
            # headers arrive decoded as latin-1; tokens are printable ASCII (check_binding)
            if not given or not hmac.compare_digest(given.encode("latin-1", "replace"), token.encode()):
                return problem(
                    401,
                    "this server needs its token: send 'Authorization: Bearer TOKEN', "
                    "or open a page once with ?token=TOKEN",
                )
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            return problem(413, f"the request body holds {int(length)} bytes; at most {MAX_BODY} are read")
        try:
            response = await call_next(request)
        except Exception as exc:  # a failure no route turned into an error: one line, no traceback
            if isinstance(exc, sqlite3.Error):
                message = store_failure(exc, db)
            else:
                message = f"the server failed on {request.method} {request.url.path}: {type(exc).__name__}"
            print(f"storyline serve: {message}", file=sys.stderr, flush=True)
            return problem(500, message)
        response.headers.update(PAGE_HEADERS)
        if token is not None and request.query_params.get("token") == given and given:
            response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict")
        return response

    def told(exc: Exception) -> str:
        """An error's message without the store's place on disk (the file name is enough)."""
        return str(exc).replace(str(db), Path(db).name)

    @app.exception_handler(NotFoundError)
    def not_found(request: Request, exc: NotFoundError) -> Any:
        return problem(404, told(exc))

    @app.exception_handler(StorylineError)
    def failed(request: Request, exc: StorylineError) -> Any:
        status = 413 if isinstance(exc, TooMany) else 400 if isinstance(exc, InputError) else 500
        return problem(status, told(exc))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Any:
        where = [
            f"{'.'.join(str(x) for x in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'not valid')}"
            for e in exc.errors()
        ]
        return problem(422, "; ".join(where) or "the request is not valid")

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        message = "no such route" if exc.status_code == 404 else str(exc.detail)
        return problem(exc.status_code, f"{message}: {request.method} {request.url.path}")

    def compared(found: Any) -> Any:
        """A story's (articles, copies, comparison), compared once until its members change: the
        page and the API share it."""
        from ..report.html import compare_story

        def make() -> tuple[Any, int]:
            made = compare_story(store, found, embedder=embedder, settings=settings)
            return made, len(made[2].conflicts)

        return reports.get(found.id, found.article_ids, make)

    def page_of(rows: list[Any], limit: int | None, offset: int) -> list[Any]:
        return rows[offset : offset + (limit or MAX_PAGE)]

    def day(value: str | None, name: str) -> str | None:
        if value is not None and valid_date(value) is None:
            raise InputError(f"{name}={value!r} is not a day (YYYY-MM-DD)", origin=name)
        return value

    # ------------------------------------------------------------------ the JSON API

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Whether the store answers, and what it holds."""
        return {
            "status": "ok",
            "articles": store.count_articles(),
            "stories": store.count_stories(),
            "read_only": read_only,
        }

    @app.get("/api/stories")
    def stories(
        limit: int | None = Limit,
        offset: int = Offset,
        since: str | None = Day,
        until: str | None = Day,
        lang: str | None = None,
        source: str | None = None,
        min_size: int = Query(1, ge=1),
    ) -> list[dict[str, Any]]:
        """The stories, largest first, as ``storyline stories --json`` lists them."""
        rows = views.story_rows(
            store,
            since=day(since, "since"),
            until=day(until, "until"),
            lang=lang,
            source=source,
            min_size=min_size,
        )
        return page_of(rows, limit, offset)

    @app.get("/api/stories/{story_id}")
    def story(story_id: str) -> dict[str, Any]:
        """One story as ``storyline show --json`` prints it: members with their evidence, copies,
        history, thread."""
        return views.show_story(store, story_id)

    @app.get("/api/stories/{story_id}/compare")
    def compare(story_id: str) -> dict[str, Any]:
        """The story's versions compared, as ``storyline compare --json`` prints them."""
        articles, _, result = compared(store.get_story(story_id))
        return views.comparison(result, articles)

    @app.get("/api/threads")
    def threads(min_size: int = Query(1, ge=1)) -> list[dict[str, Any]]:
        """The threads, as ``storyline threads --json`` lists them, with the evidence of each link."""
        return views.thread_rows(store, min_size=min_size)

    @app.get("/api/articles")
    def articles(
        limit: int | None = Limit,
        offset: int = Offset,
        since: str | None = Day,
        until: str | None = Day,
        lang: str | None = None,
        source: str | None = None,
    ) -> list[dict[str, Any]]:
        """Stored articles in storing order, as ``storyline articles --json`` lists them."""
        found = store.iter_found(
            day(since, "since"), day(until, "until"), lang, source, limit=limit or MAX_PAGE, offset=offset
        )
        return [views.article_row(a) for a in found]

    @app.get("/api/articles/{article_id}")
    def article(article_id: str) -> dict[str, Any]:
        """One stored article, every field, with the story it is in."""
        row = views.article_row(store.get_article(article_id))  # an id, a prefix, the record's own id
        row["story"] = store.story_ids_of([row["id"]]).get(row["id"])
        return row

    @app.post("/api/articles", status_code=200)
    async def post_articles(request: Request) -> Any:
        """Articles posted as JSON (one object, a list of them, or ``{"articles": [...]}``, with
        the fields of a JSONL line: ``text``, ``title``, ``url``, ``published``, ``source``,
        ``language``, ``id``), stored, grouped into stories and threads, and checked for copies.
        A bad article is quarantined with the reason and the rest goes in; the answer names
        each article's position, its id and story, or why it was refused."""
        if read_only:
            return problem(403, "this server was started read-only (--read-only): it stores nothing")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            # JSON only: a page elsewhere cannot send it without asking first (a CORS preflight)
            return problem(415, f"post JSON with 'Content-Type: application/json', not {kind or 'no type'!r}")
        parts, size = [], 0
        async for chunk in request.stream():  # read up to the limit, however the body is sent
            size += len(chunk)
            if size > MAX_BODY:
                return problem(
                    413, f"the request body holds more than {MAX_BODY} bytes; at most {MAX_BODY} are read"
                )
            parts.append(chunk)
        body = b"".join(parts)
        if not body.strip():
            return problem(400, "the request body is empty: post a JSON object or a list of them")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_store_posted, store, body, settings, embedder)

    # ------------------------------------------------------------------ the pages

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """No icon (browsers ask for one on every page; a 404 is logged as an error)."""
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse)
    def index() -> Any:
        """Every story, grouped by thread with a timeline each; titles open the story pages."""
        from ..report.index import index_context, mark_threads, render_index, thread_timelines

        found = store.list_stories()
        links = {s.id: f"stories/{quote(s.id, safe='')}" for s in found if len(s.article_ids) >= 2}
        written = {
            s.id: {"file": links[s.id], "versions": min(len(s.article_ids), settings.report_max_versions)}
            | {"conflicts": reports.conflicts(s.id, s.article_ids)}
            for s in found
            if s.id in links
        }
        context = index_context(store, written) | {"live": True}
        mark_threads(context, thread_timelines(store, links))
        return HTMLResponse(render_index(context))

    @app.get("/stories/{story_id}", response_class=HTMLResponse)
    def story_page(story_id: str) -> Any:
        """A story's versions side by side: the HTML report, compared when first opened."""
        from ..report.html import render_html_report, thread_bar

        try:
            found = store.get_story(story_id)
        except NotFoundError as exc:
            return HTMLResponse(_message_page("No such story", told(exc)), status_code=404)
        articles, copies, result = compared(found)
        bar = thread_bar(store, found, lambda sid: quote(sid, safe=""), home="../")
        return HTMLResponse(render_html_report(found, articles, result, copies, home="../", thread=bar))

    return app


def store_failure(exc: sqlite3.Error, db: str | Path) -> str:
    """What a failed store read means, in one line naming the store's file (not its folder)."""
    from ..store.sqlite import describe_failure

    return f"the store {Path(db).name!r} cannot be read: {describe_failure(exc, Path(db).name)}"


def check_store(db: str | Path, *, read_only: bool = False) -> None:
    """Open the store and read what every page reads, so that a damaged file is refused before
    the server starts, with one line, as the other commands refuse it."""
    try:
        store = open_store(db, read_only=read_only)
        try:
            store.count_articles()
            store.list_stories()
        finally:
            store.close()
    except sqlite3.Error as exc:
        raise StoreError(store_failure(exc, db)) from exc


def check_token(token: str) -> None:
    """A token must be hard to guess and travel in an HTTP header: 16 printable ASCII characters or more."""
    if len(token) < 16:
        raise ConfigError("the token is too short to guard a server: use 16 characters or more")
    if not (token.isascii() and token.isprintable() and " " not in token):
        raise ConfigError("the token must be printable ASCII without spaces (it travels in an HTTP header)")


def _store_posted(
    store: "Store", body: bytes, settings: Settings, embedder: "Embedder | None"
) -> dict[str, Any]:
    """The posted articles stored and placed (the main job's stages, under the store's grouping
    lock as in ``storyline run``); what became of each."""
    from ..pipeline import assign_stories, assign_threads, find_story_copies, ingest_records, prepare_article
    from ..readers.jsonl import read_json

    # a body that is no JSON raises InputError (400); records are made only up to one past the limit
    records = list(islice(read_json(body, POST_ORIGIN), MAX_POSTED + 1))
    if len(records) > MAX_POSTED:
        raise TooMany(
            f"the request holds more than {MAX_POSTED:,} articles; at most {MAX_POSTED:,} are taken at "
            "once: post the rest in further requests"
        )
    stats, new_ids = ingest_records(records, store, settings=settings)
    with store.grouping():
        assign_stories(store, embedder=embedder, settings=settings)
        assign_threads(store, settings=settings)
    with store.grouping():
        links = find_story_copies(
            store, article_ids=store.articles_without_copy_check(), embedder=embedder, settings=settings
        )
    story_of = store.story_ids_of([r.id for r in records if isinstance(r, Article)])
    new = set(new_ids)
    items: list[dict[str, Any]] = []
    told: set[str] = set()
    for n, record in enumerate(records):
        if isinstance(record, Quarantined):
            items.append({"index": n, "position": record.position, "refused": record.reason})
        elif not isinstance(record, Article):
            items.append({"index": n, "refused": "not an article"})
        elif record.id not in new and not store.has_article(record.id):
            # quarantined by the ingest itself (cleaned to too little text): its reason, once more
            again = prepare_article(record, settings=settings)
            reason = again.reason if isinstance(again, Quarantined) else "refused by the ingest"
            items.append({"index": n, "id": record.id, "refused": reason})
        else:
            stored = record.id in new and record.id not in told  # a repeat in one post is a duplicate
            told.add(record.id)
            items.append(
                {
                    "index": n,
                    "id": record.id,
                    "stored": stored,
                    "duplicate": not stored,
                    "story": story_of.get(record.id),
                }
            )
    return {
        "read": stats.read,
        "stored": stats.stored,
        "duplicates": stats.duplicates,
        "quarantined": stats.quarantined,
        "copy_links": [views.copy_link_row(c) for c in links if c.copy in new or c.original in new],
        "articles": items,
    }


class TooMany(InputError):
    """A POST of more articles than :data:`MAX_POSTED` (answered 413)."""


def _message_page(title: str, text: str) -> str:
    """A small page for an error the browser shows (escaped: the text may quote a request)."""
    from markupsafe import escape

    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title></head><body style="font: 15px system-ui, sans-serif; margin: 24px">'
        f'<h1>{escape(title)}</h1><p>{escape(text)}</p><p><a href="/">All stories</a></p></body></html>'
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _loopback_host(host: str) -> bool:
    """Whether a request's Host names this machine (``127.0.0.1:8765``, ``localhost``, ``[::1]:80``)."""
    host = host.strip()
    if host.startswith("["):  # an IPv6 address, with or without a port
        return is_loopback(host[1 : host.find("]")] if "]" in host else host[1:])
    # a name or an IPv4 address, with a port; else a bare name or IPv6 address
    return is_loopback(host.split(":", 1)[0] if host.count(":") == 1 else host)
