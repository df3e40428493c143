"""Story clustering on AllSides roundups (real, dated English news), beside a TF-IDF baseline.

Clusters every article of the gold file at once with storyline's story stage (the online pass
and consolidation, as ``storyline eval stories`` does) and, in the same run, a plain
baseline: TF-IDF over title and text (scikit-learn), cosine distance, average linkage
(SciPy). The baseline's cut is chosen on the tuning months (April–May) and applied unchanged
to the later months, so both systems are scored the same way on months neither was tuned on.

Printed: BCubed and pairwise precision, recall and F1 over the whole file, over the tuning
months and the held-out months (June–July), and per month (articles of that month only,
from the one clustering of the whole file); the widest predicted story in days; and, when a
thread gold file is given (``--threads``: JSON lines ``{"thread": ..., "stories": [AllSides
story ids]}``), how well storyline's threads match it: threaded over the gold stories (the
thread level judged on its own) and over storyline's own stories (end to end). Stories not
named in the thread gold count as threads of their own.

    .venv/bin/python bench/allsides.py ../shared/bench/allsides/dev.jsonl \
        --threads bench/allsides_threads.jsonl [--runs day week month]

``--runs`` also feeds the file as a stream, a day (week, month) at a time, one ``storyline.run``
each into one store, and scores the stored stories: what a daily job over a news feed gets.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

TUNE_MONTHS = ("2021-04", "2021-05")
BASELINE_CUTS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def scores(predicted: dict[str, str], gold: dict[str, str], ids: list[str]) -> dict[str, float]:
    from storyline.evaluation import bcubed, pairwise

    p = [predicted[i] for i in ids]
    g = [gold[i] for i in ids]
    b, pw = bcubed(p, g), pairwise(p, g)
    return {
        "b_p": b["p"],
        "b_r": b["r"],
        "b_f1": b["f1"],
        "pw_p": pw["p"],
        "pw_r": pw["r"],
        "pw_f1": pw["f1"],
    }


def baseline(rows: list[dict[str, str]], cut: float) -> dict[str, str]:
    """TF-IDF + average linkage, cut at a cosine distance."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"{r.get('title', '')}. {r['text']}" for r in rows]
    x = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1).fit_transform(texts).toarray()
    tree = linkage(x, method="average", metric="cosine")
    labels = fcluster(tree, t=cut, criterion="distance")
    return {r["doc_id"]: f"b{lab}" for r, lab in zip(rows, labels, strict=True)}


def span_days(predicted: dict[str, str], day: dict[str, str]) -> int:
    members: dict[str, list[int]] = defaultdict(list)
    for doc, story in predicted.items():
        if day.get(doc):
            members[story].append(date.fromisoformat(day[doc][:10]).toordinal())
    return max((max(v) - min(v) for v in members.values()), default=0)


def line(name: str, s: dict[str, float]) -> str:
    return (
        f"{name:<28} BCubed P {s['b_p']:.3f} R {s['b_r']:.3f} F1 {s['b_f1']:.3f}   "
        f"pairwise P {s['pw_p']:.3f} R {s['pw_r']:.3f} F1 {s['pw_f1']:.3f}"
    )


def incremental(rows: list[dict[str, str]], unit: str) -> tuple[int, float, dict[str, float]]:
    """The file fed as a stream: its articles a ``unit`` (day, week, month) at a time, each
    period one :func:`storyline.run` into the same store (the online pass and consolidation over
    what is stored, as a daily job would run it); the stored stories scored against the gold.
    Returns the number of runs, the seconds taken and the scores."""
    import tempfile

    import storyline

    def period(r: dict[str, str]) -> str:
        d = (r.get("date") or "")[:10]
        if not d or unit == "day":
            return d
        if unit == "month":
            return d[:7]
        year, week, _ = date.fromisoformat(d).isocalendar()
        return f"{year}-W{week:02d}"

    runs: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        runs[period(r)].append(r)
    gold = {r["doc_id"]: r["story"] for r in rows}
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, storyline.open_store(Path(tmp) / "s.db") as store:
        for key in sorted(runs):
            path = Path(tmp) / f"{key or 'undated'}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in runs[key]), encoding="utf-8")
            storyline.run([path], store=store)
        doc = {a.id: a.external_id for a in store.iter_articles()}
        predicted = {doc[a]: s.id for s in store.list_stories() for a in s.article_ids}
    return len(runs), time.perf_counter() - t, scores(predicted, gold, sorted(gold))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gold")
    parser.add_argument("--threads", help="thread gold: JSON lines {thread, stories: [story ids]}")
    parser.add_argument("--errors", type=int, default=0, help="print the N largest wrong merges")
    parser.add_argument(
        "--runs",
        nargs="+",
        choices=("day", "week", "month"),
        default=(),
        help="also feed the file a day / week / month at a time, one storyline.run each, into one store",
    )
    args = parser.parse_args()

    from storyline.evaluation import read_gold
    from storyline.features.embed import default_embedder
    from storyline.stories.index import cluster_articles

    rows = [json.loads(x) for x in Path(args.gold).read_text(encoding="utf-8").splitlines() if x.strip()]
    gold = {r["doc_id"]: r["story"] for r in rows}
    month = {r["doc_id"]: (r.get("date") or "")[:7] for r in rows}
    day = {r["doc_id"]: r.get("date") or "" for r in rows}
    ids = sorted(gold)
    tune = [i for i in ids if month[i] in TUNE_MONTHS]
    held = [i for i in ids if month[i] not in TUNE_MONTHS]

    articles, _ = read_gold(args.gold)
    embedder = default_embedder()
    t = time.perf_counter()
    stories, _ = cluster_articles(articles, embedder=embedder)
    elapsed = time.perf_counter() - t
    ours = {m: s for s, ms in stories.items() for m in ms}

    cut_f1 = {}
    base_by_cut = {}
    for cut in BASELINE_CUTS:
        base_by_cut[cut] = baseline(rows, cut)
        cut_f1[cut] = scores(base_by_cut[cut], gold, tune)["b_f1"]
    best = max(cut_f1, key=cut_f1.__getitem__)
    base = base_by_cut[best]

    print(
        f"{len(ids)} articles, {len(set(gold.values()))} stories; storyline {elapsed:.1f} s (with embedding)"
    )
    print(f"baseline cut (cosine distance) chosen on {'+'.join(TUNE_MONTHS)}: {best}")
    from storyline.stories.features import default_pair_model

    if default_pair_model().dated_trees is not None:
        print(
            "note: the shipped story model's same-day trees were fitted on the pairs of AllSides dev "
            "(scripts/train_story_model.py --dated): on that file the storyline figures below are "
            "fitted ones; the script prints each half of its months held out"
        )
    for label, subset in (("all", ids), ("tuning (Apr-May)", tune), ("held-out (Jun-Jul)", held)):
        print(line(f"storyline {label}", scores(ours, gold, subset)))
        print(line(f"baseline  {label}", scores(base, gold, subset)))
    for m in sorted(set(month.values())):
        subset = [i for i in ids if month[i] == m]
        o, b = scores(ours, gold, subset), scores(base, gold, subset)
        print(
            f"  {m}: {len(subset):>4} articles  storyline BCubed F1 {o['b_f1']:.3f}  baseline {b['b_f1']:.3f}"
        )
    print(f"widest predicted story: {span_days(ours, day)} days (gold: {span_days(gold, day)} days)")

    if args.errors:
        by_pred: dict[str, list[str]] = defaultdict(list)
        for doc, s in ours.items():
            by_pred[s].append(doc)
        impure = sorted(by_pred.values(), key=lambda ms: -len({gold[m] for m in ms}))
        for ms in impure[: args.errors]:
            parts = defaultdict(list)
            for m in ms:
                parts[gold[m]].append(m)
            if len(parts) < 2:
                break
            print(f"-- predicted story of {len(ms)} articles, {len(parts)} gold stories:")
            for g, docs in parts.items():
                title = next(r.get("title", "") for r in rows if r["doc_id"] == docs[0])
                print(f"   {g} ({len(docs)}, {day[docs[0]]}): {title[:90]}")

    if args.threads:
        from storyline.evaluation import bcubed
        from storyline.stories.threads import thread_stories

        thread_gold: dict[str, str] = {}
        for raw in Path(args.threads).read_text(encoding="utf-8").splitlines():
            if raw.strip():
                item = json.loads(raw)
                for s in item["stories"]:
                    thread_gold[s] = item["thread"]
        articles_by_id = {a.id: a for a in articles}
        # threads over the gold stories, so the thread level is judged on its own
        gold_stories: dict[str, list[str]] = defaultdict(list)
        for doc in ids:
            gold_stories[gold[doc]].append(doc)
        threads = thread_stories(gold_stories, articles_by_id)
        thread_of = {s: t.id for t in threads for s in t.stories}
        docs = list(ids)
        pred = [thread_of[gold[d]] for d in docs]
        want = [thread_gold.get(gold[d], "single-" + gold[d]) for d in docs]
        b = bcubed(pred, want)
        print(
            f"threads over the gold stories: {len(threads)} threads, BCubed P {b['p']:.3f} R {b['r']:.3f} "
            f"F1 {b['f1']:.3f} (articles; thread gold: {len(set(thread_gold.values()))} threads of "
            f"{len(thread_gold)} stories)"
        )
        # unrelated events swallowed: story pairs put in one thread that the thread gold does not
        # put together (stories it does not name count as threads of their own: a strict count)
        stories_list = sorted(gold_stories)
        wrong = same = found = wanted = 0
        for i, s in enumerate(stories_list):
            for s2 in stories_list[i + 1 :]:
                together = thread_gold.get(s, s) == thread_gold.get(s2, s2)
                wanted += together
                if thread_of[s] == thread_of[s2]:
                    same += 1
                    wrong += not together
                    found += together
        print(
            f"story pairs in one thread: {same}, {wrong} of them not together in the gold; "
            f"gold pairs found: {found} of {wanted}"
        )
        # end to end: threads over storyline's own stories, scored on the articles against the
        # thread gold (each article's gold thread: its gold story's thread, or the story itself)
        ours_threads = thread_stories(stories, articles_by_id)
        ours_thread_of = {s: t.id for t in ours_threads for s in t.stories}
        pred_end = [ours_thread_of[ours[d]] for d in docs]
        e = bcubed(pred_end, want)
        print(
            f"threads over storyline's stories: {len(ours_threads)} threads, BCubed P {e['p']:.3f} "
            f"R {e['r']:.3f} F1 {e['f1']:.3f} (articles, against the same thread gold)"
        )
    for unit in args.runs:
        n, seconds, s = incremental(rows, unit)
        print(line(f"storyline a {unit} at a time ({n} runs, {seconds:.0f} s)", s))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
