"""Sentence keys for learned boilerplate: which sentences count, and their normalised hashes
(tolerant of changed dates and figures), packed per article in the ingest workers."""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..models import Article

if TYPE_CHECKING:
    pass

_TOKEN = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_NONWORD = re.compile(r"[^\w\n]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_QUOTED = re.compile(r'"[^"]*"')

MIN_TOKENS = 4
MIN_CHARS = 20
MIN_CHARS_CJK = 12
#: words in the suffix key of a first sentence (the banner glued after a headline)
SUFFIX_TOKENS = 8


def tokens(text: str) -> list[str]:
    """The words of ``text`` as keys see them: NFKC, case-folded, each run of digits masked to ``0``."""
    return _TOKEN.findall(_DIGITS.sub("0", unicodedata.normalize("NFKC", text).casefold()))


def _hash(normalised: str, kind: str = "") -> int:
    """A stable 64-bit key (CRC-32 and Adler-32 side by side: C-speed, the same in every process)."""
    data = (kind + "\x1f" + normalised).encode("utf-8", "surrogatepass")
    value = (zlib.crc32(data) << 32) | zlib.adler32(data)
    return value - (1 << 64) if value >= 1 << 63 else value  # SQLite INTEGER is signed 64-bit


def sentence_key(sentence: str) -> int:
    """The key of a sentence: equal for sentences that differ only in case, spacing, punctuation, digits."""
    return _hash(" ".join(tokens(sentence)))


def countable(sentence: str) -> bool:
    """Whether a sentence is long enough to be judged, and not mostly a quotation."""
    toks = tokens(sentence)
    return _countable(sentence, " ".join(toks), len(toks))


def _countable(sentence: str, norm: str, n_tokens: int) -> bool:
    cjk = bool(_CJK.search(norm))
    if len(norm) < (MIN_CHARS_CJK if cjk else MIN_CHARS) or (n_tokens < MIN_TOKENS and not cjk):
        return False
    return '"' not in sentence or _unquoted(sentence)


def _unquoted(sentence: str) -> bool:
    """Whether less than half of a sentence is inside quotation marks."""
    quoted = sum(len(m.group()) for m in _QUOTED.finditer(sentence))
    return quoted < 0.5 * len(sentence.strip())


class _Unit(NamedTuple):
    at: int  # sentence index in the article
    key: int
    kind: str  # "sentence" or "suffix"
    n_tokens: int

    def sample(self, article: Article) -> str:
        """The sentence as the store keeps it for people to read (a suffix key: its end)."""
        sentence = article.sentences[self.at]
        return sentence[-300:] if self.kind == "suffix" else sentence[:300]


Units = tuple[_Unit, ...]
#: units as plain tuples, the form worker processes send them in (a named tuple pickles ten times slower)
PackedUnits = tuple[tuple[int, int, str, int], ...]


def unpack_units(packed: PackedUnits) -> Units:
    """Units from their plain tuples (see :func:`packed_units`; units already unpacked stay as they are)."""
    if packed and isinstance(packed[0], _Unit):
        return packed  # type: ignore[return-value]
    return tuple(map(_Unit._make, packed))


# ASCII text takes a byte-level path (one translate, C-speed splits): letters lower-cased, digits to "0",
# every other character but "_" and the line break to a space. Same result as :func:`tokens`.
_ASCII_FOLD = bytes(
    c + 32 if 65 <= c <= 90 else 48 if 48 <= c <= 57 else c if c in (95, 10) or 97 <= c <= 122 else 32
    for c in range(256)
)
_ZEROS = re.compile(rb"0{2,}")
_SPACES = re.compile(rb"  +")


def _normalised(sentences: Sequence[str]) -> list[str]:
    """Each sentence's words joined by single spaces, as :func:`tokens` gives them, for a whole article
    at once (one pass over the text: per-sentence regex calls cost more than the work)."""
    joined = "\n".join(sentences)
    if joined.isascii():
        folded = joined.encode("ascii").translate(_ASCII_FOLD)
        if b"00" in folded:
            folded = _ZEROS.sub(b"0", folded)
        lines = folded.split(b"\n")
        if len(lines) == len(sentences):
            return [b" ".join(line.split()).decode("ascii") for line in lines]
    else:
        joined = unicodedata.normalize("NFKC", joined)
        parts = _NONWORD.sub(" ", _DIGITS.sub("0", joined.casefold())).split("\n")
        if len(parts) == len(sentences):
            return [p.strip() for p in parts]
    return [" ".join(tokens(s)) for s in sentences]  # a line break inside a sentence: one at a time


def article_units(article: Article, *, edges: int | None = None) -> Units:
    """The countable sentences of an article as keys (computed where the article is prepared).

    With ``edges``, only the first and last ``edges`` sentences: where banners, notices and footers
    sit. The learner reads the inner sentences of an article only when its edges recur."""
    return tuple(map(_Unit._make, packed_units(article, edges=edges)))


def packed_units(article: Article, *, edges: int | None = None) -> PackedUnits:
    """:func:`article_units` as plain tuples (what worker processes send: a named tuple pickles ten times slower)."""
    sentences = article.sentences
    picked = range(len(sentences))
    if edges is not None and len(sentences) > 2 * edges:
        picked = range(len(sentences))[:edges]
        picked = [*picked, *range(len(sentences) - edges, len(sentences))]  # type: ignore[assignment]
    chosen = [sentences[i] for i in picked]
    joined = "\n".join(chosen)
    if joined.isascii():
        # ASCII text: words folded, counted and hashed as bytes (the same keys as the str path)
        folded = joined.encode("ascii").translate(_ASCII_FOLD)
        if b"00" in folded:
            folded = _ZEROS.sub(b"0", folded)
        # the only white space left is spaces and line breaks: runs of spaces folded once for the whole text
        lines = _SPACES.sub(b" ", folded).split(b"\n")
        if len(lines) == len(chosen):
            return _ascii_units(picked, chosen, lines)
    out: list[tuple[int, int, str, int]] = []
    for i, sentence, norm in zip(picked, chosen, _normalised(chosen), strict=True):
        n_tokens = norm.count(" ") + 1 if norm else 0
        if not _countable(sentence, norm, n_tokens):
            continue
        out.append((i, _hash(norm), "sentence", n_tokens))
        if i == 0 and n_tokens >= SUFFIX_TOKENS + 3:
            tail = " ".join(norm.rsplit(" ", SUFFIX_TOKENS)[-SUFFIX_TOKENS:])
            out.append((i, _hash(tail, "suffix"), "suffix", n_tokens))
    return tuple(out)


_CRC_SEP, _ADLER_SEP = zlib.crc32(b"\x1f"), zlib.adler32(b"\x1f")
_CRC_SUFFIX, _ADLER_SUFFIX = zlib.crc32(b"suffix\x1f"), zlib.adler32(b"suffix\x1f")


def _ascii_units(picked: Iterable[int], chosen: Sequence[str], lines: Sequence[bytes]) -> PackedUnits:
    out: list[tuple[int, int, str, int]] = []
    crc32, adler32 = zlib.crc32, zlib.adler32
    for i, sentence, line in zip(picked, chosen, lines, strict=True):
        norm = line.strip(b" ")  # words joined by single spaces (see packed_units)
        if len(norm) < MIN_CHARS:
            continue
        n_tokens = norm.count(b" ") + 1
        if n_tokens < MIN_TOKENS or ('"' in sentence and not _unquoted(sentence)):
            continue
        value = (crc32(norm, _CRC_SEP) << 32) | adler32(norm, _ADLER_SEP)
        out.append((i, value - (1 << 64) if value >= 1 << 63 else value, "sentence", n_tokens))
        if i == 0 and n_tokens >= SUFFIX_TOKENS + 3:
            tail = b" ".join(norm.rsplit(b" ", SUFFIX_TOKENS)[1:])
            value = (crc32(tail, _CRC_SUFFIX) << 32) | adler32(tail, _ADLER_SUFFIX)
            out.append((i, value - (1 << 64) if value >= 1 << 63 else value, "suffix", n_tokens))
    return tuple(out)
