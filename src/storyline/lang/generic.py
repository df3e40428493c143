"""Language-neutral rules: what holds whatever the language (the pack of a language without its own)."""

from .base import LanguagePack

PACK = LanguagePack(
    code="",
    name="any language",
    # particles of names from languages without a pack (Dutch, Italian, Portuguese, Arabic)
    particles=frozenset("van da di al bin ibn dos das".split()),
    name_followers=frozenset(", . ; : )".split()),
    generic_units=frozenset("$ € £ ¥ us$ % -".split()),
    percent=("%",),
)
