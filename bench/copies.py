"""Copy detection on the sample corpus, the seeds, and the speed of the near-duplicate index.

1. The sample corpus (src/storyline/sample/corpus.jsonl, gold ``copy_of``/``copy_type``), read, cleaned and
   analysed like ``storyline ingest`` does, sentence vectors from the multilingual USE model, then:
   a. per gold story: ``find_copies`` on each story's members;
   b. whole corpus with blocking: candidate pairs from the MinHash-LSH index (articles added in date order,
      each queried before it is added) plus each article's nearest articles by mean sentence vector within
      ``story_window_days`` (standing in for the story stage's candidates), then one ``find_copies`` call;
   c. whole corpus, every pair (no blocking).
   A link is right when copy, original and type all match gold; "pair" counts the unordered pair alone.
   Every miss and false link is listed.
2. The two seed articles (../shared/seeds), when present: they are one story but not copies.
3. NearDuplicateIndex speed on generated articles (~450 words), with planted edited copies (every tenth
   article, word 5-gram Jaccard about 0.5-0.75 to its original) to measure recall by Jaccard.

    .venv/bin/python bench/copies.py                 # default: 10,000 generated articles
    .venv/bin/python bench/copies.py --n 2000 --precision 0.8
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from storyline.copies.blocking import NearDuplicateIndex, shingles
from storyline.copies.decide import align_sentences, copy_thresholds, find_copies
from storyline.features.embed import default_embedder
from storyline.models import Article, CopyLink
from storyline.pipeline import prepare_record
from storyline.readers.sources import read_paths
from storyline.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "src" / "storyline" / "sample" / "corpus.jsonl"
SEEDS = REPO.parent / "shared" / "seeds"
Vectors = dict[str, npt.NDArray[np.float32]]


def load(paths: Sequence[Path]) -> list[Article]:
    """Articles as the ingest pipeline prepares them (cleaned, language, sentences)."""
    return [a for a in (prepare_record(r) for r in read_paths(paths)) if isinstance(a, Article)]


def embed(articles: Sequence[Article]) -> tuple[Vectors, float]:
    """Sentence vectors of every article, in one batch; returns them and the seconds spent."""
    start = time.perf_counter()
    matrix = default_embedder().encode([s for a in articles for s in a.sentences])
    out: Vectors = {}
    row = 0
    for a in articles:
        out[a.id] = matrix[row : row + len(a.sentences)]
        row += len(a.sentences)
    return out, time.perf_counter() - start


def score(
    name: str, links: Sequence[CopyLink], gold: Mapping[str, dict[str, str]], ext: Mapping[str, str]
) -> None:
    """Print precision/recall of ``links`` against gold, then every miss and false link."""
    truth = {(doc, g["copy_of"], g["copy_type"]) for doc, g in gold.items() if g.get("copy_of")}
    found = {(ext[x.copy], ext[x.original], x.type.value) for x in links}
    pairs_truth = {frozenset(t[:2]) for t in truth}
    pairs_found = {frozenset(f[:2]) for f in found}
    right, pair_right = len(found & truth), len(pairs_found & pairs_truth)
    print(
        f"  {name}: {len(found)} links, {len(truth)} gold | exact (copy, original, type): "
        f"P {right / max(1, len(found)):.2f} R {right / len(truth):.2f} | pair regardless of type/direction: "
        f"P {pair_right / max(1, len(pairs_found)):.2f} R {pair_right / len(pairs_truth):.2f}"
    )
    for copy, original, kind in sorted(truth - found):
        got = [f for f in found if frozenset(f[:2]) == frozenset((copy, original))]
        print(f"    MISS  {copy} -> {original} ({kind})" + (f"; found as {got[0]}" if got else ""))
    for copy, original, kind in sorted(found - truth):
        print(f"    FALSE {copy} -> {original} ({kind})")


def candidate_pairs(
    articles: Sequence[Article], vectors: Vectors, settings: Settings, k: int = 3
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """LSH pairs (incremental, in date order) and nearest-neighbour pairs by mean sentence vector."""
    index = NearDuplicateIndex()
    lsh: set[tuple[str, str]] = set()
    for a in sorted(articles, key=lambda a: (a.published or "", a.id)):
        lsh.update((min(a.id, b), max(a.id, b)) for b in index.query_and_add(a.id, a.text))
    means = np.stack([vectors[a.id].mean(axis=0) for a in articles])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)
    sims = means @ means.T
    days = np.array(
        [np.datetime64(a.published[:10]) if a.published else np.datetime64("NaT") for a in articles]
    )
    gap = np.abs((days[:, None] - days[None, :]).astype("timedelta64[D]").astype(float))
    sims[~(gap <= settings.story_window_days)] = -1.0
    np.fill_diagonal(sims, -1.0)
    knn: set[tuple[str, str]] = set()
    for i, a in enumerate(articles):
        for j in np.argsort(-sims[i])[:k]:
            if sims[i, j] > -1.0:
                b = articles[j].id
                knn.add((min(a.id, b), max(a.id, b)))
    return lsh, knn


def corpus_bench(path: Path, settings: Settings) -> None:
    gold = {
        json.loads(line)["doc_id"]: json.loads(line) for line in path.read_text().splitlines() if line.strip()
    }
    articles = load([path])
    ext = {a.id: a.external_id for a in articles}
    vectors, seconds = embed(articles)
    n_sent = sum(len(a.sentences) for a in articles)
    print(f"sample corpus: {len(articles)} articles, {n_sent} sentences embedded in {seconds:.1f} s")
    print(f"thresholds at precision {settings.precision}: {copy_thresholds(settings)}")

    stories: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        stories[gold[a.external_id]["story"]].append(a)
    start = time.perf_counter()
    links = [x for group in stories.values() for x in find_copies(group, vectors=vectors, settings=settings)]
    score(f"a. per gold story ({time.perf_counter() - start:.2f} s)", links, gold, ext)

    lsh, knn = candidate_pairs(articles, vectors, settings)
    truth = {frozenset((d, g["copy_of"])) for d, g in gold.items() if g.get("copy_of")}
    by_ext = {a.external_id: a.id for a in articles}
    truth_ids = {frozenset(by_ext[d] for d in t) for t in truth}
    for label, cands in (("LSH", lsh), ("nearest neighbours", knn), ("union", lsh | knn)):
        hit = sum(frozenset(p) in truth_ids for p in cands)
        print(f"  blocking, {label}: {len(cands)} candidate pairs, holds {hit}/{len(truth)} gold copy pairs")
    start = time.perf_counter()
    links = find_copies(articles, vectors=vectors, pairs=lsh | knn, settings=settings)
    score(
        f"b. whole corpus, LSH + nearest-neighbour blocking ({time.perf_counter() - start:.2f} s)",
        links,
        gold,
        ext,
    )
    start = time.perf_counter()
    links = find_copies(articles, vectors=vectors, settings=settings)
    n_pairs = len(articles) * (len(articles) - 1) // 2
    score(f"c. whole corpus, all {n_pairs} pairs ({time.perf_counter() - start:.2f} s)", links, gold, ext)
    margins(stories, vectors, gold)
    for p in (0.0, 1.0):
        other = settings.with_(precision=p)
        links = [x for group in stories.values() for x in find_copies(group, vectors=vectors, settings=other)]
        score(f"a. per gold story at precision {p}", links, gold, ext)


def margins(
    stories: Mapping[str, Sequence[Article]], vectors: Vectors, gold: Mapping[str, dict[str, str]]
) -> None:
    """How far apart copies and independent reports of one story are, at precision 0's alignment thresholds.

    Coverage: aligned sentences (USE cosines, in order) over the longer side's sentence count.
    Containment: shingles of the shorter side found in the other, same-language pairs only.
    """
    th = copy_thresholds(Settings(precision=0.0))
    cover: dict[str, list[tuple[float, str]]] = defaultdict(list)
    contain: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for group in stories.values():
        for a, b in itertools.combinations(group, 2):
            ga, gb = gold[a.external_id], gold[b.external_id]
            kind = ga.get("copy_type") if ga.get("copy_of") == b.external_id else None
            kind = (
                kind or (gb.get("copy_type") if gb.get("copy_of") == a.external_id else None) or "independent"
            )
            name = f"{a.external_id}/{b.external_id}"
            tau = th.align_same if a.language == b.language else th.align_cross
            n = len(align_sentences(vectors[a.id] @ vectors[b.id].T, tau))
            cover[kind].append((n / max(len(a.sentences), len(b.sentences)), name))
            if a.language == b.language:
                sa, sb = shingles(a.text), shingles(b.text)
                contain[kind].append((len(sa & sb) / max(1, min(len(sa), len(sb))), name))
    for kind in sorted(cover):
        pick = max if kind == "independent" else min
        cv, ct = pick(cover[kind]), pick(contain[kind]) if contain[kind] else (float("nan"), "-")
        print(
            f"  {kind:<11} pairs ({len(cover[kind])}): {'highest' if pick is max else 'lowest'} in-order "
            f"coverage {cv[0]:.2f} ({cv[1]}), shingle containment {ct[0]:.2f} ({ct[1]})"
        )


def seeds_bench(folder: Path) -> None:
    if not folder.is_dir():
        print(f"seeds: {folder} not found, skipped")
        return
    seeds = load(sorted(folder.glob("*.txt")))
    vectors, _ = embed(seeds)
    for p in (0.0, 0.5, 1.0):
        links = find_copies(seeds, vectors=vectors, settings=Settings(precision=p))
        verdict = "LINKED (wrong: they are not copies)" if links else "not linked (right)"
        print(f"seeds ({len(seeds)} articles) at precision {p}: {verdict}")
        for x in links:
            print(f"    {x.copy} -> {x.original} {x.type.value}: {x.evidence['rule']}")


WORDS = (
    "the council minister police officials said on after before week year government city report people market "
    "company shares percent million billion election vote court judge ruling fire storm rescue workers hospital "
    "school bridge river harbour airport strike union talks agreement deal president spokesman statement "
    "announced according investigation damage residents local national were was has have had will would could "
    "into over under about against between during since while"
).split()
NAMES = ["Mara Quint", "Tomas Ebner", "Lucia Ferro", "Ade Okafor", "Ilse Brandt", "Ravi Menon", "Joan Pike"]


def generated(n: int, seed: int = 7) -> Iterable[tuple[str, str, str | None]]:
    """(id, text, id of the article it copies): every tenth article is an edited copy of an earlier one."""
    rng = random.Random(seed)
    originals: list[tuple[str, list[str]]] = []
    for i in range(n):
        if i % 10 == 9:
            src, toks = rng.choice(originals)
            toks = list(toks)
            for pos in rng.sample(range(len(toks)), rng.randint(16, 32)):  # word 5-gram Jaccard ~0.5-0.75
                toks[pos] = rng.choice(WORDS)
            yield f"g{i}", " ".join(toks), src
        else:
            toks = []
            while len(toks) < 450:
                toks += [rng.choice(WORDS) for _ in range(rng.randint(12, 24))] + rng.choice(NAMES).split()
            originals.append((f"g{i}", toks))
            yield f"g{i}", " ".join(toks), None


def rss_mb() -> float:
    """Resident memory of this process now (Linux), in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def index_bench(n: int) -> None:
    docs = list(generated(n))
    by_id = {i: t for i, t, _ in docs}
    jaccard = {}
    for i, text, src in docs:
        if src:
            a, b = shingles(text), shingles(by_id[src])
            jaccard[i] = len(a & b) / len(a | b)
    index = NearDuplicateIndex()
    found: set[str] = set()
    candidates = 0
    mem = [rss_mb()]
    start = time.perf_counter()
    for k, (doc_id, text, src) in enumerate(docs):  # streaming: each arriving article is queried, then added
        hits = index.query_and_add(doc_id, text)
        candidates += len(hits)
        if src in hits:
            found.add(doc_id)
        if k + 1 == n // 2:
            mem.append(rss_mb())
    seconds = time.perf_counter() - start
    mem.append(rss_mb())
    false_candidates = candidates - len(found)
    print(
        f"NearDuplicateIndex: {n:,} generated articles (~450 words), each queried then added: {seconds:.2f} s = "
        f"{n / seconds:,.0f} articles/s; {false_candidates / n:.3f} candidates per query that are not the planted "
        f"original; memory {mem[0]:.0f} -> {mem[1]:.0f} -> {mem[2]:.0f} MB at 0 / {n // 2:,} / {n:,} articles "
        f"({(mem[2] - mem[1]) * 2**20 / (n - n // 2):,.0f} bytes per article in the second half)"
    )
    print("  recall of planted edited copies by word 5-gram Jaccard to their original:")
    for lo, hi in ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 1.01)):
        ids = [i for i, j in jaccard.items() if lo <= j < hi]
        if ids:
            hit = sum(i in found for i in ids)
            print(f"    Jaccard {lo:.1f}-{min(hi, 1.0):.1f}: {hit}/{len(ids)} = {hit / len(ids):.3f}")
    top = [i for i, j in jaccard.items() if j >= 0.6]
    print(f"    Jaccard >= 0.6: {sum(i in found for i in top)}/{len(top)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="generated articles for the index speed test")
    parser.add_argument("--precision", type=float, default=0.5, help="settings.precision for the corpus runs")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    args = parser.parse_args()
    corpus_bench(args.corpus, Settings(precision=args.precision))
    seeds_bench(args.seeds)
    index_bench(args.n)


if __name__ == "__main__":
    main()
