"""Threads: chains of stories on one developing subject over weeks (a level above stories).

A story is one event; a *thread* links the stories of one storyline: the Taliban's advance,
the fall of Kabul, the evacuation. Each story is summarised by the readable names
(capitalised words) and content words of its members' titles and leads. A story joins the
thread holding the story it resembles most (tf-idf cosine of those words, names counting
double, idf over the stories seen) among the thread's stories published at most
``settings.thread_gap_days`` before or after it, when that similarity reaches
:data:`THREAD_THRESHOLD` and the thread would not then span more than
``settings.thread_max_days``; else it opens a thread of its own (most threads hold one story).
When a story binds two threads that well, they merge: the one with more stories keeps its id,
the other's id is kept as merged into it.

Every link carries its evidence: the story it was linked to, the names and words both share,
the days between them and the score. Thread ids are stable: ``th-`` and the id of the story
that opened it. Undated stories join on words alone (no gap applies to them)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..settings import DEFAULT_SETTINGS, Settings
from ..text.names import WORD as _WORD
from ..text.names import story_names as _names
from .features import _STOPWORDS

#: the similarity at which a story joins a thread (chosen on bench/allsides.py's thread gold)
THREAD_THRESHOLD = 0.3
#: names weigh this much more than other words
NAME_WEIGHT = 2.0
#: the candidate search: each story is indexed under its rarest names and words; a new story
#: is compared with the stories sharing most of its own (the most recent per key)
INDEX_KEYS = 12
MAX_POSTINGS = 300
MAX_CANDIDATES = 100


@dataclass(frozen=True, slots=True)
class StoryText:
    """What the thread stage reads of a story: its id, dates and its members' titles and leads."""

    story_id: str
    title: str
    texts: tuple[str, ...]
    first_published: str | None = None
    last_published: str | None = None


@dataclass(slots=True)
class Thread:
    """A chain of stories on one developing subject."""

    id: str
    stories: list[str]
    title: str = ""
    first_published: str | None = None
    last_published: str | None = None
    merged_from: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``storyline threads --json``)."""
        return {
            "id": self.id,
            "title": self.title,
            "stories": list(self.stories),
            "first_published": self.first_published,
            "last_published": self.last_published,
            "merged_from": list(self.merged_from),
        }


@dataclass(frozen=True, slots=True)
class ThreadLink:
    """Where a story went: its thread, the score and why; ``merged``: threads absorbed."""

    story_id: str
    thread_id: str
    score: float
    opened: bool
    merged: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)


def _ordinal(value: str | None) -> int | None:
    try:
        return date.fromisoformat(value[:10]).toordinal() if value else None
    except ValueError:
        return None


def story_words(story: StoryText) -> tuple[Counter[str], Counter[str]]:
    """Readable names and content words of a story (lower-cased), with counts."""
    names: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for text in (story.title, *story.texts):
        if not text:
            continue
        names.update(n for n in _names([text]) if len(n) > 2)
        words.update(w.lower() for w in _WORD.findall(text) if len(w) > 3 and w.lower() not in _STOPWORDS)
    for n in names:
        words.pop(n, None)
    return names, words


class ThreadIndex:
    """Incremental threading: restore the threads a store holds, add new stories one by one."""

    def __init__(self, *, settings: Settings = DEFAULT_SETTINGS) -> None:
        self.settings = settings
        self.thread_of: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.merged_into: dict[str, str] = {}
        self._bags: dict[str, tuple[Counter[str], Counter[str]]] = {}
        self._dates: dict[str, tuple[int | None, int | None]] = {}
        self._df: Counter[str] = Counter()
        self._n = 0
        self._postings: dict[str, list[str]] = defaultdict(list)

    def _remember(self, story: StoryText) -> None:
        if story.story_id in self._bags:
            return
        bag = story_words(story)
        self._bags[story.story_id] = bag
        self._dates[story.story_id] = (_ordinal(story.first_published), _ordinal(story.last_published))
        keys = {f"n:{t}" for t in bag[0]} | {f"w:{t}" for t in bag[1]}
        self._df.update(keys)
        self._n += 1
        for key in self._index_keys(story.story_id):
            posting = self._postings[key]
            posting.append(story.story_id)
            if len(posting) > MAX_POSTINGS:
                del posting[: len(posting) - MAX_POSTINGS]

    def _index_keys(self, story_id: str) -> list[str]:
        """The story's rarest names and words (by the document frequencies so far): what the
        candidate search looks up."""
        vec = self._vector(story_id)
        return sorted(vec, key=lambda t: -vec[t])[:INDEX_KEYS]

    def _candidates(self, story_id: str) -> list[str]:
        found: Counter[str] = Counter()
        for key in self._index_keys(story_id):
            found.update(self._postings.get(key, ()))
        found.pop(story_id, None)
        return [s for s, _ in found.most_common(MAX_CANDIDATES) if s in self.thread_of]

    def restore(self, story: StoryText, thread_id: str, *, words: bool = True) -> None:
        """Put back a story already in a thread. ``words=False``: its dates only (a story too
        old to be linked to again still bounds its thread's span)."""
        if words:
            self._remember(story)
        else:
            self._dates[story.story_id] = (_ordinal(story.first_published), _ordinal(story.last_published))
        self.thread_of[story.story_id] = thread_id
        self.members.setdefault(thread_id, []).append(story.story_id)

    def _vector(self, story_id: str) -> dict[str, float]:
        names, words = self._bags[story_id]
        vec: dict[str, float] = {}
        for prefix, bag, weight in (("n:", names, NAME_WEIGHT), ("w:", words, 1.0)):
            for t, c in bag.items():
                idf = math.log((self._n + 1) / (self._df[prefix + t] + 1)) + 1.0
                vec[prefix + t] = weight * (1.0 + math.log(c)) * idf
        return vec

    def similarity(self, a: str, b: str) -> tuple[float, dict[str, float], dict[str, float]]:
        """Cosine of two stories' weighted words, with both vectors."""
        va, vb = self._vector(a), self._vector(b)
        dot = sum(w * vb[t] for t, w in va.items() if t in vb)
        norm = math.sqrt(sum(w * w for w in va.values()) * sum(w * w for w in vb.values()))
        return (dot / norm if norm else 0.0), va, vb

    def _gap(self, a: str, b: str) -> int | None:
        (fa, la), (fb, lb) = self._dates[a], self._dates[b]
        if fa is None or fb is None:
            return None
        la, lb = la or fa, lb or fb
        return max(0, fa - lb, fb - la)

    def _span_ok(self, thread: str, story: str, other: str | None = None) -> bool:
        dated = [
            d
            for s in [*self.members[thread], story, *(self.members[other] if other else [])]
            for d in self._dates[s]
            if d is not None
        ]
        return not dated or max(dated) - min(dated) <= self.settings.thread_max_days

    def add(self, story: StoryText) -> ThreadLink:
        """Put one new story into a thread (its own, a matching one, or two merged)."""
        sid = story.story_id
        if sid in self.thread_of:
            return ThreadLink(sid, self.thread_of[sid], 1.0, False, evidence={"note": "already threaded"})
        self._remember(story)
        best: dict[str, tuple[float, str]] = {}
        for other in self._candidates(sid):
            thread = self.thread_of[other]
            if other not in self._bags:
                continue
            gap = self._gap(sid, other)
            if gap is not None and gap > self.settings.thread_gap_days:
                continue
            score = self.similarity(sid, other)[0]
            if score > best.get(thread, (-1.0, ""))[0]:
                best[thread] = (score, other)
        ranked = sorted(
            ((t, s, o) for t, (s, o) in best.items() if s >= THREAD_THRESHOLD and self._span_ok(t, sid)),
            key=lambda x: -x[1],
        )
        if not ranked:
            thread = "th-" + sid
            k = 1
            while thread in self.members or thread in self.merged_into:
                k += 1
                thread = f"th-{sid}-{k}"
            self.members[thread] = [sid]
            self.thread_of[sid] = thread
            closest = max(best.items(), key=lambda kv: kv[1][0], default=None)
            evidence = {
                "threshold": THREAD_THRESHOLD,
                "closest_thread": closest[0] if closest else None,
                "closest_score": round(closest[1][0], 4) if closest else None,
            }
            return ThreadLink(sid, thread, 1.0, True, evidence=evidence)
        thread, score, other = ranked[0]
        merged = []
        for t2, _s2, _o2 in ranked[1:]:
            if t2 in self.members and t2 != thread and self._span_ok(thread, sid, t2):
                keep, drop = (
                    (thread, t2) if len(self.members[thread]) >= len(self.members[t2]) else (t2, thread)
                )
                for s in self.members.pop(drop):
                    self.thread_of[s] = keep
                    self.members[keep].append(s)
                self.merged_into[drop] = keep
                merged.append(drop)
                thread = keep
        self.members[thread].append(sid)
        self.thread_of[sid] = thread
        return ThreadLink(sid, thread, round(score, 4), False, tuple(merged), self.explain(sid, other, score))

    def explain(self, a: str, b: str, score: float) -> dict[str, Any]:
        """Why story ``a`` was linked to story ``b``: what both contain, days apart, score."""
        _, va, vb = self.similarity(a, b)
        shared = sorted((t for t in va if t in vb), key=lambda t: -va[t] * vb[t])
        return {
            "linked_to": b,
            "score": round(score, 4),
            "threshold": THREAD_THRESHOLD,
            "days_apart": self._gap(a, b),
            "shared_names": [t[2:] for t in shared if t.startswith("n:")][:8],
            "shared_words": [t[2:] for t in shared if t.startswith("w:")][:8],
        }


def build_threads(
    index: ThreadIndex, stories: Mapping[str, StoryText], *, titles: Mapping[str, str] | None = None
) -> list[Thread]:
    """The threads of an index, with titles (the title of the largest story, else the first) and dates."""
    out = []
    for tid, members in index.members.items():
        texts = [stories[s] for s in members if s in stories]
        firsts = sorted(s.first_published for s in texts if s.first_published)
        lasts = sorted(s.last_published or s.first_published or "" for s in texts)
        lasts = [x for x in lasts if x]
        lead = max(texts, key=lambda s: len(s.texts), default=None)
        title = (titles or {}).get(tid) or (lead.title if lead else "")
        out.append(
            Thread(
                tid,
                sorted(members, key=lambda s: (stories[s].first_published or "") if s in stories else ""),
                title,
                firsts[0] if firsts else None,
                lasts[-1] if lasts else None,
                sorted(k for k, v in index.merged_into.items() if v == tid),
            )
        )
    return sorted(out, key=lambda t: (-len(t.stories), t.first_published or "", t.id))


def thread_stories(
    groups: Mapping[str, Sequence[str]], articles: Mapping[str, Any], *, settings: Settings = DEFAULT_SETTINGS
) -> list[Thread]:
    """Thread a batch of stories from scratch (story id → member article ids; articles by id,
    with ``title``, ``text`` and ``published``), in order of first publication."""
    texts = {sid: story_text(sid, [articles[m] for m in ms]) for sid, ms in groups.items()}
    index = ThreadIndex(settings=settings)
    for sid in sorted(texts, key=lambda s: (texts[s].first_published or "", s)):
        index.add(texts[sid])
    return build_threads(index, texts)


def story_text(story_id: str, members: Iterable[Any], *, lead_chars: int = 400) -> StoryText:
    """A :class:`StoryText` from member articles (objects with title, text, published)."""
    ms = list(members)
    dates = sorted(m.published[:10] for m in ms if m.published)
    titles = [m.title for m in ms if m.title]
    return StoryText(
        story_id,
        titles[0] if titles else "",
        tuple(f"{m.title}. {m.text[:lead_chars]}" for m in ms),
        dates[0] if dates else None,
        dates[-1] if dates else None,
    )


def stored_threads(
    stories: Sequence[Any], memberships: Mapping[str, tuple[str, float, Any]], merged: Mapping[str, str]
) -> list[Thread]:
    """The threads of a store, read back: ``stories`` as ``list_stories`` gives them, the thread
    rows and the thread merges. A story with no thread row yet (threads not run since it
    appeared) is a thread of its own, ``th-`` and its id."""

    def current(thread: str) -> str:
        seen = {thread}
        while thread in merged and merged[thread] not in seen:
            thread = merged[thread]
            seen.add(thread)
        return thread

    groups: dict[str, list[Any]] = {}
    for story in stories:
        row = memberships.get(story.id)
        tid = current(row[0]) if row else "th-" + story.id
        groups.setdefault(tid, []).append(story)
    out = []
    for tid, members in groups.items():
        members.sort(key=lambda s: (s.first_published or "", s.id))
        firsts = [s.first_published for s in members if s.first_published]
        lasts = [s.last_published or s.first_published for s in members if s.first_published]
        lead = max(members, key=lambda s: len(s.article_ids))
        out.append(
            Thread(
                tid,
                [s.id for s in members],
                lead.title,
                min(firsts) if firsts else None,
                max(lasts) if lasts else None,
                sorted(k for k in merged if current(k) == tid and k != tid),
            )
        )
    return sorted(out, key=lambda t: (-len(t.stories), t.first_published or "", t.id))
