"""Learned boilerplate: the sentences a site (or the whole crawl) repeats across unrelated articles.

The fixed rules of :mod:`storyline.clean` know a list of markers; everything else a scraper keeps (cookie
walls, disclaimers, newsletter prompts, forum footers, a network's "about us" paragraph) is learned here
from what recurs. Each sentence of an article (``article.sentences``) gets a key: a hash of its words
after NFKC, case folding and masking every run of digits (so "Updated 10:42, 3 May" and "Updated 9:15,
4 May" share one key). The store keeps, per *scope* (the article's site, and ``""`` for the whole
corpus) and key, how many articles held it and how many of those were **unrelated** to the holders seen
before: two holders are related when, outside the text they share word for word, they still name the
same people and places, or one is contained in the other (a reprint of one agency report, a follow-up
of one story; see :func:`related`); a cookie notice under two unrelated headlines shares nothing else.

A sentence is boilerplate when

* ``site``: it is in ``Settings.boilerplate_site_min`` unrelated articles of its site (default 3);
* ``corpus``: it is in ``Settings.boilerplate_corpus_min`` unrelated articles of the corpus (default 2)
  *as part of a block* (another sentence of the article recurs in unrelated articles too, or the sentence
  alone is long, 20+ words), or a lone sentence that opens or closes the article in twice as many.

Never counted: sentences of fewer than 4 words (20 characters; 12 for Chinese/Japanese/Korean), and
sentences that are mostly inside quotation marks (a famous line quoted by many different articles is
news, not boilerplate). The first sentence of an article also gets a *suffix* key (its last 8 words): a
scraped blob that glues the headline to the banner ("Schweiz schränkt Export ein Um die Funktion unserer
Website …") loses the banner part and keeps the headline.

Cost: every article's first and last ``EDGE_SENTENCES`` (4) sentences are counted, where banners,
notices and footers sit; its inner sentences only when one of those recurs (and, at a key's second
sighting, the inner sentences of its first holder too). Keys are computed in the ingest workers.

Memory: the counts live in the store (table ``boilerplate``), never all in memory: a batch reads and
writes only its own keys (committed with the batch), and keys seen once whose last sighting is more than
``Settings.boilerplate_horizon`` articles old are pruned (a scan each time the store grows by half a
horizon), so the table holds the distinct edge sentences of the last ``horizon`` articles plus the
recurring ones; a key seen once has a corpus row only, its site row is made at its second sighting.
First sightings wait in memory (at most ``FIRST_SIGHTINGS``, 20,000 keys, about 2 MB) and are written
together in key order: a batch's random keys would otherwise dirty most pages of the table at every commit. An
ingest that dies loses those (they only delay learning by one sighting). Each
key remembers at most 4 unrelated holders (to test relatedness against) and 16 holders (to re-clean
when the key becomes boilerplate); the relatedness test reads at most 800 words of an article.

Removed sentences go to ``article.removed`` with their reason ("site boilerplate: seen in 37 articles of
example.com (12 unrelated)"). An article whose whole text is boilerplate is quarantined at ingest, or,
when stored before its boilerplate was known, flagged ``boilerplate-only`` and kept out of stories and
copies. A stored article cleaned again loses its story membership, profile and copy links, so the next
run of the story and copy stages places it on its clean text.

Known limits: machine-translated variants of one banner (the STS22 texts) differ word by word and are
learned only where sentences coincide exactly; pages that are nothing but one notice (an IP block page)
are contained in each other, so they count as related and stay copies of each other."""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from ..errors import NotFoundError
from ..models import Article, RemovedSpan
from ..settings import DEFAULT_SETTINGS, Settings

if TYPE_CHECKING:
    from ..store.base import Store

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
#: a sentence this long recurring in unrelated articles is a block on its own
LONG_TOKENS = 20
#: sentences at each end of an article counted for every article; the inner ones only when an edge recurs
EDGE_SENTENCES = 4
#: stored articles whose inner sentences one batch counts late (see BoilerplateLearner.learn)
MAX_BACKFILL = 200
#: first sightings kept in memory before they are written together, sorted (about 100 bytes each)
FIRST_SIGHTINGS = 20_000
#: unrelated holders remembered per key (to test a new holder against), and holders (to re-clean)
MAX_REPS = 4
MAX_HOLDERS = 16
#: two holders are related when the words outside their verbatim shared text overlap this much, or
#: when this share of one side's own words is found anywhere in the other (see :func:`related`)
RELATED_OVERLAP = 0.1
RELATED_OWN = 0.4
RELATED_NAMES = 0.14
SHARED_NGRAM = 4
#: words of each article that the relatedness test reads
RELATED_TOKENS = 800
#: reasons of removed spans that this module writes (copies ignore the shingles of such text)
REASONS = ("site boilerplate", "corpus boilerplate")
BOILERPLATE_ONLY = "boilerplate-only"


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


def _countable(sentence: str, norm: str, n_tokens: int, ascii_text: bool = False) -> bool:
    cjk = not ascii_text and bool(_CJK.search(norm))
    if len(norm) < (MIN_CHARS_CJK if cjk else MIN_CHARS) or (n_tokens < MIN_TOKENS and not cjk):
        return False
    if '"' not in sentence:
        return True
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


def pack_units(units: Units) -> PackedUnits:
    """``units`` as plain tuples, cheap to send between processes (see :func:`unpack_units`)."""
    return tuple(map(tuple, units))  # type: ignore[arg-type]


def unpack_units(packed: PackedUnits) -> Units:
    """The units :func:`pack_units` packed."""
    return tuple(map(_Unit._make, packed))


# ASCII text takes a byte-level path (one translate, C-speed splits): letters lower-cased, digits to "0",
# every other character but "_" and the line break to a space. Same result as :func:`tokens`.
_ASCII_FOLD = bytes(
    c + 32 if 65 <= c <= 90 else 48 if 48 <= c <= 57 else c if c in (95, 10) or 97 <= c <= 122 else 32
    for c in range(256)
)
_ZEROS = re.compile(rb"0{2,}")


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
    sentences = article.sentences
    picked = range(len(sentences))
    if edges is not None and len(sentences) > 2 * edges:
        picked = range(len(sentences))[:edges]
        picked = [*picked, *range(len(sentences) - edges, len(sentences))]  # type: ignore[assignment]
    chosen = [sentences[i] for i in picked]
    out: list[_Unit] = []
    ascii_text = all(s.isascii() for s in chosen)  # then no CJK to look for
    for i, sentence, norm in zip(picked, chosen, _normalised(chosen), strict=True):
        n_tokens = norm.count(" ") + 1 if norm else 0
        if not _countable(sentence, norm, n_tokens, ascii_text):
            continue
        out.append(_Unit(i, _hash(norm), "sentence", n_tokens))
        if i == 0 and n_tokens >= SUFFIX_TOKENS + 3:
            tail = " ".join(norm.rsplit(" ", SUFFIX_TOKENS)[-SUFFIX_TOKENS:])
            out.append(_Unit(i, _hash(tail, "suffix"), "suffix", n_tokens))
    return tuple(out)


def related(
    a: Sequence[str],
    b: Sequence[str],
    title_a: Sequence[str] = (),
    title_b: Sequence[str] = (),
    names_a: Set[str] | None = None,
    names_b: Set[str] | None = None,
) -> bool:
    """Whether two token sequences share content beyond the text they have in common word for word.

    Words covered by a shared 4-gram are set aside; what is left of each side (its words of 4+
    characters) is its own content. The two are related when

    * one side has nothing of its own (it is contained in the other: a reprint), or much of one
      side's own content (``RELATED_OWN``) is found anywhere in the other (a reprint under a headline
      drawn from the body);
    * their titles share two words of 4+ characters (two headlines of one event);
    * their own *names* overlap (``RELATED_NAMES`` of the smaller side): names are the words an
      article writes capitalised and never in lower case (people, places, organisations, and German
      nouns), or any word of a script without case. Two edited reports of one event name the same
      people and places outside their verbatim part; long unrelated articles share many common
      words, but few names. Without names given, the overlap of all their own words decides.

    (Thresholds read off the pairs of the precision sample, see ``bench/boilerplate_precision.py``:
    18 pairs sharing only boilerplate shared 0-0.125 of their names, 7 same-event pairs 0.14-0.8:
    a tight margin, set on the pairs it is measured on.)
    """
    head_a = {w for w in title_a if len(w) >= 4 and w != "0"}
    if len(head_a & {w for w in title_b if len(w) >= 4 and w != "0"}) >= 2:
        return True
    n = SHARED_NGRAM

    def grams(t: Sequence[str]) -> set[tuple[str, ...]]:
        return {tuple(t[i : i + n]) for i in range(len(t) - n + 1)}

    shared = grams(a) & grams(b)

    def rest(t: Sequence[str]) -> set[str]:
        covered = [False] * len(t)
        for i in range(len(t) - n + 1):
            if tuple(t[i : i + n]) in shared:
                for j in range(i, i + n):
                    covered[j] = True
        return {w for w, c in zip(t, covered, strict=True) if not c and len(w) >= 4 and w != "0"}

    ra, rb = rest(a), rest(b)
    if not ra or not rb:
        return True
    wa, wb = set(a), set(b)
    if max(len(ra & wb) / len(ra), len(rb & wa) / len(rb)) >= RELATED_OWN:
        return True
    if names_a is not None and names_b is not None:
        na, nb = ra & names_a, rb & names_b
        return bool(na and nb) and len(na & nb) / min(len(na), len(nb)) >= RELATED_NAMES
    return len(ra & rb) / min(len(ra), len(rb)) >= RELATED_OVERLAP


def names(text: str) -> set[str]:
    """The case-folded words ``text`` writes capitalised and never in lower case, and the words of
    scripts without case (see :func:`related`)."""
    raw = _TOKEN.findall(unicodedata.normalize("NFKC", text))
    lower = {w for w in raw if w.islower()}
    return {
        w.casefold()
        for w in raw
        if not w.isdigit() and ((w[0].isupper() and w.lower() not in lower) or w.lower() == w.upper())
    }


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the relatedness test reads of an article."""

    tokens: list[str]
    title: list[str]
    names: set[str]
    source: str


def _seen(article: Article) -> _Seen:
    """Title, text and the boilerplate already taken out of it (the article as first read)."""
    taken = [r.text for r in article.removed if r.reason.startswith(REASONS)]
    whole = "\n".join([article.title, article.text, *taken])
    # the opening words are enough to tell a reprint from a banner, and keep the check cheap
    return _Seen(tokens(whole)[:RELATED_TOKENS], tokens(article.title), names(whole), article.source)


@dataclass(slots=True)
class Count:
    """What the store knows of one key in one scope."""

    scope: str
    key: int
    kind: str
    articles: int = 0
    unrelated: int = 0
    reps: list[str] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)
    sample: str = ""
    last_seq: int = 0


@dataclass(frozen=True, slots=True)
class CountsUpdate:
    """What one batch taught: rows of keys new to the store, counts changed, and a pruning bound."""

    new: list[tuple[object, ...]]
    updated: list[Count]
    prune_before: int | None = None


def _corpus_boilerplate(
    count: Count | None, others: int, n_tokens: int, edge: bool, settings: Settings
) -> bool:
    """``others``: how many other sentences of the article recur in unrelated articles of the corpus."""
    if count is None:
        return False
    need = settings.boilerplate_corpus_min
    if count.unrelated >= need and (n_tokens >= LONG_TOKENS or others >= 1):
        return True
    return edge and count.unrelated >= 2 * need


def decide(
    article: Article,
    counts: Mapping[tuple[str, int], Count],
    *,
    settings: Settings = DEFAULT_SETTINGS,
    units: Units | None = None,
) -> dict[int, tuple[str, str | None]]:
    """Sentence index -> (reason, the sample of a suffix key or None) for each boilerplate sentence."""
    units = article_units(article) if units is None else units
    scopes = (article.source, "") if article.source else ("",)
    low = min(settings.boilerplate_site_min, settings.boilerplate_corpus_min)
    if not any(
        (c := counts.get((s, u.key))) is not None and c.unrelated >= low for u in units for s in scopes
    ):
        return {}  # the usual case: nothing of this article recurs
    by_index: dict[int, dict[str, _Unit]] = {}
    for u in units:
        by_index.setdefault(u.at, {})[u.kind] = u
    last = len(article.sentences) - 1
    need = settings.boilerplate_corpus_min
    recurring = sum(
        1
        for kinds in by_index.values()
        if "sentence" in kinds
        and (c := counts.get(("", kinds["sentence"].key))) is not None
        and c.unrelated >= need
    )
    out: dict[int, tuple[str, str | None]] = {}
    for index, kinds in by_index.items():
        sentence = kinds.get("sentence")
        if sentence is None:
            continue
        n_tokens = sentence.n_tokens
        edge = index == 0 or index == last
        site_count = counts.get((article.source, sentence.key)) if article.source else None
        if site_count is not None and site_count.unrelated >= settings.boilerplate_site_min:
            out[index] = (
                f"site boilerplate: seen in {site_count.articles} articles of {article.source} "
                f"({site_count.unrelated} unrelated)",
                None,
            )
            continue
        corpus = counts.get(("", sentence.key))
        others = recurring - (1 if corpus is not None and corpus.unrelated >= need else 0)
        if _corpus_boilerplate(corpus, others, n_tokens, edge, settings):
            assert corpus is not None
            out[index] = (
                f"corpus boilerplate: seen in {corpus.articles} articles ({corpus.unrelated} unrelated)",
                None,
            )
            continue
        suffix = kinds.get("suffix")
        if suffix is None:
            continue
        # A first sentence whose tail recurs: the headline glued to a banner. Site first, then corpus.
        for scope in [article.source, ""] if article.source else [""]:
            c = counts.get((scope, suffix.key))
            if c is None:
                continue
            need_here = settings.boilerplate_site_min if scope else need
            if c.unrelated >= need_here and (scope or recurring >= 1):
                where = f"of {scope} " if scope else ""
                out[index] = (
                    f"{'site' if scope else 'corpus'} boilerplate: the end of this sentence is seen in "
                    f"{c.articles} articles {where}({c.unrelated} unrelated)",
                    c.sample,
                )
                break
    return out


def strip(article: Article, decisions: Mapping[int, tuple[str, str | None]]) -> Article:
    """The article without its boilerplate sentences (a glued first sentence keeps its head)."""
    if not decisions:
        return article
    text = article.text
    spans: list[tuple[int, int] | None] = []
    pos = 0
    for sentence in article.sentences:
        at = text.find(sentence, pos)
        if at < 0:
            spans.append(None)
            continue
        spans.append((at, at + len(sentence)))
        pos = at + len(sentence)
    cuts: list[tuple[int, int]] = []
    removed: list[RemovedSpan] = []
    sentences = list(article.sentences)
    for index in sorted(decisions):
        reason, sample = decisions[index]
        span = spans[index] if index < len(spans) else None
        if span is None:
            continue
        sentence = article.sentences[index]
        if sample is None:
            cuts.append(span)
            removed.append(RemovedSpan(reason, sentence))
            sentences[index] = ""
            continue
        start = _shared_tail_start(sentence, sample)
        if start is None or start == 0:
            continue
        cuts.append((span[0] + start, span[1]))
        removed.append(RemovedSpan(reason, sentence[start:].strip()))
        sentences[index] = sentence[:start].strip()
    if not cuts:
        return article
    pieces: list[str] = []
    pos = 0
    for start, end in sorted(cuts):
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    joined = "".join(pieces)
    paragraphs = [" ".join(line.split()) for line in joined.split("\n")]
    new_text = "\n\n".join(p for p in paragraphs if p)
    return replace(
        article,
        text=new_text,
        sentences=tuple(s for s in sentences if s),
        removed=article.removed + tuple(removed),
    )


def _shared_tail_start(sentence: str, sample: str) -> int | None:
    """Where, in ``sentence``, the words it shares at its end with ``sample`` begin (None: fewer than 8)."""
    mine = [
        (m.start(), _DIGITS.sub("0", unicodedata.normalize("NFKC", m.group()).casefold()))
        for m in _TOKEN.finditer(sentence)
    ]
    theirs = tokens(sample)
    n = 0
    while n < min(len(mine), len(theirs)) and mine[-1 - n][1] == theirs[-1 - n]:
        n += 1
    if n < SUFFIX_TOKENS:
        return None
    return mine[-n][0]


def is_boilerplate_only(article: Article) -> bool:
    """Whether cleaning flagged the article as nothing but boilerplate."""
    return any(r.reason == BOILERPLATE_ONLY for r in article.removed)


def flag_boilerplate_only(article: Article) -> Article:
    """The article emptied and flagged: its whole text was learned boilerplate."""
    return replace(
        article,
        text="",
        sentences=(),
        removed=(
            *article.removed,
            RemovedSpan(
                BOILERPLATE_ONLY, "the whole text is learned boilerplate: kept out of stories and copies"
            ),
        ),
    )


class BoilerplateLearner:
    """Updates the store's counts batch by batch and cleans articles with what is known.

    :meth:`learn` counts a batch (before it is stored) and returns it cleaned, plus the ids of stored
    articles that hold a key that just became recurring; :meth:`reclean` cleans those in the store
    (their story and copy decisions are dropped, so the next stages place them again).
    """

    def __init__(self, store: Store, *, settings: Settings = DEFAULT_SETTINGS) -> None:
        self.store = store
        self.settings = settings
        self.pending: CountsUpdate | None = None
        #: corpus keys seen once, not yet written: key -> its holder (an index into ``_holders``, one
        #: int object shared by the keys of an article). A batch's random keys would dirty most pages of
        #: the table at every commit; buffered, they are written FIRST_SIGHTINGS at a time, sorted.
        self.first_sightings: dict[int, int] = {}
        #: (article id, storing number) of the holders of first sightings
        self._holders: list[tuple[str, int]] = []
        #: the samples of the suffix keys among first sightings (a sentence key keeps none until seen twice)
        self._suffixes: dict[int, str] = {}

    def learn(
        self, articles: Sequence[Article], units: Mapping[str, Units] | None = None
    ) -> tuple[list[Article], set[str]]:
        """Count ``articles``' sentences, then return them cleaned and the stored articles to re-clean.

        ``units`` (article id -> :func:`article_units`) saves computing them here when the worker
        processes did. A key seen for the first time gets a corpus row only; its site row is made at
        its second sighting, seeded with the earlier holders of that site (the table stays about half
        the size, and first sightings, the bulk of any crawl, cost one row)."""
        given = dict(units or {})
        for a in articles:
            if a.id not in given:
                given[a.id] = article_units(a, edges=EDGE_SENTENCES)
        batch_ids = {a.id for a in articles}
        stored_before = self.store.stored_ids([a.id for a in articles])
        fresh = [a for a in articles if a.id not in stored_before]  # duplicates were counted when stored
        counts = self._lookup_corpus({u.key for a in fresh for u in given[a.id]})
        # An article whose edges recur (or repeat within the batch) is read whole: its inner sentences
        # may continue the banner. Most articles share nothing and cost their edge sentences only.
        in_batch = Counter(u.key for a in fresh for u in given[a.id])
        hot = {k for _, k in counts} | {k for k, n in in_batch.items() if n > 1}
        touched: set[str] = set()
        for a in fresh:
            if hot and not hot.isdisjoint([u.key for u in given[a.id]]):
                touched.add(a.id)
                if len(a.sentences) > 2 * EDGE_SENTENCES:
                    given[a.id] = article_units(a)
        # A key met for the second time: its first holder was stored with its edges counted only.
        # Its inner sentences are counted now (once: a holder already counted for a key is skipped),
        # so a banner block shared by two articles is learned from those two.
        backfill: list[Article] = []
        if touched:
            firsts = {
                c.holders[0]
                for a in fresh
                if a.id in touched
                for u in given[a.id]
                if (c := counts.get(("", u.key))) is not None and c.articles == 1 and c.holders
            } - batch_ids
            for holder in sorted(firsts)[:MAX_BACKFILL]:
                try:
                    old = self.store.get_article(holder)
                except NotFoundError:
                    continue
                if len(old.sentences) > 2 * EDGE_SENTENCES and not is_boilerplate_only(old):
                    backfill.append(old)
                    given[old.id] = article_units(old)
                    touched.add(old.id)
        if touched:
            in_batch = Counter(u.key for a in [*backfill, *fresh] for u in given[a.id])
            inner = {
                ("", u.key) for a in [*backfill, *fresh] if a.id in touched for u in given[a.id]
            } - counts.keys()
            counts.update(self._lookup(inner))
            site_keys = {
                (a.source, u.key)
                for a in [*backfill, *fresh]
                if a.source and a.id in touched
                for u in given[a.id]
                if ("", u.key) in counts
            }
            counts.update(self.store.boilerplate_counts(site_keys))
        buffered = {k for k in counts if k[0] == "" and k[1] in self.first_sightings}
        existing = set(counts) - buffered
        seq = self.store.max_seq()
        batch = {a.id: a for a in articles}
        cache: dict[str, _Seen] = {}
        changed: dict[tuple[str, int], Count] = {}
        reclean: set[str] = set()
        top = max(self.settings.boilerplate_site_min, 2 * self.settings.boilerplate_corpus_min)

        def toks(article_id: str) -> _Seen | None:
            """(tokens, title tokens, source) of an article of the batch or the store."""
            if article_id not in cache:
                if len(cache) > 4096:  # bounded: tokens of a few thousand articles at a time
                    cache.clear()
                article = batch.get(article_id)
                if article is None:
                    try:
                        article = self.store.get_article(article_id)
                    except NotFoundError:
                        return None
                cache[article_id] = _seen(article)
            return cache[article_id]

        def count_one(article: Article, unit: _Unit, count: Count, when: int) -> None:
            if article.id in count.holders:
                return
            if unit.kind == "sentence" and count.articles == 1:
                count.sample = unit.sample(article)  # kept from the second sighting on: singletons stay small
            elif unit.kind == "suffix" and not count.articles:
                count.sample = unit.sample(article)
            elif unit.kind == "suffix":
                # keep, as the sample, only the tail the holders share: the banner, not a headline
                text = unit.sample(article)
                at = _shared_tail_start(text, count.sample)
                if at is not None:
                    count.sample = text[at:]
            before = count.unrelated
            if not count.reps:
                count.unrelated += 1  # the first holder: nothing to be related to
                count.reps.append(article.id)
            elif count.unrelated < top:
                mine = toks(article.id)
                reps = [t for r in count.reps if (t := toks(r)) is not None]
                if mine is not None and not any(
                    related(mine.tokens, t.tokens, mine.title, t.title, mine.names, t.names) for t in reps
                ):
                    count.unrelated += 1
                    if len(count.reps) < MAX_REPS:
                        count.reps.append(article.id)
            count.articles += 1
            if len(count.holders) < MAX_HOLDERS:
                count.holders.append(article.id)
            count.last_seq = when
            changed[(count.scope, count.key)] = count
            if count.unrelated > before and count.unrelated >= 2:
                reclean.update(h for h in count.holders if h not in batch)

        first_rows: list[tuple[object, ...]] = []  # keys seen for the first time: rows written as they are
        sightings, holders, suffixes = self.first_sightings, self._holders, self._suffixes
        for n, article in enumerate([*backfill, *fresh]):
            when = seq + max(1, n + 1 - len(backfill))
            done: set[int] = set()
            slot = -1  # its holder slot, made at its first new key (one int object for all of them)
            is_touched = article.id in touched
            for unit in given[article.id]:
                if unit.key in done:
                    continue
                done.add(unit.key)
                corpus = counts.get(("", unit.key))
                if corpus is None and (not is_touched or in_batch.get(unit.key, 0) <= 1):
                    if slot < 0:
                        slot = len(holders)
                        holders.append((article.id, when))
                    sightings[unit.key] = slot
                    if unit.kind == "suffix":
                        suffixes[unit.key] = unit.sample(article)
                    else:
                        suffixes.pop(unit.key, None)
                    continue
                if article.source and corpus is not None:
                    site = counts.get((article.source, unit.key))
                    if site is None:
                        site = self._seed_site(article.source, corpus, toks)
                        counts[(article.source, unit.key)] = site
                    count_one(article, unit, site, when)
                if corpus is None:
                    corpus = counts[("", unit.key)] = Count("", unit.key, unit.kind)
                count_one(article, unit, corpus, when)
        # pruning scans the table: done each time the store grows by half a horizon
        step = max(1, self.settings.boilerplate_horizon // 2)
        prune = seq - self.settings.boilerplate_horizon if seq // step != (seq + len(fresh)) // step else None
        for k in changed:
            if k[0] == "" and sightings.pop(k[1], None) is not None:  # seen again: written with the batch
                suffixes.pop(k[1], None)
        if prune is not None:  # the same horizon for first sightings still in memory
            alive = {i for i, (_, w) in enumerate(holders) if w >= prune}
            self.first_sightings = {k: i for k, i in sightings.items() if i in alive}
            self._suffixes = {k: t for k, t in suffixes.items() if k in self.first_sightings}
        if len(self.first_sightings) >= FIRST_SIGHTINGS or len(self._holders) >= FIRST_SIGHTINGS:
            first_rows = self._take_first_sightings()
        self.pending = CountsUpdate(
            [*first_rows, *(counts_to_row(c) for k, c in changed.items() if k not in existing)],
            [c for k, c in changed.items() if k in existing],
            prune,
        )
        # an article that shares nothing with the store or the batch has nothing to remove
        cleaned = [
            self.clean(a, counts, given[a.id]) if a.id in touched or a.id in stored_before else a
            for a in articles
        ]
        return cleaned, reclean

    def _buffered(self, key: int) -> Count:
        """The count of a first sighting still in memory."""
        holder, when = self._holders[self.first_sightings[key]]
        sample = self._suffixes.get(key)
        kind = "sentence" if sample is None else "suffix"
        return Count("", key, kind, 1, 1, [holder], [holder], sample or "", when)

    def _lookup_corpus(self, keys: set[int]) -> dict[tuple[str, int], Count]:
        """Counts of the corpus scope's ``keys``, from the first sightings not written yet and the store."""
        in_memory = keys & self.first_sightings.keys()
        out = {("", k): self._buffered(k) for k in in_memory}
        if len(in_memory) < len(keys):
            out.update(self.store.boilerplate_counts(("", k) for k in keys - in_memory))
        return out

    def _lookup(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Count]:
        """Counts of ``keys`` from the store and from the first sightings not written yet."""
        keys = set(keys)
        out: dict[tuple[str, int], Count] = {
            (scope, key): self._buffered(key)
            for scope, key in keys
            if scope == "" and key in self.first_sightings
        }
        out.update(self.store.boilerplate_counts(keys - out.keys()))
        return out

    def _take_first_sightings(self) -> list[tuple[object, ...]]:
        """The first sightings in memory as rows, in key order (written in order, they fill the
        table's pages one after another), and the buffer emptied."""
        holders, suffixes = self._holders, self._suffixes
        rows: list[tuple[object, ...]] = []
        for key in sorted(self.first_sightings):
            holder, when = holders[self.first_sightings[key]]
            sample = suffixes.get(key)
            kind = "sentence" if sample is None else "suffix"
            rows.append(("", key, kind, 1, 1, holder, holder, sample or "", when))
        self.first_sightings, self._holders, self._suffixes = {}, [], {}
        return rows

    def flush(self) -> None:
        """Write the first sightings still in memory (at the end of an ingest)."""
        if self.first_sightings:
            self.store.write_boilerplate_counts(CountsUpdate(self._take_first_sightings(), []))
        self._holders = []

    def take_pending(self) -> CountsUpdate | None:
        """What the last :meth:`learn` counted, for the store to write with the batch (then cleared)."""
        pending, self.pending = self.pending, None
        return pending

    @staticmethod
    def _seed_site(site: str, corpus: Count, toks: Callable[[str], _Seen | None]) -> Count:
        """A site row made at a key's second sighting: the corpus row's holders of that site."""
        count = Count(site, corpus.key, corpus.kind, sample=corpus.sample)
        for holder in corpus.holders:
            info = toks(holder)
            if info is None or info.source != site:
                continue
            count.articles += 1
            count.holders.append(holder)
            if holder in corpus.reps:
                count.unrelated += 1
                count.reps.append(holder)
        count.last_seq = corpus.last_seq
        return count

    def clean(
        self, article: Article, counts: Mapping[tuple[str, int], Count], units: Units | None = None
    ) -> Article:
        """``article`` without the boilerplate ``counts`` know of (flagged when nothing else is left)."""
        cleaned = strip(article, decide(article, counts, settings=self.settings, units=units))
        if cleaned is not article and len(cleaned.text.strip()) < self.settings.min_text_chars:
            return flag_boilerplate_only(cleaned)
        return cleaned

    def reclean(self, article_ids: Iterable[str]) -> list[str]:
        """Clean stored articles again with what is known now; returns the ids that changed."""
        ids = sorted(set(article_ids))
        if not ids:
            return []
        stored = [i for i in ids if self.store.has_article(i)]  # a holder may have been quarantined
        articles = [a for a in self.store.iter_articles(stored) if not is_boilerplate_only(a)]
        units = {a.id: article_units(a) for a in articles}  # whole articles: re-cleaning is rare
        wanted = {(scope, u.key) for a in articles for u in units[a.id] for scope in {"", a.source}}
        counts = self._lookup(wanted)
        changed = [c for a in articles if (c := self.clean(a, counts, units[a.id])) is not a]
        self.store.replace_cleaned(changed)
        return [a.id for a in changed]


def known(
    store: Store, *, site: str | None = None, min_unrelated: int = 2, limit: int = 200
) -> list[dict[str, object]]:
    """What the store has learned: recurring keys (per scope, most widespread first), for people to check."""
    rows = store.iter_boilerplate(site=site, min_unrelated=min_unrelated, limit=limit)
    return [
        {
            "scope": c.scope or "(corpus)",
            "kind": c.kind,
            "articles": c.articles,
            "unrelated": c.unrelated,
            "text": c.sample,
        }
        for c in rows
    ]


def counts_to_row(c: Count) -> tuple[object, ...]:
    """A count as the store's row."""
    # ids are hex digests: a space-joined list is enough, and much cheaper than JSON per row
    return (
        c.scope,
        c.key,
        c.kind,
        c.articles,
        c.unrelated,
        " ".join(c.reps),
        " ".join(c.holders),
        c.sample,
        c.last_seq,
    )
