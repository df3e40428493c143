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

Memory: a key seen once (almost every key of a crawl) is never a row of the table: it sits in memory
in :class:`FirstSightings` (16 bytes a key in closed chunks of ``FIRST_CHUNK``, stored as one row each
in ``boilerplate_firsts`` so a later ingest starts from them) until it is seen again or falls beyond
``Settings.boilerplate_horizon`` articles (a chunk at a time). Keys seen twice or more are rows of the
table ``boilerplate`` (a batch reads and writes only its own keys, committed with the batch; the keys
of the corpus rows are held in memory too, 8 bytes each, so only those are asked of the store); a
site row is made at a key's second sighting. Each key remembers at most 4 unrelated holders (to test
relatedness against) and 16 holders (to re-clean when the key becomes boilerplate); the relatedness
test reads at most 800 words of an article.

Removed sentences go to ``article.removed`` with their reason ("site boilerplate: seen in 37 articles of
example.com (12 unrelated)"). An article whose whole text is boilerplate is quarantined at ingest, or,
when stored before its boilerplate was known, flagged ``boilerplate-only`` and kept out of stories and
copies. A stored article cleaned again loses its story membership, profile and copy links, so the next
run of the story and copy stages places it on its clean text.

Copies (:mod:`storyline.copies.decide`) do not link two articles that both lost a piece of one learned block
when :func:`related` says they are unrelated: what else of the block they share is no evidence.

Known limits: machine-translated variants of one banner (the STS22 texts) differ word by word and are
learned only where sentences coincide exactly; a notice seen once per language (an ad-blocker wall and its
machine translation) recurs nowhere and stays; a text held whole by another is a reprint only when it
names someone (:func:`proper_names`), so a reprint of a report that names no one is taken for a notice."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..models import Article, RemovedSpan
from ..settings import DEFAULT_SETTINGS, Settings
from .keys import _DIGITS, _TOKEN, SUFFIX_TOKENS, Units, _Unit, article_units, tokens

if TYPE_CHECKING:
    from ..store.base import Store
#: a sentence this long recurring in unrelated articles is a block on its own
LONG_TOKENS = 20
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


def related(
    a: Sequence[str],
    b: Sequence[str],
    title_a: Sequence[str] = (),
    title_b: Sequence[str] = (),
    names_a: Set[str] | None = None,
    names_b: Set[str] | None = None,
    proper_a: Set[str] | None = None,
    proper_b: Set[str] | None = None,
) -> bool:
    """Whether two token sequences share content beyond the text they have in common word for word.

    Words covered by a shared 4-gram are set aside; what is left of each side (its words of 4+
    characters) is its own content. The two are related when

    * one side has nothing of its own (it is contained in the other: a reprint) and, with
      ``proper_a``/``proper_b`` given (see :func:`proper_names`), that side names someone: two pages
      that are one notice and nothing else (an IP-block page, an ad-blocker wall, served for many
      addresses) name no one, a report does; or much of one
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
        contained = proper_a if not ra else proper_b
        return contained is None or bool(contained)
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


def proper_names(sentences: Iterable[str]) -> set[str]:
    """The case-folded words written capitalised inside a sentence (not as its first word), not in
    capitals throughout (an acronym, a shouted button label) and never in lower case: the names of
    people, places and organisations a text gives (German nouns too). Words of a script without case
    all count. A notice page ("We are sorry, but we recorded ... the IP address ... select "I AM NOT
    A ROBOT"") has none."""
    words = [_TOKEN.findall(unicodedata.normalize("NFKC", s)) for s in sentences]
    lower = {w for ws in words for w in ws if w.islower()}
    return {
        w.casefold()
        for ws in words
        for i, w in enumerate(ws)
        if not w.isdigit()
        and (
            (i > 0 and w[0].isupper() and not w.isupper() and w.lower() not in lower)
            or w.lower() == w.upper()
        )
    }


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the relatedness test reads of an article."""

    tokens: list[str]
    title: list[str]
    names: set[str]
    source: str
    #: see :func:`proper_names` (of its sentences and the boilerplate taken out of it)
    proper: set[str] = field(default_factory=set)


def seen(article: Article) -> _Seen:
    """What :func:`related` reads of an article: its title, text and the boilerplate already taken
    out of it (the article as first read), the first ``RELATED_TOKENS`` words."""
    taken = [r.text for r in article.removed if r.reason.startswith(REASONS)]
    whole = "\n".join([article.title, article.text, *taken])
    # the opening words are enough to tell a reprint from a banner, and keep the check cheap
    return _Seen(
        tokens(whole)[:RELATED_TOKENS],
        tokens(article.title),
        names(whole),
        article.source,
        proper_names([*article.sentences, *taken]),
    )


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
    #: chunks of first sightings to add: (last storing number, keys, storing numbers), int64 bytes
    firsts: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    #: stored chunks of first sightings to drop (merged into a new one), by number
    firsts_drop: list[int] = field(default_factory=list)


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
