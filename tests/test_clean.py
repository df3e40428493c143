"""Cleaning rules, on hand-made text and on the real seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.clean import rules
from storyline.clean.rules import clean_article, clean_text, normalize_text, split_paragraphs, strip_controls
from storyline.models import Article
from storyline.readers.records import make_article
from storyline.readers.sources import read_paths
from storyline.settings import Settings

PROSE = "The harbour authority of Sallow Bay said on Friday that the ferry service would resume next week."


def test_autoblog_markers_are_removed_and_kept() -> None:
    text, embeds, removed = clean_text(f"[ad_1]\n{PROSE}\nSecond paragraph stays.\n[ad_2]\nSource link")
    assert text == f"{PROSE}\n\nSecond paragraph stays."
    assert embeds == ()
    assert [(r.reason, r.text) for r in removed] == [
        ("scraper-marker", "[ad_1]"),
        ("scraper-marker", "[ad_2]"),
        ("scraper-marker", "Source link"),
    ]


def test_inline_marker_and_glued_source_link() -> None:
    text, _, removed = clean_text(f"[ad_1] {PROSE} Source link")
    assert text == PROSE
    assert {r.text for r in removed} == {"[ad_1]", "Source link"}


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Please enter your comment!",
        "Please enter your name here",
        "You have entered an incorrect email address!",
        "Share this:",
        "Click to share on Twitter (Opens in new window)",
        "Leave a Reply Cancel reply",
    ],
)
def test_ad_and_widget_lines(line: str) -> None:
    text, _, removed = clean_text(f"{PROSE}\n{line}\nThe end of the story.")
    assert line not in text
    assert text == f"{PROSE}\n\nThe end of the story."
    assert removed[0].reason in {"advertisement", "widget"} and removed[0].text == line


def test_prose_that_mentions_ads_is_kept() -> None:
    text, _, removed = clean_text("The advertisement campaign cost the ministry 2 million euros.")
    assert removed == () and "advertisement campaign" in text


def test_tweet_is_lifted_into_an_embed() -> None:
    raw = (
        f"{PROSE}\nThe talks are over, and nobody won. https://t.co/AbC123xyz\n"
        "— Mara Quint (@maraquint) March 3, 2024\nThe ferry company declined to comment."
    )
    text, embeds, _ = clean_text(raw)
    assert text == f"{PROSE}\n\nThe ferry company declined to comment."
    [tweet] = embeds
    assert (tweet.kind, tweet.text, tweet.url, tweet.author, tweet.handle, tweet.date) == (
        "tweet",
        "The talks are over, and nobody won.",
        "https://t.co/AbC123xyz",
        "Mara Quint",
        "maraquint",
        "March 3, 2024",
    )


def test_link_without_attribution_line_stays_prose() -> None:
    text, embeds, _ = clean_text(f"{PROSE} Read more at https://t.co/AbC123xyz")
    assert embeds == () and "t.co" in text


def test_unicode_and_quote_normalisation() -> None:
    assert (
        normalize_text("“Hello,” she said\u00a0— it’s\u200b fine\r\n") == '"Hello," she said — it\'s fine\n'
    )
    assert normalize_text("Cafe\u0301") == "Café"


def test_hard_wrapped_paragraphs_are_joined() -> None:
    assert split_paragraphs("one two\nthree four\n\nfive six\nseven") == [
        "one two three four",
        "five six seven",
    ]
    assert split_paragraphs("line one.\nline two.\n") == ["line one.", "line two."]


def test_overlong_text_is_cut_and_the_cut_recorded() -> None:
    article = make_article(text=("A sentence of prose here. " * 40 + "\n\n") * 100, origin="x")
    cleaned = clean_article(article, settings=Settings(max_article_chars=5_000))
    assert len(cleaned.text) <= 5_000
    assert cleaned.removed[-1].reason == "truncated"


def test_clean_is_idempotent() -> None:
    raw = f"[ad_1]\n“{PROSE}”\nAdvertisement\nMore prose here.\n[ad_2]\nSource link"
    once, _, _ = clean_text(raw)
    twice, _, removed = clean_text(once)
    assert once == twice and removed == ()


def test_seeds(seeds_dir: Path) -> None:
    raw = {Path(a.origin).name[:3]: a for a in read_paths([seeds_dir]) if isinstance(a, Article)}
    assert set(raw) == {"000", "001"}
    wire, repost = (clean_article(raw[k]) for k in ("000", "001"))
    assert wire.published == "2021-10-20"
    for marker in ("[ad_1]", "[ad_2]", "Source link"):
        assert marker not in repost.text
    [tweet] = repost.embeds
    assert tweet.handle == "bsarwary" and tweet.url.startswith("https://t.co/")
    assert "t.co" not in repost.text and "@bsarwary" not in repost.text
    assert "Khalilzad" in repost.text and "Khalilzad" in wire.text
    assert wire.removed == ()


def test_strip_controls_keeps_line_breaks_and_names_what_it_removed() -> None:
    from storyline.clean.rules import strip_controls

    assert strip_controls("plain text\twith a tab\nand a line") == (
        "plain text\twith a tab\nand a line",
        None,
    )
    text, span = strip_controls("page\x0cbreak and vertical\x0btab")  # form feed, vertical tab: line ends
    assert (text, span) == ("page\nbreak and vertical\ntab", None)
    text, span = strip_controls("bell\x07 and escape\x1b, twice\x07")
    assert text == "bell and escape, twice"
    assert span is not None and span.reason == "control-character"
    assert span.text == "2 x U+0007, 1 x U+001B"


@pytest.mark.parametrize(
    "title",
    [
        "\x1b[31mRED\x1b[0m alert",  # colour
        "\x1b[1;4;38;5;196mRED\x1b[m alert",  # bold, underline, 256 colours
        "\x1b]0;owned\x07RED alert",  # set the window title (BEL ends it)
        "\x1b]8;;https://example.net\x1b\\RED\x1b]8;;\x1b\\ alert",  # a hyperlink (ST ends it)
        "\x9b31mRED\x9b0m alert",  # the one-byte C1 CSI
        "\x1bcRED alert",  # reset the terminal
    ],
)
def test_a_terminal_escape_sequence_is_removed_whole(title: str) -> None:
    # deleting only the ESC left "[31mRED[0m" in a title
    text, span = strip_controls(title)
    assert text == "RED alert"
    assert span is not None and "terminal escape sequence" in span.text


@pytest.mark.parametrize(
    "wall",
    [
        "Example.net\n\nTurn off AdBlock\n\nTo keep reading our stories, please turn off AdBlock or add an "
        "exception for our site.\n\nRelax: the exception does not switch ad blocking off elsewhere.",
        "Przykład.pl Wyłącz AdBlocka, aby czytać nasze teksty, albo dodaj wyjątek dla naszej strony.",
        "Sie verwenden einen Werbeblocker. Bitte deaktivieren Sie ihn für unsere Seite.",
    ],
)
def test_ad_blocker_walls_are_removed_whole(wall: str) -> None:
    kept, _, removed = clean_text(wall)
    assert "block" not in kept.lower() and "deaktivieren" not in kept
    assert removed and {r.reason for r in removed} == {"ad-blocker notice"}


def test_a_report_on_ad_blocking_is_prose() -> None:
    text = (
        "The browser update will disable uBlock Origin for millions of users, the company said on Tuesday.\n\n"
        "Advertisers welcomed the change; AdBlock makers said they would appeal."
    )
    kept, _, removed = clean_text(text)
    assert kept == text and not removed


# ---------------------------------------------------------------- fast paths, against their plain definition

# text made of the pieces the rules look for, so the prefilters are put to the test (not only skipped)
_PIECES = st.sampled_from(
    "a|Z| |  |\t|\n|\n\n|[|]|[ad_1]|[AD_22]| [Ad_3] |t.co/|https://t.co/x1|pic.twitter.com/ab|http://t.co/"
    "|Source link|source link|Source link |é|\u00a0|\x07|\x1b|\x7f|\x85|\x9f|\x0b|\x0c|\r"
    "|— Ann Lee (@ann) May 1, 2021|  — Bo (@b)".split("|")
)
_TEXTS = st.lists(_PIECES, max_size=40).map("".join)


@given(_TEXTS)
def test_the_prefiltered_searches_find_what_the_plain_searches_find(text: str) -> None:
    link = rules._TWEET_LINK.search(text)
    fast = rules._tweet_link(text)
    assert (fast.span() if fast else None) == (link.span() if link else None)
    assert rules._inline_markers(text) == rules._INLINE_MARKER.findall(text)


@given(_TEXTS)
def test_strip_controls_removes_what_the_pattern_matches(text: str) -> None:
    expected = rules._ESCAPES.sub("", text.translate(rules._LINE_CONTROLS))
    found = rules._CONTROLS.findall(expected) or rules._ESCAPES.search(text.translate(rules._LINE_CONTROLS))
    stripped, span = strip_controls(text)
    assert stripped == rules._CONTROLS.sub("", expected)
    assert (span is None) == (not found)


@given(st.lists(_TEXTS, max_size=8).map("\n".join))
def test_unwrapped_paragraphs_have_their_white_space_folded(text: str) -> None:
    # clean_text reads the paragraphs of text that is not hard-wrapped as they are split (no second fold)
    paragraphs, wrapped = rules._split_paragraphs(text)
    assert paragraphs == split_paragraphs(text)
    if not wrapped:
        assert paragraphs == [" ".join(p.split()) for p in paragraphs]


def test_hard_wrapped_paragraphs_are_folded_and_a_tweet_is_still_lifted() -> None:
    text = (
        "The council  met\non Friday  evening.\n\n"
        "The mayor said\nthat the bridge would open. https://t.co/abc\n\n"
        "— Ann  Lee (@ann) May 1, 2021\n\nSource link"
    )
    cleaned, embeds, removed = clean_text(text)
    assert cleaned == "The council met on Friday evening."
    # the attribution line is read as split (as before the fast path: its author keeps two spaces)
    assert [(e.text, e.handle, e.author) for e in embeds] == [
        ("The mayor said that the bridge would open.", "ann", "Ann  Lee")
    ]
    assert [(r.reason, r.text) for r in removed] == [("scraper-marker", "Source link")]
