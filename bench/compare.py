"""Benchmark of the version comparison: same-fact decisions on MSRP, context calibration, speed.

    OPENBLAS_NUM_THREADS=1 python bench/compare.py msrp [--msrp train.tsv] [--heldout test.tsv] [--fit]
    OPENBLAS_NUM_THREADS=1 python bench/compare.py context [--ecb dev.jsonl]
    OPENBLAS_NUM_THREADS=1 python bench/compare.py timing [--ecb dev.jsonl]

(one BLAS thread: the machine is shared, and the timing is meant for 2 cores, which
compare_articles uses by embedding in a thread beside the entity tagger).

``msrp``: the aligner's pairwise same-fact decision (storyline.compare.facts.decide_pairs) scored
as paraphrase accuracy and F1 of the positive class, beside a plain USE-cosine baseline
measured in the same run. The file is split in two halves with a fixed seed: the same-fact
model's weights were fitted on half A (``--fit`` refits and prints them), the baseline's
threshold is tuned on half A, and both are reported on half B. ``--heldout FILE`` also
scores another file of the same format (the baseline threshold then comes from all of
``--msrp``).

``context``: where the in-story context rule (mutual best match, margin, a shared word) would
align sentences of *different* events: same-language pairs of ECB+ articles of one topic
but different stories, cross-language pairs of the sample corpus's different stories. Their
high percentiles are the lowest cosine the rule may accept (``CONTEXT_COSINE``).

``timing``: one story of 10 versions compared with every model already loaded (median of 5
runs; first-call load time printed apart): the sample corpus's earthquake story (5 versions,
en and es, a wire copy, a scraped copy with a tweet) plus 5 versions generated from it
(sentences reordered, a number changed, a name misspelled, paragraphs dropped), and, with
``--ecb``, a real ECB+ story of 10 articles.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from storyline.compare.align import CONTEXT_MARGIN
from storyline.compare.facts import PAIR_FEATURES, decide_pairs, fact_pair_features, profile_sentence
from storyline.compare.versions import compare_articles
from storyline.features.embed import default_embedder
from storyline.models import Article, Passage
from storyline.pipeline import prepare_article

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
SAMPLE = Path(__file__).resolve().parents[1] / "src" / "storyline" / "sample" / "corpus.jsonl"
SEED = 13


def read_msrp(path: Path) -> list[tuple[int, str, str]]:
    """(quality, sentence 1, sentence 2) rows of an MSRP-format TSV (header line skipped)."""
    rows = []
    with path.open(encoding="utf-8-sig") as handle:
        next(handle)
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 5:
                rows.append((int(parts[0]), parts[3], parts[4]))
    return rows


def halves(n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(SEED).permutation(n)
    return order[: n // 2], order[n // 2 :]


def scores(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """Accuracy and F1 of the positive class."""
    tp = int((pred & gold).sum())
    f1 = 2 * tp / max(1, int(pred.sum()) + int(gold.sum()))
    return float((pred == gold).mean()), f1


def tune_cosine(cos: np.ndarray, gold: np.ndarray) -> float:
    """The cosine threshold with the best accuracy on these pairs."""
    grid = np.arange(0.30, 0.95, 0.005)
    return float(max(grid, key=lambda t: ((cos >= t) == gold).mean()))


def bench_msrp(args: argparse.Namespace) -> None:
    rows = read_msrp(args.msrp)
    gold = np.array([r[0] == 1 for r in rows])
    start = time.perf_counter()
    same, agreeing, cos = decide_pairs([r[1] for r in rows], [r[2] for r in rows])
    elapsed = time.perf_counter() - start
    half_a, half_b = halves(len(rows))
    print(f"MSRP {args.msrp}: {len(rows)} pairs, {gold.mean():.3f} positive; decided in {elapsed:.1f} s")
    if args.fit:
        refit(rows, cos, gold, half_a, half_b)
    threshold = tune_cosine(cos[half_a], gold[half_a])
    print(f"{'':28s} {'accuracy':>9s} {'F1':>7s}")
    for name, part in (("half A (fit)", half_a), ("half B (held out)", half_b)):
        acc_b, f1_b = scores(cos[part] >= threshold, gold[part])
        acc_a, f1_a = scores(same[part], gold[part])
        acc_v, f1_v = scores(agreeing[part], gold[part])
        print(f"{name}: cosine >= {threshold:.3f} {acc_b:9.3f} {f1_b:7.3f}")
        print(f"{name}: aligner, same fact {acc_a:9.3f} {f1_a:7.3f}")
        print(f"{name}: aligner, same fact, values agree {acc_v:9.3f} {f1_v:7.3f}")
    if args.heldout:
        held = read_msrp(args.heldout)
        held_gold = np.array([r[0] == 1 for r in held])
        held_same, held_agreeing, held_cos = decide_pairs([r[1] for r in held], [r[2] for r in held])
        full = tune_cosine(cos, gold)
        acc_b, f1_b = scores(held_cos >= full, held_gold)
        acc_a, f1_a = scores(held_same, held_gold)
        acc_v, f1_v = scores(held_agreeing, held_gold)
        print(f"{args.heldout} ({len(held)} pairs), accuracy / F1:")
        print(f"  cosine >= {full:.3f} (tuned on all of --msrp): {acc_b:.3f} / {f1_b:.3f}")
        print(f"  aligner, same fact: {acc_a:.3f} / {f1_a:.3f}")
        print(f"  aligner, same fact, values agree: {acc_v:.3f} / {f1_v:.3f}")


def refit(rows: list[tuple[int, str, str]], cos: np.ndarray, gold: np.ndarray, fit: Any, test: Any) -> None:
    """Fit the same-fact model on half A and print its weights (scripts/train_fact_model.py fits the
    same and writes them to resources/fact_model.json)."""
    from sklearn.linear_model import LogisticRegression

    feats = np.array(
        [
            fact_pair_features(
                profile_sentence(Passage("a", k, a), "en", None),
                profile_sentence(Passage("b", k, b), "en", None),
                float(c),
            )
            for k, ((_, a, b), c) in enumerate(zip(rows, cos, strict=True))
        ]
    )
    model = LogisticRegression(max_iter=2000).fit(feats[fit], gold[fit])
    cross = LogisticRegression(max_iter=2000).fit(feats[fit][:, [0, 5]], gold[fit])
    print("same-language weights", dict(zip(PAIR_FEATURES, np.round(model.coef_[0], 3), strict=True)))
    print(f"  SAME_FACT_WEIGHTS = {tuple(np.round(model.coef_[0], 3).tolist())}")
    print(f"  SAME_FACT_BIAS = {model.intercept_[0]:.3f}")
    print(
        f"  cosine+numbers only: weights {np.round(cross.coef_[0], 3).tolist()} bias {cross.intercept_[0]:.3f}"
    )
    acc, f1 = scores(model.predict(feats[test]) == 1, gold[test])
    print(f"  refitted model on half B: accuracy {acc:.3f} F1 {f1:.3f}")


# --------------------------------------------------------------------------- context calibration


def _sentences(text: str, language: str) -> list[str]:
    from storyline.features.language import split_sentences

    return [s for s in split_sentences(text, language) if len(s.split()) >= 4]


def context_hits(
    sa: list[str], sb: list[str], va: np.ndarray, vb: np.ndarray, language: str, rule: str
) -> list[float]:
    """Cosines of mutual best matches, clear of the runner-up by CONTEXT_MARGIN, that share
    a name (``rule="name"``) or a word (``rule="word"``): the candidates of the context rule."""
    sim = va @ vb.T
    if min(sim.shape) < 2:
        return []
    ua = [profile_sentence(Passage("a", i, s), language, None) for i, s in enumerate(sa)]
    ub = [profile_sentence(Passage("b", j, s), language, None) for j, s in enumerate(sb)]
    top2_row, top2_col = np.sort(sim, axis=1)[:, -2], np.sort(sim, axis=0)[-2, :]
    hits = []
    for i in range(sim.shape[0]):
        j = int(sim[i].argmax())
        if int(sim[:, j].argmax()) != i or sim[i, j] - max(top2_row[i], top2_col[j]) < CONTEXT_MARGIN:
            continue
        a, b = ua[i], ub[j]
        shared = a.names & b.names if rule == "name" else a.content & b.content or a.numbers & b.numbers
        if shared:
            hits.append(float(sim[i, j]))
    return hits


def bench_context(args: argparse.Namespace) -> None:
    embedder = default_embedder()
    rng = random.Random(SEED)
    rows = [json.loads(line) for line in args.ecb.open(encoding="utf-8")]
    by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_topic[row["topic"]].append(row)
    null_pairs, same_pairs = [], []
    for docs in by_topic.values():
        for i, a in enumerate(docs):
            for b in docs[i + 1 :]:
                (same_pairs if a["story"] == b["story"] else null_pairs).append((a, b))
    null_pairs = rng.sample(null_pairs, min(300, len(null_pairs)))
    same_pairs = rng.sample(same_pairs, min(300, len(same_pairs)))
    needed = {r["doc_id"]: r for pair in null_pairs + same_pairs for r in pair}
    sentences = {k: _sentences(r["text"], "en") for k, r in needed.items()}
    vectors = {k: embedder.encode(s) for k, s in sentences.items()}

    def collect(pairs: list[tuple[dict[str, Any], dict[str, Any]]], rule: str) -> list[float]:
        out: list[float] = []
        for a, b in pairs:
            ka, kb = a["doc_id"], b["doc_id"]
            out += context_hits(sentences[ka], sentences[kb], vectors[ka], vectors[kb], "en", rule)
        return out

    for rule in ("name", "word"):
        print(
            f"ECB+ same language, shared {rule}: {len(null_pairs)} different-event pairs of one topic, "
            f"{len(same_pairs)} same-event pairs"
        )
        report(collect(null_pairs, rule), collect(same_pairs, rule))
    sample = [json.loads(line) for line in SAMPLE.open(encoding="utf-8")]
    cross = [
        (a, b) for a in sample for b in sample if a["lang"] == "en" != b["lang"] and a["story"] != b["story"]
    ]
    same_cross = [
        (a, b) for a in sample for b in sample if a["lang"] == "en" != b["lang"] and a["story"] == b["story"]
    ]
    texts = {r["doc_id"]: _sentences(r["text"], r["lang"]) for r in sample}
    vecs = {k: embedder.encode(s) for k, s in texts.items()}

    def collect_sample(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[float]:
        out: list[float] = []
        for a, b in pairs:
            ka, kb = a["doc_id"], b["doc_id"]
            out += context_hits(texts[ka], texts[kb], vecs[ka], vecs[kb], "", "name")
        return out

    print(
        f"sample corpus cross-language, shared name: {len(cross)} different-story pairs, "
        f"{len(same_cross)} same-story pairs"
    )
    report(collect_sample(cross), collect_sample(same_cross))


def report(null: list[float], same: list[float]) -> None:
    """Hits per cosine band: in a same-event pair, the different-event rate estimates how many
    hits are look-alike sentences rather than one fact, so 1 - null/same estimates precision."""
    for q in (90, 95, 99):
        cut = float(np.percentile(null, q)) if null else float("nan")
        kept = sum(c >= cut for c in same)
        print(
            f"  {q}th percentile of different-event hits: cosine {cut:.3f}; same-event hits kept {kept}/{len(same)}"
        )
    print("  band         same-event hits  different-event hits  estimated precision")
    for low in np.arange(0.40, 0.90, 0.05):
        n_same = sum(low <= c < low + 0.05 for c in same)
        n_null = sum(low <= c < low + 0.05 for c in null)
        precision = 1 - n_null / n_same if n_same else float("nan")
        print(f"  {low:.2f}-{low + 0.05:.2f}  {n_same:15d}  {n_null:20d}  {precision:19.2f}")


# --------------------------------------------------------------------------- timing


def generated_versions(story: list[Article]) -> list[Article]:
    """Five more versions of a story: reordered, a number changed, a name misspelled, shortened."""
    rng = random.Random(SEED)
    out = []
    for k, base in enumerate(story[:5]):
        paragraphs = base.text.split("\n\n")
        rng.shuffle(paragraphs)
        text = "\n\n".join(paragraphs[: max(2, len(paragraphs) - k % 2)])
        text = text.replace("12", "14").replace("Reveco", "Rebeco").replace("Villa", "Vila")
        out.append(
            Article(
                id=f"gen-{k}",
                text=text,
                title=f"Version {k}",
                published=base.published,
                source=f"gen{k}.example",
            )
        )
    return out


def _prepare(articles: list[Article]) -> list[Article]:
    prepared = [prepare_article(a) for a in articles]
    return [a for a in prepared if isinstance(a, Article)]


def time_story(name: str, articles: list[Article]) -> None:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        comparison = compare_articles(articles)
        runs.append(time.perf_counter() - start)
    passages = len(comparison.passages)
    print(
        f"{name}: {len(articles)} versions, {passages} passages: median {statistics.median(runs):.2f} s "
        f"(min {min(runs):.2f}, max {max(runs):.2f}); {len(comparison.pairs)} aligned pairs, "
        f"{len(comparison.conflicts)} conflicts, {len(comparison.entities)} entities"
    )


def bench_timing(args: argparse.Namespace) -> None:
    sample = [json.loads(line) for line in SAMPLE.open(encoding="utf-8")]
    as_article = {
        r["doc_id"]: Article(
            id=r["doc_id"],
            text=r["text"],
            title=r["title"],
            published=r["date"],
            source=r["source"],
            language=r["lang"],
        )
        for r in sample
    }
    story = _prepare([a for k, a in as_article.items() if k.startswith("s01-")])
    versions = story + _prepare(generated_versions(story))
    warm = _prepare([a for k, a in as_article.items() if k.startswith("s02-")])
    start = time.perf_counter()
    compare_articles(warm)  # loads USE and spaCy
    print(f"first call (loads USE and spaCy): {time.perf_counter() - start:.2f} s")
    time_story("sample story s01 + 5 generated versions", versions)
    if args.ecb and args.ecb.exists():
        rows = [json.loads(line) for line in args.ecb.open(encoding="utf-8")]
        by_story: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_story[row["story"]].append(row)
        story_id, docs = next((s, d) for s, d in sorted(by_story.items()) if len(d) >= 10)
        ecb = _prepare([Article(id=d["doc_id"], text=d["text"], published="2020-01-01") for d in docs[:10]])
        time_story(f"ECB+ story {story_id} (10 real articles)", [replace(a, language="en") for a in ecb])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    msrp = sub.add_parser("msrp")
    msrp.add_argument("--msrp", type=Path, default=SHARED / "msrp" / "train.tsv")
    msrp.add_argument("--heldout", type=Path)
    msrp.add_argument("--fit", action="store_true", help="refit the same-fact model on half A and print it")
    context = sub.add_parser("context")
    context.add_argument("--ecb", type=Path, default=SHARED / "ecbplus" / "dev.jsonl")
    timing = sub.add_parser("timing")
    timing.add_argument("--ecb", type=Path, default=SHARED / "ecbplus" / "dev.jsonl")
    args = parser.parse_args(argv)
    {"msrp": bench_msrp, "context": bench_context, "timing": bench_timing}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
