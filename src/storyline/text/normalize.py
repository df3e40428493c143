"""Normalised forms of text that names and words are compared on."""

from __future__ import annotations

import unicodedata
from urllib.parse import SplitResult, urlsplit


def unaccent(text: str) -> str:
    """Lower case without accents: "Moïse" and "Moise" compare equal (punctuation and spaces kept)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case, no accents, no dots, hyphens as spaces: the key names are compared on."""
    plain = unaccent(text)
    return " ".join(plain.replace(".", "").replace("-", " ").replace("'", "").split())


def split_url(url: str) -> SplitResult | None:
    """The parts of a URL, or None for a malformed one ("http://[::1"): article URLs are untrusted
    input, and a bad one costs the article its outlet and section, never the article."""
    try:
        return urlsplit(url)
    except ValueError:
        return None
