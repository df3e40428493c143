"""Language packs: what storyline knows of each language, one module per language.

A pack (:class:`LanguagePack`) holds a language's word lists and rules: its month and
weekday names and the words of relative dates, its function words and number words, the
words that are capitalised but never names, the particles and honorifics around names, its
speech verbs, the labels of ad lines, and which tagger reads its names. :func:`pack` gives the
pack of an ISO 639-1 code, or the language-neutral :mod:`~storyline.lang.generic` pack for a
language without one.

The stages that read text in any language (the date parser, the quantity reader, the name
heuristics) use :func:`words`, :func:`table` and :func:`fragments`: the words of every pack
together, as they did when these lists lived in the stages.

**A new language is one new file**: a module in this package named by its code (``it.py``)
that defines ``PACK = LanguagePack(code="it", ...)`` (``from .base import LanguagePack``).
Packs are found by name (:func:`pkgutil.iter_modules` over this package,
:func:`importlib.import_module`); nothing else is registered. The stages build their patterns from the packs when first imported, so a
pack file is read by a new process (:func:`reset` makes :func:`pack` and the unions see a pack
added at run time, as a test does; patterns already built keep the words they had).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from .base import LanguagePack

__all__ = [
    "LanguagePack",
    "alternation",
    "codes",
    "fragments",
    "generic_pack",
    "pack",
    "packs",
    "reset",
    "table",
    "words",
]

#: modules of this package that are not a language's pack
_NOT_PACKS = frozenset({"base", "generic"})


def _module_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_PACKS)


def _load(name: str) -> LanguagePack | None:
    module = importlib.import_module(f"{__name__}.{name}")
    found = getattr(module, "PACK", None)
    return found if isinstance(found, LanguagePack) else None


@functools.lru_cache(maxsize=1)
def codes() -> tuple[str, ...]:
    """The codes of every language with a pack, sorted."""
    return tuple(name for name in _module_names() if _load(name) is not None)


@functools.lru_cache(maxsize=1024)  # bounded: the codes come from the records read
def pack(code: str | None) -> LanguagePack:
    """The pack of ``code`` (ISO 639-1, any case; "en-GB" reads as "en"); the generic pack
    for a language without one."""
    base = (code or "").split("-")[0].split("_")[0].strip().lower()
    if base in codes():
        found = _load(base)
        assert found is not None
        return found
    return generic_pack()


@functools.lru_cache(maxsize=1)
def generic_pack() -> LanguagePack:
    """The language-neutral pack (:mod:`storyline.lang.generic`)."""
    from .generic import PACK

    return PACK


@functools.lru_cache(maxsize=1)
def packs() -> tuple[LanguagePack, ...]:
    """Every language's pack (sorted by code), then the generic one."""
    return (*(pack(code) for code in codes()), generic_pack())


def words(name: str) -> frozenset[str]:
    """Set field ``name`` of every pack together."""
    found: frozenset[str] = _union(name)
    return found


def table(name: str) -> dict[str, Any]:
    """Mapping field ``name`` of every pack together (the pack of the earlier code wins a clash)."""
    found: dict[str, Any] = _union(name)
    return found


def fragments(name: str) -> tuple[Any, ...]:
    """Sequence field ``name`` of every pack together, without repeats, pack by pack."""
    found: tuple[Any, ...] = _union(name)
    return found


@functools.cache
def _union(name: str) -> Any:
    values = [getattr(p, name) for p in packs()]
    first = getattr(generic_pack(), name)
    if isinstance(first, frozenset):
        return frozenset().union(*values)
    if isinstance(first, Mapping):
        merged: dict[Any, Any] = {}
        for value in values:
            for key, item in value.items():
                merged.setdefault(key, item)
        return merged
    out: list[Any] = []
    for value in values:
        out.extend(v for v in value if v not in out)
    return tuple(out)


def alternation(words: tuple[str, ...]) -> str:
    """``words`` (regular-expression fragments) as one alternation, in their order, each once."""
    return "|".join(dict.fromkeys(words))


def reset() -> None:
    """Forget the packs found so far (after a pack module is added at run time, as a test does)."""
    for cached in (codes, pack, generic_pack, packs, _union):
        cached.cache_clear()
