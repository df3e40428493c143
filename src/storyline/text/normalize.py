"""Normalised forms of text that names and words are compared on."""

from __future__ import annotations

import unicodedata


def unaccent(text: str) -> str:
    """Lower case without accents: "Moïse" and "Moise" compare equal (punctuation and spaces kept)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case, no accents, no dots, hyphens as spaces: the key names are compared on."""
    plain = unaccent(text)
    return " ".join(plain.replace(".", "").replace("-", " ").replace("'", "").split())
