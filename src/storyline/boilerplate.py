"""Learned boilerplate: the sentences a site (or the whole crawl) repeats across unrelated articles.

The fixed rules of :mod:`storyline.clean` know a list of markers; everything else a scraper keeps (cookie
walls, disclaimers, newsletter prompts, forum footers, a network's "about us" paragraph) is learned here
from what recurs. Each sentence of an article (``article.sentences``) gets a key: a hash of its words
after NFKC, case folding and masking every run of digits (so "Updated 10:42, 3 May" and "Updated 9:15,
4 May" share one key). The store keeps, per *scope* (the article's site, and ``""`` for the whole
corpus) and key, how many articles held it and how many of those were **unrelated** to the holders seen
before: two holders are related when, outside the text they share word for word, their words still
overlap (a reprint of one agency report, a follow-up of one story); a cookie notice under two unrelated
headlines shares nothing else.

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

Memory: the counts live in the store (table ``boilerplate``), never all in memory: a batch reads and
writes only its own keys, and keys seen once whose last sighting is more than
``Settings.boilerplate_horizon`` articles old are pruned, so the table holds the distinct sentences of
the last ``horizon`` articles plus the recurring ones. Each key remembers at most 4 unrelated holders (to
test relatedness against) and 16 holders (to re-clean when the key becomes boilerplate).

Removed sentences go to ``article.removed`` with their reason ("site boilerplate: seen in 37 articles of
example.com (12 unrelated)"). An article whose whole text is boilerplate is quarantined at ingest, or,
when stored before its boilerplate was known, flagged ``boilerplate-only`` and kept out of stories and
copies.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .models import Article, RemovedSpan
from .settings import DEFAULT_SETTINGS, Settings

if TYPE_CHECKING:
    from .store import SQLiteStore

_TOKEN = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_QUOTED = re.compile(r'"[^"]*"')

MIN_TOKENS = 4
MIN_CHARS = 20
MIN_CHARS_CJK = 12
#: words in the suffix key of a first sentence (the banner glued after a headline)
SUFFIX_TOKENS = 8
#: a sentence this long recurring in unrelated articles is a block on its own
LONG_TOKENS = 20
#: unrelated holders remembered per key (to test a new holder against), and holders (to re-clean)
MAX_REPS = 4
MAX_HOLDERS = 16
#: two holders are related when the words outside their verbatim shared text overlap this much, or
#: when this share of one side's own words is found anywhere in the other (see :func:`related`)
RELATED_OVERLAP = 0.3
RELATED_OWN = 0.4
SHARED_NGRAM = 4
#: reasons of removed spans that this module writes (copies ignore the shingles of such text)
REASONS = ("site boilerplate", "corpus boilerplate")
BOILERPLATE_ONLY = "boilerplate-only"


def tokens(text: str) -> list[str]:
    """The words of ``text`` as keys see them: NFKC, case-folded, each run of digits masked to ``0``."""
    return [_DIGITS.sub("0", t) for t in _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())]


def _key(parts: Sequence[str], kind: str = "") -> int:
    digest = hashlib.blake2b(
        (kind + "\x1f" + " ".join(parts)).encode("utf-8", "surrogatepass"), digest_size=8
    )
    return int.from_bytes(digest.digest(), "little", signed=True)  # SQLite INTEGER is signed 64-bit


def sentence_key(sentence: str) -> int:
    """The key of a sentence: equal for sentences that differ only in case, spacing, punctuation, digits."""
    return _key(tokens(sentence))


def countable(sentence: str) -> bool:
    """Whether a sentence is long enough to be judged, and not mostly a quotation."""
    toks = tokens(sentence)
    joined = " ".join(toks)
    cjk = bool(_CJK.search(joined))
    if len(joined) < (MIN_CHARS_CJK if cjk else MIN_CHARS) or (len(toks) < MIN_TOKENS and not cjk):
        return False
    quoted = sum(len(m.group()) for m in _QUOTED.finditer(sentence))
    return quoted < 0.5 * len(sentence.strip())


@dataclass(frozen=True, slots=True)
class _Unit:
    index: int  # sentence index in the article
    key: int
    kind: str  # "sentence" or "suffix"
    sample: str


def _units(article: Article) -> list[_Unit]:
    out: list[_Unit] = []
    for i, sentence in enumerate(article.sentences):
        if not countable(sentence):
            continue
        toks = tokens(sentence)
        out.append(_Unit(i, _key(toks), "sentence", sentence[:300]))
        if i == 0 and len(toks) >= SUFFIX_TOKENS + 3:
            out.append(_Unit(i, _key(toks[-SUFFIX_TOKENS:], "suffix"), "suffix", sentence[-300:]))
    return out


def related(
    a: Sequence[str], b: Sequence[str], title_a: Sequence[str] = (), title_b: Sequence[str] = ()
) -> bool:
    """Whether two token sequences share content beyond the text they have in common word for word.

    Words covered by a shared 4-gram are set aside; what is left of each side (its words of 4+
    characters) is its own content. The two are related when one side's own content is mostly
    (``RELATED_OWN``) found anywhere in the other (a reprint under a headline drawn from the body), or
    their own contents overlap (``RELATED_OVERLAP``: two reports of one event). A side with nothing of
    its own is contained in the other (a reprint): related. A banner under two unrelated headlines
    leaves two headlines that share nothing. Titles, when both have one, are related when they share
    two words of 4+ characters (two headlines of one event name its people, places or subject).
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
    return len(ra & rb) / min(len(ra), len(rb)) >= RELATED_OVERLAP


def _article_tokens(article: Article) -> tuple[list[str], list[str]]:
    """Title, text and the boilerplate already taken out of it (the article as first read), and the title."""
    taken = [r.text for r in article.removed if r.reason.startswith(REASONS)]
    return tokens("\n".join([article.title, article.text, *taken])), tokens(article.title)


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
    article: Article, counts: Mapping[tuple[str, int], Count], *, settings: Settings = DEFAULT_SETTINGS
) -> dict[int, tuple[str, str | None]]:
    """Sentence index -> (reason, the sample of a suffix key or None) for each boilerplate sentence."""
    units = _units(article)
    by_index: dict[int, dict[str, _Unit]] = {}
    for u in units:
        by_index.setdefault(u.index, {})[u.kind] = u
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
        n_tokens = len(tokens(article.sentences[index]))
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

    def __init__(self, store: SQLiteStore, *, settings: Settings = DEFAULT_SETTINGS) -> None:
        self.store = store
        self.settings = settings

    def _scopes(self, article: Article) -> list[str]:
        return [article.source, ""] if article.source else [""]

    def learn(self, articles: Sequence[Article]) -> tuple[list[Article], set[str]]:
        """Count ``articles``' sentences, then return them cleaned and the stored articles to re-clean."""
        wanted = {(scope, u.key) for a in articles for u in _units(a) for scope in self._scopes(a)}
        counts = self.store.boilerplate_counts(wanted)
        seq = self.store.max_seq()
        batch = {a.id: a for a in articles}
        cache: dict[str, tuple[list[str], list[str]]] = {}
        changed: dict[tuple[str, int], Count] = {}
        reclean: set[str] = set()
        top = max(self.settings.boilerplate_site_min, 2 * self.settings.boilerplate_corpus_min)

        def toks(article_id: str) -> tuple[list[str], list[str]] | None:
            if article_id not in cache:
                article = batch.get(article_id)
                if article is None:
                    try:
                        article = self.store.get_article(article_id)
                    except Exception:
                        return None
                cache[article_id] = _article_tokens(article)
            return cache[article_id]

        for n, article in enumerate(articles):
            if self.store.has_article(article.id):
                continue  # a duplicate: counted when it was first stored
            seen: set[tuple[str, int]] = set()
            for unit in _units(article):
                for scope in self._scopes(article):
                    ck = (scope, unit.key)
                    if ck in seen:
                        continue
                    seen.add(ck)
                    count = counts.get(ck) or Count(scope, unit.key, unit.kind, sample=unit.sample)
                    if article.id in count.holders:
                        continue
                    if unit.kind == "suffix" and count.articles:
                        # keep, as the sample, only the tail the holders share: the banner, not a headline
                        start = _shared_tail_start(unit.sample, count.sample)
                        if start is not None:
                            count.sample = unit.sample[start:]
                    before = count.unrelated
                    if count.unrelated < top:
                        mine = toks(article.id)
                        reps = [t for r in count.reps if (t := toks(r)) is not None]
                        if mine is not None and not any(related(mine[0], t[0], mine[1], t[1]) for t in reps):
                            count.unrelated += 1
                            if len(count.reps) < MAX_REPS:
                                count.reps.append(article.id)
                    count.articles += 1
                    if len(count.holders) < MAX_HOLDERS:
                        count.holders.append(article.id)
                    count.last_seq = seq + n + 1
                    counts[ck] = changed[ck] = count
                    if count.unrelated > before and count.unrelated >= 2:
                        reclean.update(h for h in count.holders if h not in batch)
            if len(cache) > 4096:  # bounded: tokens of at most a few thousand articles at a time
                cache.clear()
        self.store.write_boilerplate_counts(
            changed.values(), prune_before=seq - self.settings.boilerplate_horizon
        )
        return [self.clean(a, counts) for a in articles], reclean

    def clean(self, article: Article, counts: Mapping[tuple[str, int], Count]) -> Article:
        """``article`` without the boilerplate ``counts`` know of (flagged when nothing else is left)."""
        cleaned = strip(article, decide(article, counts, settings=self.settings))
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
        wanted = {(scope, u.key) for a in articles for u in _units(a) for scope in self._scopes(a)}
        counts = self.store.boilerplate_counts(wanted)
        changed = [c for a in articles if (c := self.clean(a, counts)) is not a]
        self.store.replace_cleaned(changed)
        return [a.id for a in changed]


def known(
    store: SQLiteStore, *, site: str | None = None, min_unrelated: int = 2, limit: int = 200
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
    return (
        c.scope,
        c.key,
        c.kind,
        c.articles,
        c.unrelated,
        json.dumps(c.reps),
        json.dumps(c.holders),
        c.sample,
        c.last_seq,
    )
