"""The boilerplate learner: counts of sentence keys per site and over the corpus, kept in the
store (first sightings in memory); decisions applied as batches arrive, earlier articles
re-cleaned when their site's boilerplate becomes known."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from itertools import chain
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..models import Article
from ..settings import DEFAULT_SETTINGS, Settings
from .boilerplate import (
    Count,
    CountsUpdate,
    _Seen,
    _shared_tail_start,
    counts_to_row,
    decide,
    flag_boilerplate_only,
    is_boilerplate_only,
    related,
    seen,
    strip,
)
from .firsts import FirstSightings, holder_code
from .keys import PackedUnits, Units, _Unit, article_units, unpack_units

if TYPE_CHECKING:
    from ..store.base import Store
#: sentences at each end of an article counted for every article; the inner ones only when an edge recurs
EDGE_SENTENCES = 4
#: stored articles whose inner sentences one batch counts late (see BoilerplateLearner.learn)
MAX_BACKFILL = 200
#: unrelated holders remembered per key (to test a new holder against), and holders (to re-clean)
MAX_REPS = 4
MAX_HOLDERS = 16


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
        #: corpus keys seen once (loaded from the store at the first batch), see FirstSightings
        self._firsts: FirstSightings | None = None
        #: the corpus keys the table holds (sorted int64, 8 bytes a key; loaded with the first sightings)
        #: and those this learner added: a batch asks the table only for keys it holds
        self._table_keys: Any = None
        self._table_new: set[int] = set()

    def _in_table(self, keys: Set[int]) -> set[int]:
        """Those of ``keys`` with a corpus row in the table."""
        found = self._table_new.intersection(keys)
        if self._table_keys is not None and keys:
            import numpy as np

            query = np.fromiter(keys, dtype=np.int64, count=len(keys))
            at = np.searchsorted(self._table_keys, query)
            at[at == len(self._table_keys)] = 0
            found.update(query[self._table_keys[at] == query].tolist())
        return found

    def _first_sightings(self) -> FirstSightings:
        if self._firsts is None:
            self._firsts = FirstSightings.load(self.store.boilerplate_firsts())
            keys = self.store.boilerplate_keys("")
            if keys:
                import numpy as np

                self._table_keys = np.unique(np.array(keys, dtype=np.int64))
        return self._firsts

    def learn(
        self, articles: Sequence[Article], units: Mapping[str, PackedUnits] | None = None
    ) -> tuple[list[Article], set[str]]:
        """Count ``articles``' sentences, then return them cleaned and the stored articles to re-clean.

        ``units`` (article id -> :func:`article_units`) saves computing them here when the worker
        processes did. A key seen for the first time is remembered in memory (see
        :class:`FirstSightings`); its corpus row is made at its second sighting, and its site row too,
        seeded with the earlier holders of that site. Articles that share no key with what is known
        (the bulk of any crawl) cost no row and no count."""
        given: dict[str, PackedUnits] = dict(units or {})
        for a in articles:
            if a.id not in given:
                given[a.id] = article_units(a, edges=EDGE_SENTENCES)
        batch_ids = {a.id for a in articles}
        stored_before = self.store.stored_ids([a.id for a in articles])
        fresh = [a for a in articles if a.id not in stored_before]  # duplicates were counted when stored
        firsts = self._first_sightings()
        # each fresh article's keys, read off its units once (the loops below test and add them whole)
        keys_of = {a.id: [u[1] for u in given[a.id]] for a in fresh}
        batch_keys = list(chain.from_iterable(keys_of.values()))
        unique = set(batch_keys)
        # keys held twice within the batch (none, most of the time: no count needed)
        repeated = (
            {k for k, n in Counter(batch_keys).items() if n > 1} if len(unique) < len(batch_keys) else set()
        )
        in_batch: Mapping[int, int] = {}  # key -> how often the batch holds it (read for touched articles)
        counts = self.store.boilerplate_counts(("", k) for k in self._in_table(unique))
        once = firsts.find(unique - {k for _, k in counts})
        # An article whose edges recur (or repeat within the batch) is read whole: its inner sentences
        # may continue the banner. Most articles share nothing and cost their edge sentences only.
        hot = {k for _, k in counts} | once.keys() | repeated
        touched: set[str] = set()
        for a in fresh:
            if hot and not hot.isdisjoint(keys_of[a.id]):
                touched.add(a.id)
                full = len(a.sentences) > 2 * EDGE_SENTENCES
                given[a.id] = article_units(a) if full else unpack_units(given[a.id])
        existing = set(counts)  # rows of the table (updated); the others are inserted
        counts.update(self._seen_once(once, [given[i] for i in touched], articles))
        # A key met for the second time: its first holder was stored with its edges counted only.
        # Its inner sentences are counted now (once: a holder already counted for a key is skipped),
        # so a banner block shared by two articles is learned from those two.
        backfill: list[Article] = []
        if touched:
            first_holders = {
                c.holders[0]
                for a in fresh
                if a.id in touched
                for u in given[a.id]
                if (c := counts.get(("", u[1]))) is not None and c.articles == 1 and c.holders
            } - batch_ids
            for holder in sorted(first_holders)[:MAX_BACKFILL]:
                try:
                    old = self.store.get_article(holder)
                except NotFoundError:
                    continue
                if len(old.sentences) > 2 * EDGE_SENTENCES and not is_boilerplate_only(old):
                    backfill.append(old)
                    given[old.id] = article_units(old)
                    touched.add(old.id)
        if touched:
            in_batch = Counter(u[1] for a in [*backfill, *fresh] for u in given[a.id])
            inner = {u[1] for a in [*backfill, *fresh] if a.id in touched for u in given[a.id]}
            inner = {k for k in inner if ("", k) not in counts}
            stored = self.store.boilerplate_counts(("", k) for k in self._in_table(inner))
            existing.update(stored)
            counts.update(stored)
            more = firsts.find(inner - {k for _, k in stored})
            once.update(more)
            counts.update(self._seen_once(more, [given[i] for i in touched], articles))
            site_keys = {
                (a.source, u[1])
                for a in [*backfill, *fresh]
                if a.source and a.id in touched
                for u in given[a.id]
                if ("", u[1]) in counts
            }
            site_counts = self.store.boilerplate_counts(site_keys)
            existing.update(site_counts)
            counts.update(site_counts)
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
                cache[article_id] = seen(article)
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
                    related(
                        mine.tokens, t.tokens, mine.title, t.title, mine.names, t.names, mine.proper, t.proper
                    )
                    for t in reps
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

        created: set[int] = set()  # corpus keys first counted by this batch
        sightings: list[tuple[list[int], int, int]] = []  # first sightings, added at once, in order
        for n, article in enumerate([*backfill, *fresh]):
            is_touched = article.id in touched
            when = seq + max(1, n + 1 - len(backfill))
            if not is_touched and created.isdisjoint(keys := keys_of[article.id]):
                if (code := holder_code(article.id)) is not None:  # shares nothing: all first sightings
                    sightings.append((keys, code, when))
                continue
            done: set[int] = set()
            mine: list[int] = []
            for unit in unpack_units(given[article.id]):
                if unit.key in done:
                    continue
                done.add(unit.key)
                corpus = counts.get(("", unit.key))
                if corpus is None and (not is_touched or in_batch.get(unit.key, 0) <= 1):
                    mine.append(unit.key)
                    continue
                if article.source and corpus is not None:
                    site = counts.get((article.source, unit.key))
                    if site is None:
                        site = self._seed_site(article.source, corpus, toks)
                        counts[(article.source, unit.key)] = site
                    count_one(article, unit, site, when)
                if corpus is None:
                    corpus = counts[("", unit.key)] = Count("", unit.key, unit.kind)
                    created.add(unit.key)
                count_one(article, unit, corpus, when)
            if mine and (code := holder_code(article.id)) is not None:
                sightings.append((mine, code, when))
        firsts.add_many(sightings)
        # keys seen again are rows of the table from now on
        firsts.drop({k for s, k in changed if s == "" and k in once})
        # pruning scans the table: done each time the store grows by half a horizon
        step = max(1, self.settings.boilerplate_horizon // 2)
        prune = seq - self.settings.boilerplate_horizon if seq // step != (seq + len(fresh)) // step else None
        if prune is not None:
            firsts.prune(prune)
        chunk = firsts.take_full()
        self._table_new.update(k for s, k in changed if s == "" and (s, k) not in existing)
        self.pending = CountsUpdate(
            [counts_to_row(c) for k, c in changed.items() if k not in existing],
            [c for k, c in changed.items() if k in existing],
            prune,
            firsts=chunk.firsts if chunk else [],
            firsts_drop=chunk.firsts_drop if chunk else [],
        )
        # an article that shares nothing with the store or the batch has nothing to remove
        cleaned = [
            self.clean(a, counts, unpack_units(given[a.id]))
            if a.id in touched or a.id in stored_before
            else a
            for a in articles
        ]
        return cleaned, reclean

    def _seen_once(
        self, once: Mapping[int, str], units: Iterable[PackedUnits], articles: Sequence[Article]
    ) -> dict[tuple[str, int], Count]:
        """Corpus counts of keys seen once (key -> holder id), as the table would have held them: one
        article, one unrelated, the holder (and, for a suffix key, the holder's tail as the sample)."""
        if not once:
            return {}
        kinds = {u[1]: u[2] for us in units for u in us if u[1] in once}
        by_id = {a.id: a for a in articles}
        out: dict[tuple[str, int], Count] = {}
        for key, holder in once.items():
            kind = kinds.get(key)
            if kind is None:
                continue
            sample = ""
            if kind == "suffix":
                try:
                    article = by_id.get(holder) or self.store.get_article(holder)
                except NotFoundError:
                    article = None
                sample = article.sentences[0][-300:] if article is not None and article.sentences else ""
            out[("", key)] = Count("", key, kind, 1, 1, [holder], [holder], sample, 0)
        return out

    def flush(self) -> None:
        """Store the first sightings still in memory (at the end of an ingest: the next one starts from them)."""
        if self._firsts is not None and (update := self._firsts.take_full(force=True)) is not None:
            self.store.write_boilerplate_counts(update)

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
        counts = self.store.boilerplate_counts(wanted)  # a key seen once removes nothing
        changed = [c for a in articles if (c := self.clean(a, counts, units[a.id])) is not a]
        self.store.replace_cleaned(changed)
        return [a.id for a in changed]
