"""HTML pages and WARC files: from markup to articles, through trafilatura and warcio.

Readers yield an :class:`HtmlDocument` (decoded markup and where it came from);
:func:`extract_html` turns it into an :class:`~storyline.models.Article`. The two
steps are apart because extraction is the costly one: the runner does it in its
worker processes while reading stays a single stream."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..models import Article
from ..settings import DEFAULT_SETTINGS, Settings
from .records import decode_text, make_article, normalize_date


@dataclass(frozen=True, slots=True)
class HtmlDocument:
    """An HTML page read but not yet extracted."""

    html: str
    origin: str
    position: str = ""
    url: str = ""  # the crawl's url (WARC-Target-URI), used when the page names no canonical one
    fallback_date: str | None = None  # the crawl date, used when the page gives no publication date


_META_TITLE = ('//meta[@property="og:title"]/@content', '//meta[@name="twitter:title"]/@content', "//title")
_META_URL = ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content')
_META_DATE = (
    '//meta[@property="article:published_time"]/@content',
    '//meta[@property="og:published_time"]/@content',
    '//meta[@itemprop="datePublished"]/@content',
    '//*[@itemprop="datePublished"]/@datetime',
    '//meta[@name="date" or @name="pubdate" or @name="publishdate" or @name="DC.date.issued" '
    'or @name="dcterms.created" or @name="sailthru.date" or @name="parsely-pub-date"]/@content',
    "//article//time/@datetime",
)
_META_SITE = ('//meta[@property="og:site_name"]/@content',)


def _first(tree: Any, paths: tuple[str, ...]) -> str:
    for path in paths:
        value = " ".join(str(tree.xpath(f"string({path})")).split())
        if value:
            return value
    return ""


#: a character reference to a control character ("&#27;", "&#x1b;", "&#150;"): libxml2's HTML
#: parser gives up on the whole page at one; the same character written raw it keeps (and the
#: cleaning removes it, recorded as ``control-character``)
_CONTROL_REFERENCE = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,2})(?![0-9a-fA-F])|0*([0-9]{1,3})(?![0-9]));?")
#: a terminal escape sequence, its ESC raw or a reference: the parser drops a lone ESC and would
#: leave the rest ("[2J", "[31m") in the text
_TERMINAL_ESCAPE = re.compile(
    r"(?:\x1b|&#(?:[xX]0*1[bB](?![0-9a-fA-F])|0*27(?![0-9]));?)"
    r"(?:\[[0-?]{0,32}[ -/]{0,8}[@-~]|\][^\x07\x1b<&]{0,200}"
    r"(?:\x07|\x1b\\|&#(?:[xX]0*7(?![0-9a-fA-F])|0*7(?![0-9]));?))?"
)


def _control_reference(match: re.Match[str]) -> str:
    """A control character's reference as HTML5 reads it: C1 codes as Windows-1252 (``&#150;``
    is an en dash), other C0 codes as themselves; NUL as nothing."""
    code = int(match.group(1), 16) if match.group(1) is not None else int(match.group(2))
    if code in (9, 10, 13) or 32 <= code < 127 or code > 159:
        return match.group(0)
    if code == 0:
        return ""
    if code >= 128:
        return bytes([code]).decode("cp1252", errors="ignore") or " "
    return chr(code)


def _markup(html: str) -> str:
    """The page as the parser should read it: terminal escape sequences out, control characters'
    references written as the characters (see :data:`_CONTROL_REFERENCE`)."""
    if "\x1b" in html or "&#" in html:
        html = _TERMINAL_ESCAPE.sub("", html)
    return _CONTROL_REFERENCE.sub(_control_reference, html) if "&#" in html else html


def extract_html(doc: HtmlDocument, *, settings: Settings = DEFAULT_SETTINGS) -> Article:
    """Main text, title, date, canonical url and site of a page; raises :class:`InputError`
    for a page with no article text or markup trafilatura cannot parse.

    The page is parsed once. Title, url, date and site come from the page's own metadata
    (Open Graph, canonical link, schema.org, the usual date tags), with htmldate's search
    as the fallback for the date: trafilatura's full metadata pass costs more than its text
    extraction and adds nothing these tags do not give.
    """
    import trafilatura
    from trafilatura.utils import load_html

    try:
        tree = load_html(_markup(doc.html))
        if tree is None:
            raise InputError("HTML page with no article text", origin=doc.origin, position=doc.position)
        title = _first(tree, _META_TITLE)
        url = _first(tree, _META_URL) or doc.url
        published = normalize_date(_first(tree, _META_DATE))
        if published is None:
            from htmldate import find_date

            published = normalize_date(find_date(tree, extensive_search=False, original_date=True))
        site = _first(tree, _META_SITE)
        language = str(tree.xpath("string(/html/@lang)"))[:2].lower()
        result = trafilatura.bare_extraction(
            tree,
            url=url or None,
            with_metadata=False,
            include_comments=False,
            include_tables=False,
            fast=settings.html_fast,
        )
    except InputError:
        raise
    except Exception as exc:  # trafilatura and lxml raise assorted errors on broken markup
        raise InputError(
            f"unreadable HTML ({type(exc).__name__}: {exc})", origin=doc.origin, position=doc.position
        ) from exc
    text = (getattr(result, "text", None) or "") if result is not None else ""
    if len(text.strip()) < settings.min_text_chars:
        reason = "HTML page with no article text"
        if _depth(tree) >= PARSER_DEPTH - 1:
            reason += (
                f" (its markup nests more than {PARSER_DEPTH} elements deep: the HTML parser stops there)"
            )
        raise InputError(reason, origin=doc.origin, position=doc.position)
    lines = text.split("\n")
    if lines and title and lines[0].strip() and lines[0].strip() in title:  # the <h1> repeats the title
        title = lines[0].strip() if len(lines[0].strip()) >= len(title) // 2 else title
        text = "\n".join(lines[1:])
    return make_article(
        text=text,
        title=title,
        published=published or doc.fallback_date,
        url=url,
        source=site,
        language=language,
        origin=doc.origin,
        position=doc.position,
    )


#: how deep libxml2 nests elements before it stops parsing a page (without its "huge" option, which
#: storyline leaves off: it lifts the limits that guard against hostile markup)
PARSER_DEPTH = 256


def _depth(tree: Any) -> int:
    """How deep the parsed page nests (asked only of a page that gave no text)."""
    return max((sum(1 for _ in element.iterancestors()) for element in tree.iter()), default=0)


_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


def _decode_html_bytes(body: bytes, content_type: str, origin: str, position: str) -> str:
    match = _CHARSET.search(content_type) or _CHARSET.search(body[:2048].decode("ascii", "replace"))
    if match:
        try:
            return body.decode(match.group(1), errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(body, origin=origin, position=position)
