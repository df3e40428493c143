"""Benchmark of fact alignment on ECB+ cross-document event coreference, dev and held-out topics.

    OMP_NUM_THREADS=1 python bench/facts.py [--gold facts_dev.jsonl] [--max-docs 6] [--part dev|heldout|both]
        [--stories K] [--examples FILE]

ECB+ links two sentences of different documents of one story when both mention the same
event chain. For every story, up to ``--max-docs`` documents (sampled as
``shared/bench/ecbplus/score_facts.py`` samples them) are read with the normal pipeline into a
temporary store and compared with :func:`storyline.compare.versions.compare_articles` in this process
(models load once). Passages are mapped back to ECB+ sentences by token alignment (lower-cased
``\\w+`` runs, difflib; a passage maps to a sentence when they share matched tokens >= half the
shorter), and, over pairs of *annotated* sentences of different documents, the script prints
the recall of gold links, precision, F1, and the share of linked sentences whose main passage
is listed under ``only_in``: the figures of ``score_facts.py``, computed the same way from
``storyline.views.versions.comparison_to_json`` (``shared`` pairs and ``agreed`` groups).

Topics are split in two: odd topics are the **dev** part (the fact model is trained and its
threshold chosen on them: ``scripts/train_fact_model.py``), even topics the **held-out** part,
never used for tuning. The USE-cosine baseline (every two annotated sentences of different
documents at cosine >= T) is measured in the same run: T is tuned for F1 on the dev part, set
to the lowest threshold at which it matches storyline's dev precision, and (as
``score_facts.py`` does) to the lowest at which it matches storyline's precision on the part
itself; all are reported on both parts. ``--sweep`` (a tuning aid) scores the pairs kept at
each fact probability.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
GOLD = SHARED / "ecbplus" / "facts_dev.jsonl"
_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """The scorer's tokens: lower-cased ``\\w+`` runs (punctuation and quote style do not count)."""
    return _TOKEN.findall(text.lower())


def topic_number(story: str) -> int:
    """The ECB+ topic of a story id such as ``12_ecbplus``."""
    return int(story.split("_")[0])


def part_of(story: str) -> str:
    """``dev`` for odd topics, ``heldout`` for even ones."""
    return "dev" if topic_number(story) % 2 else "heldout"


def _natural(doc_id: str) -> tuple[int, str, int]:
    m = re.match(r"(\d+)_(\d+)(ecbplus|ecb)$", doc_id)
    if not m:
        return (0, doc_id, 0)
    return (int(m.group(1)), m.group(3), int(m.group(2)))


def sample_docs(record: dict[str, Any], max_docs: int, seed: int = 0) -> list[str]:
    """The documents score_facts.py compares for this story (same seeded sample)."""
    docs = sorted(record["docs"], key=_natural)
    rng = random.Random(f"{seed}:{record['story']}")
    return sorted(rng.sample(docs, min(max_docs, len(docs))), key=_natural)


def map_passages(ecb: list[str], passages: list[str]) -> tuple[dict[int, set[int]], Counter[tuple[int, int]]]:
    """Passage index -> ECB+ sentence indexes, and matched-token counts per (passage, sentence)."""
    e_tok: list[str] = []
    e_of: list[int] = []
    p_tok: list[str] = []
    p_of: list[int] = []
    for i, s in enumerate(ecb):
        t = tokens(s)
        e_tok += t
        e_of += [i] * len(t)
    for j, p in enumerate(passages):
        t = tokens(p)
        p_tok += t
        p_of += [j] * len(t)
    count: Counter[tuple[int, int]] = Counter()
    matcher = difflib.SequenceMatcher(None, e_tok, p_tok, autojunk=False)
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            count[(p_of[b + k], e_of[a + k])] += 1
    p_len, e_len = Counter(p_of), Counter(e_of)
    mapping: dict[int, set[int]] = {j: set() for j in range(len(passages))}
    for (j, i), c in count.items():
        if c >= 0.5 * min(p_len[j], e_len[i]):
            mapping[j].add(i)
    return mapping, count


def map_text(ecb: list[str], text: str) -> set[int]:
    """ECB+ sentences sharing tokens >= half the shorter with ``text`` (passages outside the prose)."""
    bag = Counter(tokens(text))
    out = set()
    for i, s in enumerate(ecb):
        shared = sum((bag & Counter(tokens(s))).values())
        if shared and shared >= 0.5 * min(sum(bag.values()), len(tokens(s))):
            out.add(i)
    return out


def read_story(record: dict[str, Any], docs: list[str], tmp: Path) -> tuple[list[Any], dict[str, str]]:
    """The story's documents read with the normal pipeline (text files into a store)."""
    from storyline.pipeline import ingest
    from storyline.settings import Settings
    from storyline.store.sqlite import SQLiteStore

    paths = []
    for d in docs:
        path = tmp / f"{d}.txt"
        path.write_text(record["docs"][d]["text"] + "\n", encoding="utf-8")
        paths.append(path)
    store = SQLiteStore(tmp / "store.db")
    try:
        ingest(paths, store, settings=Settings(workers=1))
        articles = list(store.iter_articles())
    finally:
        store.close()
    doc_of = {a.id: Path(a.origin).name[:-4] for a in articles}
    return articles, doc_of


def gold_links(record: dict[str, Any], docs: list[str]) -> dict[tuple[str, int, str, int], list[str]]:
    """Gold links between annotated sentences of the compared documents, keyed in document order."""
    rank = {d: k for k, d in enumerate(docs)}
    annotated = {d: set(record["docs"][d]["annotated"]) for d in docs}
    out = {}
    for a, i, b, j, chains in record["links"]:
        if a in rank and b in rank and i in annotated[a] and j in annotated[b]:
            out[canon(rank, a, i, b, j)] = chains
    return out


def canon(rank: dict[str, int], a: str, i: int, b: str, j: int) -> tuple[str, int, str, int]:
    """A sentence pair keyed with the earlier document first."""
    return (a, i, b, j) if rank[a] < rank[b] else (b, j, a, i)


def iter_gold(path: Path, part: str, stories: int) -> Iterator[dict[str, Any]]:
    """The gold records of one part (``dev``, ``heldout`` or ``both``), optionally a seeded sample."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    rows = [r for r in rows if part == "both" or part_of(r["story"]) == part]
    if stories and stories < len(rows):
        keep = set(random.Random(0).sample(range(len(rows)), stories))
        rows = [r for k, r in enumerate(rows) if k in keep]
    yield from rows


def score_story(record: dict[str, Any], docs: list[str], articles: list[Any], doc_of: dict[str, str],
                cmp: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """One story's counts: gold, predicted and found pairs, linked sentences and those under only_in."""
    rank = {d: k for k, d in enumerate(docs)}
    annotated = {d: set(record["docs"][d]["annotated"]) for d in docs}
    sentences = {d: record["docs"][d]["sentences"] for d in docs}
    gold = gold_links(record, docs)
    passages = {doc_of[a.id]: list(a.sentences) for a in articles}
    mapping, counts = {}, {}
    for d in docs:
        mapping[d], counts[d] = map_passages(sentences[d], passages.get(d, []))

    def ecb_of(p: dict[str, Any]) -> tuple[str, set[int]]:
        d = doc_of[p["article"]]
        idx, ps = p.get("index"), passages.get(d, [])
        if isinstance(idx, int) and idx < len(ps) and ps[idx] == p["text"]:
            return d, mapping[d][idx]
        return d, map_text(sentences[d], p["text"])

    pairs = [(x["a"], x["b"]) for x in cmp.get("shared", [])]
    for group in cmp.get("agreed", []):
        pairs += [(x, y) for x, y in combinations(group, 2) if x["article"] != y["article"]]
    predicted: dict[tuple[str, int, str, int], tuple[str, str]] = {}
    for pa, pb in pairs:
        (da, ia), (db, ib) = ecb_of(pa), ecb_of(pb)
        if da == db:
            continue
        for i in ia:
            for j in ib:
                if i in annotated[da] and j in annotated[db]:
                    predicted.setdefault(canon(rank, da, i, db, j), (pa["text"], pb["text"]))
    linked = {(k[0], k[1]) for k in gold} | {(k[2], k[3]) for k in gold}
    only: dict[str, set[int]] = {}
    for lst in (cmp.get("only_in") or {}).values():
        for p in lst:
            only.setdefault(doc_of[p["article"]], set()).add(p["index"])
    only_in = no_passage = 0
    lonely = []
    for d, i in linked:
        candidates = [(c, j) for (j, ii), c in counts[d].items() if ii == i]
        if not candidates:
            no_passage += 1
        elif max(candidates)[1] in only.get(d, set()):
            only_in += 1
            lonely.append(sentences[d][i])
    missed = [
        {"story": record["story"], "a": sentences[k[0]][k[1]], "b": sentences[k[2]][k[3]]}
        for k in set(gold) - set(predicted)
    ]
    wrong = [
        {"story": record["story"], "a": sentences[k[0]][k[1]], "b": sentences[k[2]][k[3]],
         "passages": predicted[k]}
        for k in set(predicted) - set(gold)
    ]  # fmt: skip
    return {"gold": len(gold), "pred": len(predicted), "tp": len(set(gold) & set(predicted)),
            "linked": len(linked), "only_in": only_in, "no_passage": no_passage,
            "missed": missed, "wrong": wrong, "lonely": lonely}  # fmt: skip


def baseline_rows(record: dict[str, Any], docs: list[str], embedder: Any) -> tuple[list[tuple[float, bool]], int, dict[Any, float], set[Any]]:  # fmt: skip
    """USE cosine of every two annotated sentences of different documents, with the gold label."""
    rank = {d: k for k, d in enumerate(docs)}
    gold = gold_links(record, docs)
    items = [(d, i) for d in docs for i in sorted(record["docs"][d]["annotated"])]
    if not items:
        return [], len(gold), {}, set()
    vectors = embedder.encode([record["docs"][d]["sentences"][i] for d, i in items])
    rows, best = [], {}
    for x, y in combinations(range(len(items)), 2):
        (da, ia), (db, ib) = items[x], items[y]
        if da == db:
            continue
        c = float(vectors[x] @ vectors[y])
        rows.append((c, canon(rank, da, ia, db, ib) in gold))
        best[items[x]] = max(best.get(items[x], -1.0), c)
        best[items[y]] = max(best.get(items[y], -1.0), c)
    linked = {(k[0], k[1]) for k in gold} | {(k[2], k[3]) for k in gold}
    return rows, len(gold), best, linked


def prf(tp: int, pred: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1."""
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--max-docs", type=int, default=6)
    parser.add_argument("--part", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--stories", type=int, default=0, help="a seeded sample of K stories per part")
    parser.add_argument("--examples", type=Path, help="write missed / wrong / lonely examples here (JSON)")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="tuning aid: compare at precision 0 and score the pairs kept at each fact probability "
        "(groups left out, only_in recomputed from the kept pairs)",
    )
    args = parser.parse_args(argv)

    from storyline.compare.versions import compare_articles
    from storyline.features.embed import default_embedder
    from storyline.settings import Settings
    from storyline.views.versions import comparison_to_json

    settings = Settings(precision=0.0) if args.sweep else Settings()
    grid_sweep = [round(0.05 * k, 2) for k in range(4, 20)]
    sweep: dict[str, dict[float, Counter[str]]] = {}

    embedder = default_embedder()
    parts = ("dev", "heldout") if args.part == "both" else (args.part,)
    totals: dict[str, Counter[str]] = {p: Counter() for p in parts}
    base: dict[str, list[Any]] = {p: [] for p in parts}
    examples: dict[str, list[Any]] = {"missed": [], "wrong": [], "lonely": []}
    seconds = 0.0
    start = time.perf_counter()
    for part in parts:
        for record in iter_gold(args.gold, part, args.stories):
            docs = sample_docs(record, args.max_docs)
            with tempfile.TemporaryDirectory() as tmp:
                articles, doc_of = read_story(record, docs, Path(tmp))
            t0 = time.perf_counter()
            comparison = compare_articles(articles, embedder=embedder, settings=settings)
            seconds += time.perf_counter() - t0
            cmp = comparison_to_json(comparison, articles)
            if args.sweep:
                for t in grid_sweep:
                    kept = [
                        x for x in cmp["shared"]
                        if x["evidence"].get("decided_by") == "paraphrase model"
                        or x["evidence"].get("fact_probability", 0) >= t
                    ]  # fmt: skip
                    paired = {(x[s]["article"], x[s]["index"]) for x in kept for s in ("a", "b")}
                    only = {
                        i: [{"article": p.article_id, "index": p.index} for p in comparison.passages
                            if p.article_id == i and (i, p.index) not in paired]
                        for i in comparison.article_ids
                    }  # fmt: skip
                    c = score_story(
                        record, docs, articles, doc_of, {"shared": kept, "agreed": [], "only_in": only}
                    )
                    sweep.setdefault(part, {}).setdefault(t, Counter()).update(
                        {k: v for k, v in c.items() if isinstance(v, int)}
                    )
            counts = score_story(record, docs, articles, doc_of, cmp)
            for key in ("missed", "wrong", "lonely"):
                examples[key] += counts.pop(key)
            totals[part].update(counts)
            totals[part]["stories"] += 1
            totals[part]["docs"] += len(docs)
            totals[part]["quarantined"] += len(docs) - len(articles)
            base[part].append(baseline_rows(record, docs, embedder))
            print(f"{part} {record['story']}: {len(docs)} docs, gold {counts['gold']}, pred {counts['pred']}, "
                  f"found {counts['tp']}  [{time.perf_counter() - start:.0f} s]", file=sys.stderr)  # fmt: skip
    results: dict[str, Any] = {"max_docs": args.max_docs, "compare_seconds": round(seconds, 1)}
    for part in parts:
        t = totals[part]
        p, r, f = prf(t["tp"], t["pred"], t["gold"])
        results[part] = {
            "stories": t["stories"], "docs": t["docs"], "quarantined_docs": t["quarantined"], "gold_pairs": t["gold"],
            "storyline": {"pred_pairs": t["pred"], "found": t["tp"], "precision": round(p, 3), "recall": round(r, 3),
                          "f1": round(f, 3), "linked_sentences": t["linked"],
                          "only_in_share": round(t["only_in"] / t["linked"], 3) if t["linked"] else None,
                          "linked_without_passage": t["no_passage"]},
        }  # fmt: skip
    dev_part = "dev" if "dev" in parts else parts[0]
    grid = [round(0.01 * k, 2) for k in range(20, 96)]

    def at(part: str, threshold: float) -> tuple[float, float, float, float]:
        rows = [x for story in base[part] for x in story[0]]
        gold = sum(story[1] for story in base[part])
        pred = sum(1 for c, _ in rows if c >= threshold)
        tp = sum(1 for c, g in rows if c >= threshold and g)
        linked = sum(len(story[3]) for story in base[part])
        lonely = sum(1 for story in base[part] for s in story[3] if story[2].get(s, -1) < threshold)
        return (*prf(tp, pred, gold), lonely / linked if linked else 0.0)

    tuned = max(grid, key=lambda t: at(dev_part, t)[2])
    target = results[dev_part]["storyline"]["precision"]
    matched = next((t for t in grid if at(dev_part, t)[0] >= target), grid[-1])
    for part in parts:
        here = results[part]["storyline"]["precision"]
        same = next((t for t in grid if at(part, t)[0] >= here), grid[-1])
        results[part]["baseline_use_cosine"] = {
            name: {"threshold": t, **dict(zip(("precision", "recall", "f1", "linked_without_partner"),
                                               (round(x, 3) for x in at(part, t)), strict=True))}
            for name, t in (
                ("f1_tuned_on_dev", tuned),
                ("at_storyline_dev_precision", matched),
                ("at_storyline_precision_of_this_part", same),
            )
        }  # fmt: skip
    for part, by_t in sweep.items():
        results[part]["sweep"] = {
            str(t): [round(x, 3) for x in (*prf(c["tp"], c["pred"], c["gold"]), c["only_in"] / max(1, c["linked"]))]
            for t, c in by_t.items()
        }  # fmt: skip
    results["seconds"] = round(time.perf_counter() - start)
    if args.examples:
        rng = random.Random(0)
        args.examples.write_text(
            json.dumps({k: rng.sample(v, min(25, len(v))) for k, v in examples.items()}, indent=1, ensure_ascii=False),
            encoding="utf-8",
        )  # fmt: skip
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
