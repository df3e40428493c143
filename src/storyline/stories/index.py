"""Group articles that report the same real-world event into stories, online and incrementally.

Each article gets a :class:`Profile`: weighted content words, names (capitalised
words), the years, dates and numbers it mentions, its publication date, and a
multilingual vector of its lead (title and first sentences). A small learned
pair model (``resources/story_model.json``, trained by
``scripts/train_story_model.py`` on ECB+) turns the similarities of two
profiles into the probability that they report one event: a logistic regression
online, gradient-boosted trees in consolidation. Pairs in different languages use
a regression without the language-bound word feature.

:class:`StoryIndex` assigns articles one at a time: candidates come from a
bounded search (articles inside the story window that share rare names or
words, or whose lead vectors are nearest); an article joins the story whose
closest members it matches best on average (average linkage over the top
members) when that clears the threshold, or opens a new story. When an article
binds two stories strongly enough, they merge: the larger keeps its id and the
other's id is kept in its history. After each batch, :meth:`StoryIndex.consolidate`
re-clusters the stories the batch touched (:func:`agglomerate`, every pair scored in one
batch) and maps the result back
onto story ids. Story ids are stable: ``st-`` and the id of the article that opened the
story; a merged story's id leads to the story that absorbed it.

The one knob, ``settings.precision`` (0..1), moves the join and merge thresholds and the
cohesion rule together (the table and its bounds: :mod:`storyline.knob`)."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import knob
from ..models import Article, Assignment
from ..settings import DEFAULT_SETTINGS, Settings
from ..types import Embedder
from .consolidate import Consolidation
from .features import (
    FEATURES,
    Idf,
    PairModel,
    Profile,
    conflict_prior,
    conflicts,
    days_apart,
    default_pair_model,
    latest_year,
    profile_articles,
    story_pair_features,
)

#: members of a story compared with a new article (average linkage over the closest ones)
TOP_MEMBERS = 5
#: candidate articles scored per new article
MAX_CANDIDATES = 60
#: postings kept per word in the candidate index (the most recent)
MAX_POSTINGS = 200
#: profiles published more than this many story windows before the newest article leave the
#: candidate search (evicted in chunks of :data:`EVICT_CHUNK`, so a few older ones may linger until the next chunk)
HORIZON_WINDOWS = 2
#: members of a story (the most recent) that a joining article is also measured against as a
#: whole: their average probability must reach :data:`WHOLE_STORY` times the join threshold
WHOLE_MEMBERS = 20
WHOLE_STORY = 0.5
#: nearest lead vectors (and their stories) added to the candidates of a new article
LEAD_NEIGHBOURS = 20
#: members of each story (the most recent) whose average linkage decides a merge of two stories
LINKAGE_MEMBERS = 10
#: stale profiles are evicted once at least this many have left the horizon
EVICT_CHUNK = 256


# --------------------------------------------------------------------------- online assignment


class StoryIndex(Consolidation):
    """Online story assignment: add profiles one by one, read the stories at any time.

    Profiles and lead vectors are bounded by the story window: profiles published more
    than two windows before the newest article are dropped from the candidate search
    (their stories stay, closed). What remains per article ever seen is its story id
    (about a hundred bytes).
    """

    def __init__(self, *, model: PairModel | None = None, settings: Settings = DEFAULT_SETTINGS) -> None:
        self.model = model or default_pair_model()
        self.settings = settings
        self.idf = Idf()
        self.profiles: dict[str, Profile] = {}
        self.story_of: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.merged_into: dict[str, str] = {}
        self._postings: dict[int, list[str]] = defaultdict(list)
        self._lead_rows: dict[str, int] = {}
        self._lead_ids: list[str | None] = []
        # one row per remembered profile; as wide as the embedder's vectors (it widens on the first)
        self._leads = np.zeros((1024, 0), dtype=np.float32)
        self._newest: int | None = None
        self._dead_rows = 0  # rows of the lead matrix whose profile is gone
        self._undated: deque[str] = deque()
        # what the caller was last told (restored, or returned by consolidate), and the
        # links of the articles added since: consolidation re-clusters around those
        self._committed: dict[str, str] = {}
        self._known: set[str] = set()  # story ids the caller has been told of and not seen merged
        self._pending: dict[str, Assignment] = {}
        self._links: dict[str, dict[str, float]] = {}
        self._link_features: dict[str, dict[str, list[float]]] = {}
        self._order: dict[str, int] = {}  # arrival order of added articles, for stable output
        self._span: dict[str, tuple[int, int]] = {}  # story -> first and last publication ordinal
        # consolidation's pair probabilities by article (the matrix of its group and the rows),
        # during one call of consolidate
        self._scored: dict[str, tuple[np.ndarray, dict[str, int]]] = {}
        # the publication ordinal of the first dated article added since the last consolidation
        self._settled: int | None = None

    @property
    def max_span(self) -> int:
        """The hard bound on a story's time span: its dated members lie at most this many days
        apart, first to last (``settings.story_window_days``). Undated members widen nothing."""
        return self.settings.story_window_days

    def _widen(self, story: str, published: int | None) -> None:
        if published is None:
            return
        lo, hi = self._span.get(story, (published, published))
        self._span[story] = (min(lo, published), max(hi, published))

    def _fits(self, story: str, lo: int | None, hi: int | None) -> bool:
        """Whether a story would stay within :attr:`max_span` with dated members from lo to hi."""
        span = self._span.get(story)
        if span is None or lo is None or hi is None:
            return True
        return max(span[1], hi) - min(span[0], lo) <= self.max_span

    def _knob(self, name: str, learned: float) -> float:
        """A model setting moved by the precision knob (entry ``name`` of :data:`storyline.knob.KNOB`,
        unchanged at 0.5)."""
        return knob.shift(name, self.settings.precision, learned)

    @property
    def threshold(self) -> float:
        """The join threshold after the precision knob: the model's own at precision 0.5."""
        return self._knob("stories.join", self.model.threshold)

    @property
    def merge_threshold(self) -> float:
        """The average linkage at which consolidation merges clusters, after the knob."""
        return self._knob("stories.merge", self.model.merge_threshold)

    @property
    def cohesion(self) -> float:
        """How much of their own cohesion two established clusters must match to merge, after the knob."""
        return self._knob("stories.cohesion", self.model.cohesion)

    @property
    def fragment_cohesion(self) -> float:
        """The share of its own cohesion a fragment must match to join, after the knob."""
        return self._knob("stories.fragment_cohesion", self.model.fragment_cohesion)

    @property
    def lead_cohesion(self) -> float:
        """The share of their own lead cohesion two dated clusters of one language must match
        across to merge, after the knob (:data:`~storyline.stories.consolidate.LEAD_COHESION`
        at precision 0.5)."""
        return knob.dial("stories.lead_cohesion", self.settings.precision)

    # ------------------------------------------------------------------ state
    def restore(self, profile: Profile, story_id: str) -> None:
        """Put back an article already assigned (when resuming from a store)."""
        self._remember(profile)
        self.story_of[profile.article_id] = story_id
        self.members.setdefault(story_id, []).append(profile.article_id)
        self._widen(story_id, profile.published)
        self._committed[profile.article_id] = story_id
        self._known.add(story_id)

    def restore_history(self, members: dict[str, list[str]], merged: dict[str, str]) -> None:
        """After :meth:`restore`: every member of the restored stories (older ones have no
        profile: a story holding them is never re-clustered, as in one uninterrupted run) and
        the story ids merged away before (never given out again)."""
        for story, ids in members.items():
            if story not in self.members:
                continue
            have = set(self.members[story])
            older = [m for m in ids if m not in have]
            for m in older:
                self.story_of[m] = story
                self._committed[m] = story
            self.members[story] = older + self.members[story]
        for story, into in merged.items():
            if story not in self.members:
                self.merged_into[story] = into

    def _remember(self, p: Profile) -> None:
        self.idf.add(p)
        self.profiles[p.article_id] = p
        for token in self._index_tokens(p):
            posting = self._postings[token]
            posting.append(p.article_id)
            if len(posting) > MAX_POSTINGS:
                del posting[: len(posting) - MAX_POSTINGS]
        row = len(self._lead_ids)
        if row >= len(self._leads):
            self._leads = np.vstack([self._leads, np.zeros_like(self._leads)])
        if len(p.lead) > self._leads.shape[1]:  # any embedder dimension: the matrix takes the vectors' width
            self._leads = np.hstack(
                [self._leads, np.zeros((len(self._leads), len(p.lead) - self._leads.shape[1]), np.float32)]
            )
        self._leads[row, : len(p.lead)] = p.lead
        self._lead_ids.append(p.article_id)
        self._lead_rows[p.article_id] = row
        if p.published is None:
            self._undated.append(p.article_id)
            if len(self._undated) > self.settings.max_undated_profiles:
                self._forget([self._undated.popleft()], prune=False)
        elif self._newest is None or p.published > self._newest:
            self._newest = p.published
            self._evict()

    def _index_tokens(self, p: Profile) -> list[int]:
        names = p.names[np.argsort(-self.idf.name_weights(p))[:8]] if len(p.names) else p.names
        terms = p.terms[np.argsort(-self.idf.term_weights(p))[:8]] if len(p.terms) else p.terms
        return [int(t) for t in names] + [-1 - int(t) for t in terms]

    def _evict(self) -> None:
        if self._newest is None:
            return
        horizon = self._newest - HORIZON_WINDOWS * max(self.settings.story_window_days, 1)
        stale = [i for i, p in self.profiles.items() if p.published is not None and p.published < horizon]
        if len(stale) >= EVICT_CHUNK:  # evict in chunks: cheap amortised
            self._forget(stale)

    def _forget(self, stale: list[str], *, prune: bool = True) -> None:
        # Postings may keep forgotten ids (the search skips them); pruning them is for big evictions.
        for article_id in stale:
            del self.profiles[article_id]
            self._lead_ids[self._lead_rows.pop(article_id)] = None
        self._dead_rows += len(stale)
        if self._dead_rows > len(self._lead_ids) // 2:  # compact the lead matrix: memory follows the window
            live = [i for i, a in enumerate(self._lead_ids) if a is not None]
            self._dead_rows = 0
            self._leads = (
                np.ascontiguousarray(self._leads[live])
                if live
                else np.zeros((1024, self._leads.shape[1]), np.float32)
            )
            self._lead_ids = [self._lead_ids[i] for i in live]
            self._lead_rows = {a: row for row, a in enumerate(self._lead_ids) if a is not None}
        if not prune:
            return
        gone = set(stale)
        for token in list(self._postings):
            kept = [a for a in self._postings[token] if a not in gone]
            if kept:
                self._postings[token] = kept
            else:
                del self._postings[token]

    # ------------------------------------------------------------------ search
    def _candidates(self, p: Profile) -> list[str]:
        found: dict[str, float] = {}
        for token in self._index_tokens(p):
            for other in self._postings.get(token, ()):
                found[other] = found.get(other, 0.0) + 1.0
        n = len(self._lead_ids)
        if n:
            sims = self._leads[:n, : len(p.lead)] @ p.lead
            for row in np.argsort(-sims)[:LEAD_NEIGHBOURS]:
                near = self._lead_ids[int(row)]
                if near is not None and sims[row] > 0.3:
                    found[near] = found.get(near, 0.0) + 2.0 * float(sims[row])
        window = self.settings.story_window_days
        keep = []
        for other in sorted(found, key=found.__getitem__, reverse=True):
            q = self.profiles.get(other)
            if q is None or other == p.article_id:
                continue
            if (
                p.published is not None
                and q.published is not None
                and abs(p.published - q.published) > window
            ):
                continue
            keep.append(other)
            if len(keep) >= MAX_CANDIDATES:
                break
        return keep

    def _story_scores(self, p: Profile, probs: dict[str, float]) -> dict[str, float]:
        per_story: dict[str, list[float]] = defaultdict(list)
        for other, prob in probs.items():
            per_story[self.story_of[other]].append(prob)
        scores = {}
        for story, values in per_story.items():
            if not self._fits(story, p.published, p.published):
                continue  # joining would stretch the story past its bound
            k = min(TOP_MEMBERS, len(self.members[story]))
            top = sorted(values, reverse=True)[:k]
            scores[story] = sum(top) / k
        return scores

    def add_stream(self, profiles: Iterable[Profile]) -> list[Assignment]:
        """Add articles in the order given (publication order, as a stream arrives), consolidating
        on the way each time the stream has moved a story window on since the last consolidation,
        and return the assignments those consolidations made (the caller consolidates at the end
        of its batch: :meth:`consolidate`).

        Consolidation re-clusters only stories whose members still have their profiles, and
        profiles leave once the stream is :data:`HORIZON_WINDOWS` windows past them; a batch that
        spans weeks (a year's archive read at once) would otherwise reach consolidation with the
        profiles of its early articles gone and keep the online pass's first guesses for them. So
        a batch is settled window by window, as a stream arriving day by day would be: the same
        stories however the articles are batched."""
        out: list[Assignment] = []
        window = max(self.settings.story_window_days, 1)
        for p in profiles:
            if p.published is not None:
                if self._settled is None:
                    self._settled = p.published
                elif p.published - self._settled > window:
                    out.extend(self.consolidate())
                    self._settled = p.published
            self.add(p)
        return out

    def add(self, p: Profile) -> Assignment:
        """Assign one article: join the best story, open a new one, and merge stories it binds."""
        if p.article_id in self.story_of:
            story = self.story_of[p.article_id]
            return Assignment(p.article_id, story, 1.0, False, evidence={"note": "already assigned"})
        probs: dict[str, float] = {}
        details: dict[str, list[float]] = {}
        for other in self._candidates(p):
            probs[other], details[other] = self._pair(p, self.profiles[other])
        scores = self._story_scores(p, probs)
        threshold = self.threshold
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        ranked = self._whole_story(p, probs, details, ranked, threshold)
        # placed before it is remembered: remembering may let the oldest undated profile go,
        # and that may be a candidate the evidence below still reads
        assignment = self._place(p, probs, details, ranked, threshold)
        self._remember(p)
        self._links[p.article_id] = probs
        self._link_features[p.article_id] = details
        self._order[p.article_id] = len(self._order)
        self._pending[p.article_id] = assignment
        return assignment

    def _pair(self, p: Profile, q: Profile) -> tuple[float, list[float]]:
        """The online model's probability that ``p`` and ``q`` report one event, with the features."""
        feats = story_pair_features(p, q, self.idf)
        prob = self.model.probability(
            feats,
            same_language=p.language == q.language,
            days_apart=days_apart(p, q),
            prior=conflict_prior(p, q),
        )
        return prob, feats

    def _whole_story(
        self,
        p: Profile,
        probs: dict[str, float],
        details: dict[str, list[float]],
        ranked: list[tuple[str, float]],
        threshold: float,
    ) -> list[tuple[str, float]]:
        """Drop the stories the article clears the threshold with on its closest members but not
        as a whole (the average over the story's recent members is under :data:`WHOLE_STORY`
        times the threshold): joins by chaining through one near member."""
        kept = []
        for story, score in ranked:
            if score >= threshold and len(self.members[story]) > TOP_MEMBERS:
                recent = [m for m in self.members[story] if m in self.profiles][-WHOLE_MEMBERS:]
                for m in recent:
                    if m not in probs:
                        probs[m], details[m] = self._pair(p, self.profiles[m])
                if recent and sum(probs[m] for m in recent) / len(recent) < WHOLE_STORY * threshold:
                    continue
            kept.append((story, score))
        return kept

    def _place(
        self,
        p: Profile,
        probs: dict[str, float],
        details: dict[str, list[float]],
        ranked: list[tuple[str, float]],
        threshold: float,
    ) -> Assignment:
        if not ranked or ranked[0][1] < threshold:
            story = "st-" + p.article_id
            self.story_of[p.article_id] = story
            self.members[story] = [p.article_id]
            self._widen(story, p.published)
            best = ranked[0] if ranked else None
            opened = {
                "threshold": round(threshold, 4),
                "closest_story": best[0] if best else None,
                "closest_score": round(best[1], 4) if best else None,
            }
            return Assignment(p.article_id, story, 1.0, True, evidence=opened)
        story, score = ranked[0]
        merged = []
        for other_story, other_score in ranked[1:]:
            # The article binds both stories; merge when the stories themselves are related too
            # (average linkage of their members at least half the join threshold).
            other_span = self._span.get(other_story)
            if (
                other_score >= threshold
                and self._fits(story, *(other_span or (None, None)))
                and self._linkage(story, other_story) >= threshold / 2
            ):
                story, dropped = self._merge(story, other_story)
                merged.append(dropped)
        self.story_of[p.article_id] = story
        self.members[story].append(p.article_id)
        self._widen(story, p.published)
        closest = sorted(
            (o for o in probs if self.story_of.get(o) == story), key=probs.__getitem__, reverse=True
        )
        evidence: dict[str, Any] = {
            "threshold": round(threshold, 4),
            "closest": [self._explain(p, o, probs[o], details[o]) for o in closest[:3]],
        }
        return Assignment(p.article_id, story, round(score, 4), False, tuple(merged), evidence)

    def _explain(self, p: Profile, other: str, prob: float, feats: list[float]) -> dict[str, Any]:
        q = self.profiles[other]
        gap = days_apart(p, q)
        return {
            "article": other,
            "probability": round(prob, 4),
            "features": {k: round(v, 4) for k, v in zip(FEATURES, feats, strict=True)},
            "shared_years": sorted(p.years & q.years),
            "latest_years": [latest_year(p), latest_year(q)],
            "shared_dates": sorted(p.dates & q.dates),
            "shared_numbers": sorted(p.numbers & q.numbers)[:10],
            "days_apart": gap,
            "against": conflicts(p, q),
        }

    def _linkage(self, s1: str, s2: str) -> float:
        a = [m for m in self.members[s1] if m in self.profiles][-LINKAGE_MEMBERS:]
        b = [m for m in self.members[s2] if m in self.profiles][-LINKAGE_MEMBERS:]
        if not a or not b:
            return 0.0
        total = 0.0
        for x in a:
            for y in b:
                total += self._pair(self.profiles[x], self.profiles[y])[0]
        return total / (len(a) * len(b))

    def _merge(self, s1: str, s2: str) -> tuple[str, str]:
        keep, drop = (s1, s2) if len(self.members[s1]) >= len(self.members[s2]) else (s2, s1)
        for member in self.members.pop(drop):
            self.story_of[member] = keep
            self.members[keep].append(member)
        self.merged_into[drop] = keep
        dropped_span = self._span.pop(drop, None)
        if dropped_span is not None:
            self._widen(keep, dropped_span[0])
            self._widen(keep, dropped_span[1])
        return keep, drop

    def stories(self) -> dict[str, list[str]]:
        """Story id → member article ids, in the order they joined."""
        return {s: list(m) for s, m in self.members.items()}


def cluster_articles(
    articles: Sequence[Article],
    *,
    embedder: Embedder,
    settings: Settings = DEFAULT_SETTINGS,
    model: PairModel | None = None,
) -> tuple[dict[str, list[str]], list[Assignment]]:
    """Cluster a batch from scratch, in publication order (undated articles keep their place).

    Consolidation runs each time the stream has moved a story window on, as it would when a
    long stream arrives in daily batches: the articles it settles still have their profiles.
    The assignments returned are the last ones of each article."""
    profiles = profile_articles(articles, embedder=embedder)
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published or "", i))
    index = StoryIndex(model=model, settings=settings)
    latest = {a.article_id: a for a in index.add_stream(profiles[i] for i in order)}
    latest.update((a.article_id, a) for a in index.consolidate())
    return index.stories(), list(latest.values())
