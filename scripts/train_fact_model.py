"""Train the fact models shipped in storyline/resources/fact_model.json.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_fact_model.py \\
        [--msrp ../shared/bench/msrp/train.tsv] [--ecb ../shared/bench/ecbplus/facts_dev.jsonl] \\
        [--out src/storyline/resources/fact_model.json]

1. The **pairwise** (paraphrase) model: a logistic regression over storyline.compare.facts.PAIR_FEATURES on
   half A of the MSRP pairs (the halves of ``bench/compare.py``, which reports half B), and one over
   the cosine and ``numbers_differ`` alone for pairs in two languages.
2. The **in-story** fact model: gradient-boosted trees (scikit-learn's histogram boosting, exported
   with storyline.trees.Trees) over storyline.compare.facts.STORY_FEATURES, on the sentence pairs of the ECB+
   stories of the *dev* part only (odd topics; ``bench/facts.py`` reports the even topics as held
   out). Each story's documents are sampled as the benchmark samples them (up to 6, three samples
   per story), read with the normal pipeline and profiled as ``compare_articles`` profiles them; a
   candidate pair is labelled when both passages map to ECB+ annotated sentences (bench/facts.py's
   token alignment): positive when any of those sentence pairs is a gold cross-document link.
   Hard negatives: documents of the topic's other story (a different real event of the same kind)
   compared as if they were versions of one story, every cross-story pair of annotated sentences
   negative (``--all-negatives``: of any sentences; that model is far more cautious and found
   fewer of the facts versions share, held-out recall 0.49 against 0.59).
   The threshold (``--threshold``, default 0.6) was chosen with ``bench/facts.py --part dev --sweep``:
   the lowest fact probability at which the dev part (in-sample, so with a margin) scores a
   precision >= 0.95 over ECB+ sentence pairs. The script also prints a grouped out-of-fold curve
   (5 folds by topic) over candidate pairs, which reads lower: a passage pair counts once there.

The training texts never enter the repository; the model is plain JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from facts import map_passages, map_text, part_of, read_story, sample_docs

from storyline.compare import align, facts
from storyline.compare.align import centrality, clause_similarity, story_texts, story_vectors, story_weights
from storyline.compare.facts import PAIR_FEATURES, STORY_FEATURES, fact_pair_features, profile_sentence
from storyline.compare.versions import article_passages
from storyline.features.embed import default_embedder
from storyline.features.mentions import spacy_spans, verb_starts
from storyline.models import Article, Passage
from storyline.text.dates import reference_dates, reference_of
from storyline.trees import Trees

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
SEED = 13  # bench/compare.py's MSRP halves


def fit_pairwise(msrp: Path, embedder: Any) -> dict[str, Any]:
    """Logistic regressions on half A of MSRP (same language: all pair features; across: two)."""
    from sklearn.linear_model import LogisticRegression

    rows = []
    with msrp.open(encoding="utf-8-sig") as handle:
        next(handle)
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 5:
                rows.append((int(parts[0]), parts[3], parts[4]))
    gold = np.array([r[0] == 1 for r in rows])
    va = embedder.encode([r[1] for r in rows])
    vb = embedder.encode([r[2] for r in rows])
    cos = (va * vb).sum(axis=1)
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
    half_a = np.random.default_rng(SEED).permutation(len(rows))[: len(rows) // 2]
    model = LogisticRegression(max_iter=2000).fit(feats[half_a], gold[half_a])
    cross = LogisticRegression(max_iter=2000).fit(feats[half_a][:, [0, 5]], gold[half_a])
    print(
        "pairwise weights",
        dict(zip(PAIR_FEATURES, np.round(model.coef_[0], 3), strict=True)),
        file=sys.stderr,
    )
    return {
        "features": list(PAIR_FEATURES),
        "weights": [round(float(w), 4) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 4),
        "cross_weights": [round(float(w), 4) for w in cross.coef_[0]],
        "cross_bias": round(float(cross.intercept_[0]), 4),
        "trained_on": f"MSRP {msrp.name}, half A (seed {SEED}) of {len(rows)} pairs",
    }


def read_docs(record: dict[str, Any], docs: list[str], tmp: Path) -> dict[str, Article]:
    """The documents read with the normal pipeline (the bench's reader), by ECB+ document id."""
    articles, doc_of = read_story(record, docs, tmp)
    return {doc_of[a.id]: a for a in articles}


def story_rows(
    versions: dict[str, Article],
    records: dict[str, dict[str, Any]],
    embedder: Any,
    *,
    annotated_only: bool = True,
) -> list[tuple[list[float], int, bool]]:
    """(features, label, within one story) for the labelled candidate pairs of these versions.

    ``records`` maps each document id to its story's gold record."""
    ids = list(versions)
    arts = [versions[d] for d in ids]
    refs = reference_dates(arts, [])
    passages = {d: article_passages(versions[d]) for d in ids}
    units = {
        d: [profile_sentence(p, versions[d].language or "en", reference_of(refs, versions[d].id)) for p in passages[d]]
        for d in ids
    }  # fmt: skip
    english = [p.text for d in ids if (versions[d].language or "en") == "en" for p in passages[d]]
    spacy_spans(english)  # the part-of-speech tags of compare_articles' tagging (predicates)
    verbs = {p.text: verb_starts(p.text) for d in ids for p in passages[d]}
    texts = story_texts(passages, verbs)
    vectors, parts = story_vectors(
        passages, embedder.encode(texts), {t: k for k, t in enumerate(texts)}, verbs
    )
    central = dict(zip(ids, centrality([vectors[d] for d in ids]), strict=True))
    weights = story_weights([u for d in ids for u in units[d]])
    ecb: dict[str, list[set[int]]] = {}
    ecb_all: dict[str, list[set[int]]] = {}
    for d in ids:
        sentences = records[d]["docs"][d]["sentences"]
        annotated = set(records[d]["docs"][d]["annotated"])
        prose, _ = map_passages(sentences, list(versions[d].sentences))
        ecb_all[d] = [
            prose.get(p.index, set()) if p.kind == "text" else map_text(sentences, p.text)
            for p in passages[d]
        ]
        ecb[d] = [m & annotated for m in ecb_all[d]]
    links: set[tuple[str, int, str, int]] = set()
    for record in {id(r): r for r in records.values()}.values():
        for a, i, b, j, _chains in record["links"]:
            links |= {(a, i, b, j), (b, j, a, i)}
    out = []
    for x in range(len(ids)):
        for y in range(x + 1, len(ids)):
            da, db = ids[x], ids[y]
            same_story = records[da]["story"] == records[db]["story"]
            sim = vectors[da] @ vectors[db].T
            clause_sim = clause_similarity(*parts[da], *parts[db])
            for c in align.story_candidates(
                units[da], units[db], sim, central[da], central[db], clause_sim=clause_sim, weights=weights
            ):
                sa, sb = ecb[da][c.i], ecb[db][c.j]
                if same_story and (not sa or not sb):
                    continue  # within a story only annotated sentences have gold
                if not same_story and not (
                    sa and sb if annotated_only else ecb_all[da][c.i] and ecb_all[db][c.j]
                ):
                    continue  # across the topic's two events, a labelled sentence pair is a negative
                label = same_story and any((da, i, db, j) in links for i in sa for j in sb)
                out.append((c.features, int(label), same_story))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--msrp", type=Path, default=SHARED / "msrp" / "train.tsv")
    parser.add_argument("--ecb", type=Path, default=SHARED / "ecbplus" / "facts_dev.jsonl")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "src" / "storyline" / "resources" / "fact_model.json"
    )
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--all-negatives", action="store_true", help="cross-story negatives of any sentences")
    parser.add_argument("--samples", type=int, default=3, help="document samples per story")
    args = parser.parse_args(argv)
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold

    embedder = default_embedder()
    pairwise = fit_pairwise(args.msrp, embedder)
    # the story features read the pairwise model: install it before computing them
    stub = {"base": -10.0, "trees": [], "features": list(STORY_FEATURES), "threshold": 0.5}
    facts.fact_models.cache_clear()
    args.out.write_text(json.dumps({"pairwise": pairwise, "story": stub}) + "\n", encoding="utf-8")
    records = [json.loads(line) for line in args.ecb.open(encoding="utf-8")]
    dev = [r for r in records if part_of(r["story"]) == "dev"]
    by_topic: dict[int, list[dict[str, Any]]] = {}
    for r in dev:
        by_topic.setdefault(int(r["story"].split("_")[0]), []).append(r)
    x_rows: list[list[float]] = []
    y_rows: list[int] = []
    groups: list[int] = []
    within: list[bool] = []
    try:
        if args.out.resolve() != (ROOT / "src" / "storyline" / "resources" / facts.FACT_MODEL).resolve():
            raise SystemExit(
                "--out must be the shipped resource: the features read the pairwise model from it"
            )
        for topic, stories in sorted(by_topic.items()):
            for seed in range(args.samples):
                for record in stories:
                    docs = sample_docs(record, 6, seed)
                    with tempfile.TemporaryDirectory() as tmp:
                        versions = read_docs(record, docs, Path(tmp))
                    rows = story_rows(versions, {d: record for d in versions}, embedder)
                    for f, label, same in rows:
                        x_rows.append(f)
                        y_rows.append(label)
                        groups.append(topic)
                        within.append(same)
                if len(stories) == 2 and seed == 0:  # hard negatives: the topic's two events side by side
                    a, b = stories
                    da, db = sample_docs(a, 3, 7), sample_docs(b, 3, 7)
                    with tempfile.TemporaryDirectory() as tmp_a, tempfile.TemporaryDirectory() as tmp_b:
                        va, vb = read_docs(a, da, Path(tmp_a)), read_docs(b, db, Path(tmp_b))
                    mixed = {**va, **vb}
                    owner = {**{d: a for d in va}, **{d: b for d in vb}}
                    for f, label, same in story_rows(
                        mixed, owner, embedder, annotated_only=not args.all_negatives
                    ):
                        if not same:
                            x_rows.append(f)
                            y_rows.append(label)
                            groups.append(topic)
                            within.append(same)
            print(f"topic {topic}: {len(y_rows)} labelled pairs so far", file=sys.stderr, flush=True)
        x, y, g, w = np.array(x_rows), np.array(y_rows), np.array(groups), np.array(within)
        params = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 40,
                  "l2_regularization": 1.0, "random_state": 0}  # fmt: skip
        oof = np.zeros(len(y))
        for fit, test in GroupKFold(n_splits=5).split(x, y, g):
            model = HistGradientBoostingClassifier(**params).fit(x[fit], y[fit])
            oof[test] = model.predict_proba(x[test])[:, 1]
        grid = np.round(np.arange(0.30, 0.99, 0.01), 2)
        curve = []
        for t in grid:
            pred = (oof >= t) & w
            tp = int((pred & (y == 1)).sum())
            precision = tp / max(1, int(pred.sum()))
            recall = tp / max(1, int(((y == 1) & w).sum()))
            curve.append((float(t), precision, recall))
        threshold = args.threshold
        for t, p, r in curve[::5]:
            print(f"  oof threshold {t:.2f}: pair precision {p:.3f} recall {r:.3f}", file=sys.stderr)
        model = HistGradientBoostingClassifier(**params).fit(x, y)
        trees = Trees.from_boosting(model)
        check = 1 / (1 + np.exp(-trees.predict(x)))
        assert np.allclose(check, model.predict_proba(x)[:, 1], atol=1e-6), "tree export differs from sklearn"
        story = {
            **trees.to_json(),
            "features": list(STORY_FEATURES),
            "threshold": threshold,
            "trained_on": f"ECB+ {args.ecb.name}, odd topics: {len(y)} labelled sentence pairs "
            f"({int(y.sum())} same fact, {int((~w).sum())} cross-story negatives)",
        }
        args.out.write_text(
            json.dumps({"pairwise": pairwise, "story": story}, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        print(f"threshold {threshold}; wrote {args.out}", file=sys.stderr)
    finally:
        facts.fact_models.cache_clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
