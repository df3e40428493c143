"""Strip what is not the article from its text, and keep what was stripped.

Removes scraper and autoblog markers (``[ad_1]``, ``[ad_2]``, a closing
``Source link``), ad lines ("Advertisement", "Story continues below"), share and
comment widgets ("Please enter your comment!"); lifts embedded social posts out
of the prose into :class:`~storyline.models.Embed` records; normalises Unicode,
quotes, dashes and white space. Every removed piece is kept as a
:class:`~storyline.models.RemovedSpan` with its reason."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from .. import lang
from ..models import Article, Embed, RemovedSpan
from ..settings import DEFAULT_SETTINGS, Settings

# Lines that are never prose, by reason. Matched against a whole line, case-insensitive.
_LINE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("scraper-marker", re.compile(r"\[ad_\d+\]|source link|source:? link|\[?read more\]?|original source")),
    ("advertisement", re.compile(lang.alternation(lang.fragments("ad_lines")))),
    ("widget", re.compile(lang.alternation(lang.fragments("widget_lines")))),
)

# An ad-blocker wall ("To read our articles, disable AdBlock / uBlock or add an exception for our
# domain."): a short paragraph that names an ad blocker, asks for it to be turned off (or says it is
# on) and speaks to the reader ("you", "our articles"). On a page that shows one, the other short
# paragraphs that name a blocker are of the wall too (a heading "Disable AdBlock / uBlock", "Don't
# worry, adding an exception will not disable ad blocking."). The blockers' names are the same in
# every language; requests and address are listed for the languages these walls were seen in
# (English, Polish, German, French, Spanish, Italian). A report on ad blocking ("Chrome's update will
# disable uBlock Origin for millions, Google said") does not speak to the reader and stays.
_ADBLOCK_NAME = re.compile(
    r"\b(ad[ -]?block\w*|ublock\w*|block\w* ads|blokow\w* reklam\w*|werbeblocker\w*|bloqueur\w* de pub\w*)",
    re.IGNORECASE,
)
_ADBLOCK_REQUEST = re.compile(
    r"\b(disabl\w*|turn\w* off|switch\w* off|whitelist\w*|pause\w*|exception|using"
    r"|wyłącz\w*|wyjąt\w*|używasz|korzystasz|deaktivier\w*|ausschalt\w*|ausnahme|désactiv\w*|desactiv\w*"
    r"|disattiv\w*)",
    re.IGNORECASE,
)
_READER = re.compile(
    r"\b(you\w*|our|nasz\w*|wiesz|twój|twoj\w*|unser\w*|ihr\w*|vous|votre|nos|notre|nuestr\w*|usted"
    r"|nostr\w*)\b",
    re.IGNORECASE,
)
#: paragraphs longer than this are prose even when they name an ad blocker and a request
ADBLOCK_CHARS = 400


def _names_blocker(text: str) -> bool:
    """Whether ``text`` names an ad blocker. Every name holds "blo" (block, blok, bloq), so only the
    text around those letters is searched: this runs on every article, and a search of the whole text
    for the names costs a quarter of the cleaning."""
    if not ("blo" in text or "Blo" in text or "BLO" in text):
        return False
    low = text.lower()
    for hint in ("block", "blok", "bloq"):
        at = low.find(hint)
        while at >= 0:
            if _ADBLOCK_NAME.search(low, max(0, at - 8), at + 40):
                return True
            at = low.find(hint, at + 1)
    return False


def _adblock_wall(para: str, *, walled: bool) -> bool:
    """Whether ``para`` is (part of) an ad-blocker wall; ``walled``: the page has shown one already."""
    return (
        len(para) <= ADBLOCK_CHARS
        and bool(_ADBLOCK_NAME.search(para))
        and (walled or (bool(_ADBLOCK_REQUEST.search(para)) and bool(_READER.search(para))))
    )


# An inline marker at the start or end of a prose line ("[ad_1] The minister said ...").
_INLINE_MARKER = re.compile(r"\s*\[ad_\d+\]\s*", re.IGNORECASE)

# The attribution line under an embedded tweet: "— Name (@handle) October 18, 2021".
_TWEET_BYLINE = re.compile(
    r"^\s*[-—–]+\s*(?P<author>[^(@\n]{1,80}?)\s*\(@(?P<handle>\w{1,30})\)\s*(?P<date>[A-Za-z]+\.? \d{1,2},? \d{4})?\s*$"
)
_TWEET_LINK = re.compile(r"(https?://t\.co/\w+|pic\.twitter\.com/\w+)")


def _tweet_link(text: str) -> re.Match[str] | None:
    """``_TWEET_LINK.search(text)``, searched only in a text that holds one of its fixed parts (a
    regular expression search of every paragraph cost a tenth of the cleaning)."""
    if "t.co/" not in text and "pic.twitter.com/" not in text:
        return None
    return _TWEET_LINK.search(text)


def _inline_markers(text: str) -> list[str]:
    """``_INLINE_MARKER.findall(text)``: none without a "[" (the search of every paragraph, from each
    of its characters on, cost a fifth of the cleaning)."""
    return _INLINE_MARKER.findall(text) if "[" in text else []


_SOURCE_LINK = re.compile(r"\s*\bSource link\s*$")
_INSTAGRAM = re.compile(r"^\s*(view this post on instagram|a post shared by .+)\s*$", re.IGNORECASE)

_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u3000": " ",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u00ad": None,
        "\u2028": "\n",
        "\u2029": "\n",
    }
)


# C0 and C1 control characters and DEL, except tab and the line ends (CR becomes LF; FF and VT
# end a line too). NUL bytes and terminal escape sequences never reach the store.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROLS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
#: a terminal escape sequence, removed whole (deleting only its ESC would leave "[31m" in a title):
#: CSI ("ESC [ 31 m", or the one-byte C1 CSI U+009B), OSC ("ESC ] 0;title BEL", ended by BEL or
#: ESC \\; a window title or a hyperlink), or a short escape ("ESC c", "ESC 7", "ESC ( B")
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]{0,512}(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]?[0-~]"
)
#: the ASCII bytes ``_CONTROLS`` does not match
_ASCII_NOT_CONTROL = bytes(c for c in range(128) if not _CONTROLS.match(chr(c)))


def strip_controls(text: str) -> tuple[str, RemovedSpan | None]:
    """``text`` without control characters (tab and line ends kept), and what was removed
    as a span listing the code points and their counts (``None`` when there were none)."""
    if "\x0b" in text or "\x0c" in text:  # a plain membership test is far cheaper than translate
        text = text.translate(_LINE_CONTROLS)
    if text.isascii():  # ASCII text: its control bytes kept, all others deleted (C speed, no search)
        if not text.encode("ascii").translate(None, _ASCII_NOT_CONTROL):
            return text, None
    elif not _CONTROLS.search(text):  # the usual case: nothing to remove
        return text, None
    escapes = 0
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text, escapes = _ESCAPES.subn("", text)
    counts: dict[str, int] = {}
    for ch in _CONTROLS.findall(text):
        counts[ch] = counts.get(ch, 0) + 1
    listed = [f"{escapes} x terminal escape sequence"] if escapes else []
    listed += [f"{n} x U+{ord(ch):04X}" for ch, n in sorted(counts.items())]
    return _CONTROLS.sub("", text), RemovedSpan("control-character", ", ".join(listed))


def normalize_text(text: str) -> str:
    """NFC, straight quotes, plain spaces, no invisible characters, Unix line ends."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text: blank-line separated blocks, or single lines where there are no blocks.

    Hard-wrapped lines inside a block are joined with a space.
    """
    return _split_paragraphs(text)[0]


def _split_paragraphs(text: str) -> tuple[list[str], bool]:
    """:func:`split_paragraphs`, and whether the text was hard-wrapped (otherwise each paragraph's
    white space is folded already: single spaces, none at the ends)."""
    lines = text.strip("\n").split("\n")
    blocks: list[str] = []
    if sum(1 for line in lines if not line.strip()) and _wrapped(lines):
        current: list[str] = []
        for line in [*lines, ""]:
            if line.strip():
                current.append(line.strip())
            elif current:
                blocks.append(" ".join(current))
                current = []
        return blocks, True
    return [" ".join(line.split()) for line in lines if line.strip()], False


def _wrapped(lines: list[str]) -> bool:
    """Whether blank-line separated blocks have several lines each (hard-wrapped text)."""
    block_sizes: list[int] = []
    size = 0
    for line in [*lines, ""]:
        if line.strip():
            size += 1
        elif size:
            block_sizes.append(size)
            size = 0
    return bool(block_sizes) and sum(1 for s in block_sizes if s > 1) > len(block_sizes) / 3


def _line_reason(line: str) -> str | None:
    probe = line.strip().strip("•·|*-–—> ").strip().lower()
    if not probe:
        return None
    for reason, pattern in _LINE_RULES:
        if pattern.fullmatch(probe):
            return reason
    return None


def clean_text(text: str) -> tuple[str, tuple[Embed, ...], tuple[RemovedSpan, ...]]:
    """Clean an article text: returns the prose, the embeds lifted out and the removed spans."""
    text, controls = strip_controls(text)
    paragraphs, wrapped = _split_paragraphs(normalize_text(text))
    # each paragraph's white space folded (done by the split unless the text was hard-wrapped); the next
    # paragraph is read as split
    folded = [" ".join(p.split()) for p in paragraphs] if wrapped else paragraphs
    kept: list[str] = []
    embeds: list[Embed] = []
    removed: list[RemovedSpan] = [controls] if controls else []
    adblock = _names_blocker(text)
    walled = adblock and any(_adblock_wall(p, walled=False) for p in folded)
    i = 0
    while i < len(paragraphs):
        para = folded[i]
        nxt = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
        byline = _TWEET_BYLINE.match(para)
        if byline and kept and _tweet_link(kept[-1]):
            # An attribution line without the link in the same paragraph: the tweet was the last kept one.
            embeds.append(_tweet(kept.pop(), byline))
            i += 1
            continue
        if _tweet_link(para) and (nbyline := _TWEET_BYLINE.match(nxt)):
            embeds.append(_tweet(para, nbyline))
            i += 2
            continue
        if _INSTAGRAM.match(para):
            removed.append(RemovedSpan("embed", para))
            i += 1
            continue
        reason = _line_reason(para) or (
            "ad-blocker notice" if adblock and _adblock_wall(para, walled=walled) else None
        )
        if reason:
            removed.append(RemovedSpan(reason, para))
            i += 1
            continue
        if markers := _inline_markers(para):
            for marker in markers:
                removed.append(RemovedSpan("scraper-marker", marker.strip()))
            para = _INLINE_MARKER.sub(" ", para).strip()
        if para:
            kept.append(para)
        i += 1
    # A trailing "Source link" style line may be glued to the last paragraph by scrapers.
    if kept and "Source link" in kept[-1] and (m := _SOURCE_LINK.search(kept[-1])):
        removed.append(RemovedSpan("scraper-marker", m.group().strip()))
        kept[-1] = kept[-1][: m.start()].rstrip()
        if not kept[-1]:
            kept.pop()
    return "\n\n".join(kept), tuple(embeds), tuple(removed)


def _tweet(text: str, byline: re.Match[str]) -> Embed:
    link = _TWEET_LINK.search(text)
    return Embed(
        kind="tweet",
        text=_TWEET_LINK.sub("", text).strip(),
        url=link.group() if link else "",
        author=byline.group("author").strip(),
        handle=byline.group("handle"),
        date=(byline.group("date") or "").strip(),
    )


def clean_article(article: Article, *, settings: Settings = DEFAULT_SETTINGS) -> Article:
    """The article with clean text, its embeds and what was removed."""
    text, embeds, removed = clean_text(article.text)
    title, title_controls = strip_controls(article.title)
    if title_controls:
        removed += (replace(title_controls, text=f"title: {title_controls.text}"),)
    if len(text) > settings.max_article_chars:
        cut = text.rfind("\n\n", 0, settings.max_article_chars)
        cut = cut if cut > settings.max_article_chars // 2 else settings.max_article_chars
        removed += (
            RemovedSpan(
                "truncated",
                f"{len(text) - cut:,} characters over the limit of {settings.max_article_chars:,}",
            ),
        )
        text = text[:cut]
    return replace(
        article,
        text=text,
        title=" ".join(normalize_text(title).split()),
        # the record's other fields lose their control characters too (nothing to keep there)
        url=_CONTROLS.sub("", article.url),
        source=_CONTROLS.sub("", article.source),
        language=_CONTROLS.sub("", article.language),
        external_id=_CONTROLS.sub("", article.external_id),
        embeds=article.embeds + embeds,
        removed=article.removed + removed,
    )
