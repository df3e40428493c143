"""Train the story pair model (``src/storyline/resources/story_model.json``) on a gold file.

The gold file has the format of ECB+ ``dev.jsonl`` (``doc_id``, ``story``, ``topic``, ``text``).
Two logistic regressions over the pair features of :mod:`storyline.stories` are fitted for the
online pass: one for same-language pairs, one without the word feature for cross-lingual
pairs; and gradient-boosted trees (scikit-learn) for same-language pairs in consolidation. The online
join threshold, the consolidation's merge threshold, its cohesion and the cluster size the
cohesion rule applies from are chosen by running
the story stage (online pass, then consolidation) on held-out topics (5 folds, topics never
split across folds) and taking the setting with the best smoothed mean BCubed F1. The
printed figures are those held-out ones.

    .venv/bin/python scripts/train_story_model.py ../shared/bench/ecbplus/dev.jsonl \
        --out src/storyline/resources/story_model.json

To iterate faster: ``--cache DIR`` keeps the profiles, the pair features and each fold's
fitted models on disk (keyed by the gold file and the storyline package's code and resources), and
``--join``, ``--merge``, ``--cohesion``, ``--established`` (comma-separated) replace one axis
of the grid each, e.g. ``--join 0.6 --merge 0.05,0.1,0.15 --cohesion 0.6 --established 8``.

How far to trust the held-out figure: the folds are one random partition of the 33 topics, and
the setting is chosen on those very folds, so the printed mean is the best of the grid on them.
``--partitions N`` repeats the cross-validation over N partitions (the first is the usual one)
and chooses on the mean of all; ``--nested`` also chooses the setting anew inside each training
split (grouped cross-validation over its topics only) and scores that choice on the held-out
topics, which were not looked at: the figure of the whole procedure. ``--seed`` sets the trees'
random state (scikit-learn bins the features on a random 200,000 of the training pairs when
there are more). Trees are fitted on one thread (the same trees; several times quicker on a
busy machine), so the script writes the same model on every run.

``--dated FILE`` (a dated gold file of the same format, ``../shared/bench/allsides/dev.jsonl``)
also fits dated trees (``PairModel.dated_trees``), which the consolidation then reads for
same-language pairs of two articles published the same day (``--dated-days``): fitted on the
main gold file's pairs and the dated file's same-day pairs, one more input telling them apart.
ECB+ is undated, so its held-out figures do not move. A model that has seen the whole dated
file has fitted figures on it (``bench/allsides.py`` says so); the script prints the figures to
trust: each half of the file's months clustered with trees that saw only the other half's
pairs, beside trees that saw none, and the sample corpus against its gold. They are not in the
shipped model (``DATED_DAYS`` has the figures: with each month held out in turn, one of four
months lost 0.03), and the script prints both ways of holding months out. The shipped model:

    .venv/bin/python scripts/train_story_model.py ../shared/bench/ecbplus/dev.jsonl \
        --join 0.6 --merge 0.1 --cohesion 0.6 --established 8 \
        --out src/storyline/resources/story_model.json

The random state alone moves the held-out figure about as much as most changes one would
measure: at the shipped setting, 6 partitions, the mean was 0.9603, 0.9573 and 0.9560 with
seeds 0, 1 and 2. ``--seeds N`` repeats every partition's cross-validation with the random
states ``--seed`` to ``--seed`` + N - 1 and reports (and chooses on) the mean of all: compare
pair features or settings with it, not on one seed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from storyline.evaluation import bcubed
from storyline.features.embed import default_embedder
from storyline.models import Article
from storyline.pipeline import prepare_record
from storyline.readers.sources import read_paths
from storyline.stories import features as story_features
from storyline.stories.features import (
    FEATURES,
    Idf,
    PairModel,
    Profile,
    days_apart,
    profile_articles,
    story_pair_features,
)
from storyline.stories.index import StoryIndex
from storyline.trees import Trees

Setting = tuple[float, float, float, int]

#: the online join threshold, the consolidation's merge threshold and its cohesion share
THRESHOLDS = [0.5, 0.6]
MERGE_THRESHOLDS = [0.1, 0.15, 0.2, 0.25]
COHESIONS = [0.4, 0.6, 0.7, 0.8]
#: the size from which two clusters count as established (``cohesion`` holds between them)
ESTABLISHED = [1, 4, 6, 8]
#: the share of its own cohesion a cluster smaller than established must match to join. Fixed,
#: not in the grid: ECB+ stories hold ten or more reports each and say little about small
#: ones. Measured on the synthetic 10,000-article stream of bench/stories.py (dense, small
#: same-kind stories): with the logistic regressions alone BCubed F1 was 0.936 at 0.4 and
#: 0.947 at 0.6 (held-out ECB+ 0.940 and 0.921); with the trees, 0.953 at 0.4, 0.5 and 0.6.
#: 0.5 since stories have a hard time bound (bench/allsides.py, April-May, the tuning months of
#: that file: BCubed F1 0.824 at 0.4, 0.852 at 0.5; ECB+ all at once 0.973 and 0.980).
FRAGMENT_COHESION = 0.5


def load(path: str) -> tuple[list[Article], dict[str, str], dict[str, str]]:
    articles = [a for a in (prepare_record(r) for r in read_paths([path])) if isinstance(a, Article)]
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    story = {r["doc_id"]: r["story"] for r in rows}
    topic = {r["doc_id"]: str(r.get("topic", r["story"])) for r in rows}
    return articles, story, topic


def fit(
    x: np.ndarray, y: np.ndarray, *, cross: bool, weight: np.ndarray | None = None
) -> tuple[tuple[float, ...], float]:
    cols = [i for i, name in enumerate(FEATURES) if not (cross and name == "words")]
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(x[:, cols], y, sample_weight=weight)
    coef = [0.0] * len(FEATURES)
    for c, w in zip(cols, lr.coef_[0], strict=True):
        coef[c] = float(w)
    return tuple(round(c, 5) for c in coef), round(float(lr.intercept_[0]), 5)


#: the consolidation's trees (scikit-learn HistGradientBoostingClassifier), chosen on held-out
#: topics: 0.97-0.98 BCubed F1 over (100, 0.1, 15, 100), (200, 0.05, 7, 200), (300, 0.03, 31, 50)
TREES = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 100}


def fit_trees(x: np.ndarray, y: np.ndarray, seed: int = 0, weight: np.ndarray | None = None) -> Trees:
    """Gradient-boosted trees over all features, exported and checked to give scikit-learn's
    log-odds."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    # One thread: the same trees (checked byte for byte), and on a machine shared with other
    # work about ten times quicker than OpenMP threads fighting for the cores.
    with threadpool_limits(1):
        gbm = HistGradientBoostingClassifier(**TREES, early_stopping=False, random_state=seed).fit(
            x, y, sample_weight=weight
        )
    trees = Trees.from_json(json.loads(json.dumps(Trees.from_boosting(gbm).to_json())))
    sample = x[:: max(1, len(x) // 5000)]
    gap = np.abs(trees.predict(sample) - gbm.decision_function(sample)).max()
    if gap > 1e-4:  # leaf values are kept to 10 digits
        raise RuntimeError(f"exported trees differ from scikit-learn's by {gap}")
    return trees


def cluster_f1(
    model: PairModel,
    setting: Setting,
    ids: Sequence[int],
    profiles: list,
    gold: list[str],
    fragment_cohesion: float = FRAGMENT_COHESION,
) -> float:
    model = replace(
        model,
        threshold=setting[0],
        merge_threshold=setting[1],
        cohesion=setting[2],
        established=setting[3],
        fragment_cohesion=fragment_cohesion,
    )
    index = StoryIndex(model=model)
    for i in ids:
        index.add(profiles[i])
    index.consolidate()
    pred = [index.story_of[profiles[i].article_id] for i in ids]
    return bcubed(pred, [gold[i] for i in ids])["f1"]


def _floats(text: str | None, default: list[float]) -> list[float]:
    return default if text is None else [float(v) for v in text.split(",") if v.strip()]


def _cache_key(gold_path: str) -> str:
    """The gold file and the code that turns it into profiles and pair features (every module of
    the storyline package: profiles read text helpers, language packs and the embedder)."""
    h = hashlib.sha256(Path(gold_path).read_bytes())
    package = Path(story_features.__file__).parents[1]
    for path in sorted(package.rglob("*")):
        if (
            path.is_file()
            and path.suffix in {".py", ".json", ".txt", ".gz"}
            and path.name != "story_model.json"
        ):
            h.update(path.relative_to(package).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def profiles_and_features(
    articles: list[Article], gold: list[str], cache: Path | None, key: str
) -> tuple[list[Profile], list[tuple[int, int]], np.ndarray, np.ndarray]:
    """Profiles, all pairs, their features and labels; read from / written to ``cache`` when given."""
    n = len(articles)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    y = np.array([gold[i] == gold[j] for i, j in pairs], dtype=np.int32)
    if cache is not None and (cache / f"{key}.npz").exists():
        with np.load(cache / f"{key}.npz", allow_pickle=False) as z:
            blobs = [bytes(z[f"p{k}"]) for k in range(n)]
            x = z["x"]
        profiles = [Profile.from_bytes(b) for b in blobs]
        if [p.article_id for p in profiles] == [a.id for a in articles]:
            print(f"profiles and pair features from {cache / key}.npz", file=sys.stderr)
            return profiles, pairs, x, y
    profiles = profile_articles(articles, embedder=default_embedder())
    idf = Idf()
    for p in profiles:
        idf.add(p)
    x = np.array([story_pair_features(profiles[i], profiles[j], idf) for i, j in pairs], dtype=np.float64)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        blobs = {f"p{k}": np.frombuffer(p.to_bytes(), dtype=np.uint8) for k, p in enumerate(profiles)}
        np.savez(cache / f"{key}.npz", x=x, **blobs)
    return profiles, pairs, x, y


#: pairs of a dated gold file (a real stream: AllSides) at most this many days apart are fitted
#: beside the main gold file's, and the trees fitted on them score such pairs. Measured (clusters
#: of 6 established; of 8, the same-day figures are the same) with
#: :func:`months_held_out` on AllSides dev (April-May held out / June-July held out, BCubed F1;
#: 0.899 / 0.922 without): 3 days 0.916 / 0.942, 1 day 0.916 / 0.929, same day 0.906 / 0.932.
#: Only the same-day trees keep the sample corpus's gold (0.980 at 1 and 3 days: its four-day
#: port strike, one report a day, falls in two): the AllSides editors file a follow-up a day or
#: two later as a story of its own, which a strike that lasts four days is not; what the
#: same-day pairs teach is what ECB+ cannot, two reports of one day on one subject but of two
#: events (the President's speech and his party's reply). Over the trees' random states 0 / 1 /
#: 2, same day: 0.906 / 0.932, 0.899 / 0.934, 0.903 / 0.932 against 0.899 / 0.922, 0.897 / 0.924,
#: 0.898 / 0.924 without; the sample corpus's gold held at states 0 and 2, not at 1 (0.980: the
#: strike again, which hangs on one cross-lingual pair). Each month held out in turn (same day,
#: trees fitted on the other three months' pairs), without -> with: April 0.848 -> 0.896, May
#: 0.917 -> 0.887 (precision 0.924 -> 0.850: same-day merges of two stories of one beat), June
#: 0.931 -> 0.942, July 0.914 -> 0.926; 0.914 -> 0.916 over the four, articles weighted. Without
#: the time prior for the pairs these trees score (they learned the same-day rate): 0.908 /
#: 0.895 / 0.912 / 0.919. Too uncertain a gain to ship; the option stays to measure it again.
DATED_DAYS = 0
#: the dated pairs weigh this share of the main gold file's pairs in all (at 1.0 a corpus of a
#: few thousand pairs counts as much as ECB+'s 300,000)
DATED_SHARE = 1.0


class Dated:
    """Pairs of a dated gold file, at most ``days`` apart, for the dated trees
    (:attr:`PairModel.dated_trees`): fitted with the main gold file's pairs, weighted so that
    they count ``share`` as much in all (ECB+: about 300,000 pairs of undated curated topics,
    against some 4,000 same-day pairs of AllSides). ECB+ has no publication dates and no
    coverage of the other news of the day: these pairs show the trees what two reports of one
    day on one subject but two events look like."""

    def __init__(self, path: str, days: int = DATED_DAYS, share: float = DATED_SHARE) -> None:
        self.path, self.days, self.share = path, days, share
        articles, story_of, _ = load(path)
        self.articles = articles
        self.gold = [story_of[a.external_id] for a in articles]
        self.month = [(a.published or "")[:7] for a in articles]
        self.profiles = profile_articles(articles, embedder=default_embedder())
        idf = Idf()
        for p in self.profiles:
            idf.add(p)
        rows, feats = [], []
        for i in range(len(articles)):
            for j in range(i + 1, len(articles)):
                gap = days_apart(self.profiles[i], self.profiles[j])
                if gap is not None and gap <= days:
                    rows.append((i, j))
                    feats.append(story_pair_features(self.profiles[i], self.profiles[j], idf))
        self.pairs = rows
        self.x = np.array(feats, dtype=np.float64).reshape(-1, len(FEATURES))
        self.y = np.array([self.gold[i] == self.gold[j] for i, j in rows], dtype=np.int32)
        self.key = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12] + f"d{days}s{share}"

    def subset(self, months: set[str]) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of articles both published in ``months``."""
        keep = np.array(
            [self.month[i] in months and self.month[j] in months for i, j in self.pairs], dtype=bool
        )
        return self.x[keep], self.y[keep]


def dated_weights(main: int, dated: int, share: float = DATED_SHARE) -> np.ndarray:
    """Sample weights of ``main`` pairs of the main gold file then ``dated`` pairs of the dated
    one: 1 each, and the dated pairs together ``share`` of the main file's total."""
    return np.concatenate([np.ones(main), np.full(dated, share * main / max(dated, 1))])


def fit_model(
    x: np.ndarray,
    y: np.ndarray,
    seed: int = 0,
    dated: tuple[np.ndarray, np.ndarray] | None = None,
    share: float = DATED_SHARE,
    days: int = DATED_DAYS,
) -> PairModel:
    """The regressions and the trees fitted on ``x``, ``y`` and, when given, the ``dated``
    pairs, weighted to count as much in all (see :class:`Dated`); setting placeholders."""
    mono, mono_b = fit(x, y, cross=False)
    cross, cross_b = fit(x, y, cross=True)
    trees = fit_trees(x, y, seed)
    if dated is None or not len(dated[1]):
        return PairModel(mono, mono_b, cross, cross_b, 0.5, trees=trees)
    weight = dated_weights(len(y), len(dated[1]), share)
    flag = np.concatenate([np.zeros(len(y)), np.ones(len(dated[1]))])
    both = np.column_stack([np.vstack([x, dated[0]]), flag])
    dated_trees = fit_trees(both, np.concatenate([y, dated[1]]), seed, weight)
    return PairModel(mono, mono_b, cross, cross_b, 0.5, trees=trees, dated_trees=dated_trees, dated_days=days)


def fold_model(
    x: np.ndarray,
    y: np.ndarray,
    cache: Path | None,
    key: str,
    seed: int = 0,
    dated: Dated | None = None,
) -> PairModel:
    """The regressions and trees fitted on one fold's training pairs and the dated pairs, if
    any (cached when asked)."""
    key = key if dated is None else f"{key}-{dated.key}"
    key = key if seed == 0 else f"{key}-seed{seed}"
    path = cache / f"{key}.model.json" if cache is not None else None
    if path is not None and path.exists():
        raw = json.loads(path.read_text())
        return PairModel(
            tuple(raw["mono"]),
            raw["mono_bias"],
            tuple(raw["cross"]),
            raw["cross_bias"],
            0.5,
            trees=Trees.from_json(raw["trees"]),
            dated_trees=Trees.from_json(raw["dated_trees"]) if "dated_trees" in raw else None,
            dated_days=raw.get("dated_days", DATED_DAYS),
        )
    model = fit_model(
        x,
        y,
        seed,
        None if dated is None else (dated.x, dated.y),
        DATED_SHARE if dated is None else dated.share,
        DATED_DAYS if dated is None else dated.days,
    )
    if path is not None:
        path.write_text(json.dumps(model.to_json()))
    return model


def months_held_out(dated: Dated, x: np.ndarray, y: np.ndarray, model: PairModel, seed: int = 0) -> None:
    """The dated file clustered whole (as ``bench/allsides.py`` does), each half of its months,
    then each month, scored with models fitted on the main gold file and the dated pairs of the
    other months only, beside models fitted on the main gold file alone; at ``model``'s
    settings. These are the figures to trust for the dated file: a model written with it has
    seen all of it. Over the months, the mean is weighted by their articles."""
    from storyline.stories.index import cluster_articles

    months = sorted(set(dated.month) - {""})
    halves = [set(months[: len(months) // 2]), set(months[len(months) // 2 :])]
    plain = fit_model(x, y, seed)
    totals = [0.0, 0.0]
    for held in [*halves, *({m} for m in months)]:
        seen = set(months) - held
        with_dated = fit_model(x, y, seed, dated.subset(seen), dated.share, dated.days)
        ids = [i for i, m in enumerate(dated.month) if m in held]
        figures = []
        for fitted in (plain, with_dated):
            m = replace(
                fitted,
                threshold=model.threshold,
                merge_threshold=model.merge_threshold,
                cohesion=model.cohesion,
                established=model.established,
                fragment_cohesion=model.fragment_cohesion,
            )
            stories, _ = cluster_articles(dated.articles, embedder=default_embedder(), model=m)
            story_of = {a: s for s, members in stories.items() for a in members}
            pred = [story_of[dated.articles[i].id] for i in ids]
            figures.append(bcubed(pred, [dated.gold[i] for i in ids])["f1"])
        print(
            f"{dated.path} months {'+'.join(sorted(held))} held out: BCubed F1 {figures[0]:.4f} fitted on "
            f"the main gold alone, {figures[1]:.4f} with the pairs of {'+'.join(sorted(seen))}"
        )
        if len(held) == 1:
            totals = [t + f * len(ids) for t, f in zip(totals, figures, strict=True)]
    n = sum(m in months for m in dated.month)
    print(
        f"{dated.path} each month held out in turn, weighted mean: BCubed F1 {totals[0] / n:.4f} "
        f"fitted on the main gold alone, {totals[1] / n:.4f} with the other months' pairs"
    )


def sample_check(model: PairModel) -> None:
    """BCubed F1 of the built-in sample corpus (its gold: every story reproduced exactly)."""
    from storyline.evaluation import read_gold
    from storyline.stories.index import cluster_articles

    path = Path(story_features.__file__).parents[1] / "sample" / "corpus.jsonl"
    articles, rows = read_gold(path)
    stories, _ = cluster_articles(articles, embedder=default_embedder(), model=model)
    story_of = {a: s for s, members in stories.items() for a in members}
    pred = [story_of[a.id] for a in articles]
    print(f"sample corpus: BCubed F1 {bcubed(pred, [str(rows[a.id]['story']) for a in articles])['f1']:.4f}")


def partition(topics: Sequence[str], folds: int, seed: int) -> list[set[str]]:
    """``topics`` dealt into ``folds`` sets after a shuffle by ``seed`` (topics never split)."""
    unique = sorted(set(topics))
    random.Random(seed).shuffle(unique)
    return [set(unique[k::folds]) for k in range(folds)]


def plan(partitions: int, seeds: int, first_seed: int) -> list[tuple[int, int]]:
    """The cross-validations to run: (partition, the trees' random state), every partition with
    ``seeds`` random states from ``first_seed`` on; partition 0 with ``first_seed`` first."""
    return [(p, first_seed + s) for p in range(partitions) for s in range(max(1, seeds))]


class Grid:
    """The settings tried and how one is chosen from held-out scores."""

    def __init__(
        self,
        thresholds: list[float],
        merges: list[float],
        cohesions: list[float],
        established: list[int],
        fragment: float,
    ) -> None:
        self.thresholds, self.merges, self.fragment = thresholds, merges, fragment
        # established from 1: every cluster is, and the fragment share never applies; one setting
        shapes = [(c, e) for c in cohesions for e in established if e > 1 or c == fragment]
        self.shapes = shapes or [(c, e) for c in cohesions for e in established]
        self.settings: list[Setting] = [
            (t, m, c, e) for t in thresholds for c, e in self.shapes for m in merges
        ]

    def choose(self, scores: dict[Setting, list[float]]) -> Setting:
        """The curve is flat and noisy near its top: choose on a 3-point moving average over the
        merge thresholds, so one lucky fold does not pick the setting. On a tie the strictest
        online join wins: consolidation does the generous part, and a group too large for it
        keeps what the online pass made."""
        best, best_smooth = self.settings[0], -1.0
        for t in sorted(self.thresholds, reverse=True):
            for c, e in self.shapes:
                means = [float(np.mean(scores[(t, m, c, e)])) for m in self.merges]
                for k, m in enumerate(self.merges):
                    smooth = float(np.mean(means[max(0, k - 1) : k + 2]))
                    if smooth > best_smooth + 1e-9:
                        best, best_smooth = (t, m, c, e), smooth
        return best


Data = tuple[list[Profile], list[tuple[int, int]], np.ndarray, np.ndarray, list[str], list[str]]


def held_out_scores(
    data: Data,
    folds: list[set[str]],
    grid: Grid,
    cache: Path | None,
    key: str,
    *,
    seed: int = 0,
    unseen: frozenset[str] = frozenset(),
    dated: Dated | None = None,
) -> dict[Setting, list[float]]:
    """BCubed F1 of every setting on each fold's topics, the models fitted on the other topics
    (less ``unseen``: an outer fold the inner cross-validation of :func:`nested` must not see)."""
    profiles, pairs, x, y, gold, topics = data
    scores: dict[Setting, list[float]] = {g: [] for g in grid.settings}
    for k, held in enumerate(folds):
        out = held | unseen
        train = np.array([topics[i] not in out and topics[j] not in out for i, j in pairs])
        model = fold_model(x[train], y[train], cache, f"{key}-fold{k}of{len(folds)}", seed, dated)
        test_ids = [i for i in range(len(profiles)) if topics[i] in held]
        for g in grid.settings:
            scores[g].append(cluster_f1(model, g, test_ids, profiles, gold, grid.fragment))
    return scores


def nested(
    data: Data,
    folds: list[set[str]],
    outer: dict[Setting, list[float]],
    grid: Grid,
    cache: Path | None,
    key: str,
    seed: int = 0,
    dated: Dated | None = None,
) -> list[float]:
    """Per outer fold: the setting chosen (:meth:`Grid.choose`) by grouped cross-validation over
    the training topics alone (as many inner folds as outer ones, less one), and its BCubed F1
    on the outer fold's topics (from ``outer``, the scores of every setting there)."""
    out = []
    for k, held in enumerate(folds):
        rest = [t for t in data[5] if t not in held]
        inner_folds = partition(rest, len(folds) - 1, 13 + k)
        inner = held_out_scores(
            data,
            inner_folds,
            grid,
            cache,
            f"{key}-outer{k}of{len(folds)}",
            seed=seed,
            unseen=frozenset(held),
            dated=dated,
        )
        chosen = grid.choose(inner)
        out.append(outer[chosen][k])
        print(
            f"nested: outer fold {k}: chosen on its training topics join {chosen[0]:.2f} merge "
            f"{chosen[1]:.2f} cohesion {chosen[2]:.1f} from {chosen[3]} (inner mean "
            f"{np.mean(inner[chosen]):.4f}): held-out BCubed F1 {outer[chosen][k]:.4f}"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gold")
    parser.add_argument("--out", help="where to write the model (default: print only)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--cache", help="directory for profiles, pair features and fold models (e.g. /tmp/...)"
    )
    parser.add_argument("--join", help=f"online join thresholds, comma-separated (default {THRESHOLDS})")
    parser.add_argument("--merge", help=f"merge thresholds (default {MERGE_THRESHOLDS})")
    parser.add_argument("--cohesion", help=f"cohesion shares (default {COHESIONS})")
    parser.add_argument("--established", help=f"established sizes (default {ESTABLISHED})")
    parser.add_argument(
        "--fragment-cohesion", type=float, default=FRAGMENT_COHESION, help="(default %(default)s)"
    )
    parser.add_argument(
        "--partitions", type=int, default=1, help="random partitions of the topics into folds (default 1)"
    )
    parser.add_argument(
        "--nested", action="store_true", help="also the figure of a setting chosen inside each training split"
    )
    parser.add_argument("--seed", type=int, default=0, help="the trees' random state (default 0)")
    parser.add_argument(
        "--seeds", type=int, default=1, help="random states per partition, from --seed on (default 1)"
    )
    parser.add_argument(
        "--dated",
        help="a dated gold file (AllSides dev.jsonl) whose pairs a few days apart join every fit",
    )
    parser.add_argument("--dated-days", type=int, default=DATED_DAYS, help="(default %(default)s)")
    parser.add_argument("--dated-share", type=float, default=DATED_SHARE, help="(default %(default)s)")
    args = parser.parse_args()
    grid = Grid(
        _floats(args.join, THRESHOLDS),
        _floats(args.merge, MERGE_THRESHOLDS),
        _floats(args.cohesion, COHESIONS),
        [int(v) for v in _floats(args.established, [float(e) for e in ESTABLISHED])],
        args.fragment_cohesion,
    )
    cache = Path(args.cache) if args.cache else None

    articles, story_of, topic_of = load(args.gold)
    gold = [story_of[a.external_id] for a in articles]
    topics = [topic_of[a.external_id] for a in articles]
    print(f"{len(articles)} articles, {len(set(gold))} stories, {len(set(topics))} topics", file=sys.stderr)
    key = _cache_key(args.gold)
    profiles, pairs, x, y = profiles_and_features(articles, gold, cache, key)
    data: Data = (profiles, pairs, x, y, gold, topics)
    dated = Dated(args.dated, days=args.dated_days, share=args.dated_share) if args.dated else None
    if dated is not None:
        print(
            f"{args.dated}: {len(dated.y)} pairs at most {dated.days} days apart "
            f"({int(dated.y.sum())} of one story) join every fit",
            file=sys.stderr,
        )

    # the first partition is the one the figures in the README and the model's docs come from
    runs = []
    for p, seed in plan(args.partitions, args.seeds, args.seed):
        folds = partition(topics, args.folds, 13 + p)
        prefix = key if p == 0 else f"{key}-p{p}"
        runs.append(
            (folds, prefix, seed, held_out_scores(data, folds, grid, cache, prefix, seed=seed, dated=dated))
        )
    scores = {g: [s for _, _, _, run in runs for s in run[g]] for g in grid.settings}
    others = "partitions" if args.seeds == 1 else "runs"
    for g in grid.settings:
        per_fold = [round(s, 3) for s in runs[0][3][g]]
        more = [f"{np.mean(run[g]):.4f}" for _, _, _, run in runs[1:]]
        print(
            f"join {g[0]:.2f} merge {g[1]:.2f} cohesion {g[2]:.1f} from {g[3]}: held-out BCubed F1 per fold "
            f"{per_fold} mean {np.mean(runs[0][3][g]):.4f}"
            + (f"; other {others} {more}, all {np.mean(scores[g]):.4f}" if more else "")
        )
    best = grid.choose(scores)
    fitted = fit_model(
        x, y, args.seed, None if dated is None else (dated.x, dated.y), args.dated_share, args.dated_days
    )
    model = replace(fitted, threshold=best[0], merge_threshold=best[1], cohesion=best[2], established=best[3])
    model = replace(model, fragment_cohesion=grid.fragment)
    means = [float(np.mean(run[best])) for _, _, _, run in runs]
    print(
        f"chosen join threshold {best[0]:.2f}, merge threshold {best[1]:.2f}, cohesion {best[2]:.1f} "
        f"between clusters of {best[3]} or more: held-out mean BCubed F1 {means[0]:.4f}"
        + (
            f"; over {len(runs)} {'partitions' if args.seeds == 1 else 'partitions x seeds'} "
            f"{np.mean(means):.4f} (min {min(means):.4f}, max {max(means):.4f})"
            if len(runs) > 1
            else ""
        )
    )
    if args.nested:
        figures = []
        for folds, prefix, seed, run in runs:
            got = nested(data, folds, run, grid, cache, prefix, seed, dated)
            figures.append(float(np.mean(got)))
            print(f"nested held-out BCubed F1 per fold {[round(s, 3) for s in got]} mean {figures[-1]:.4f}")
        if len(figures) > 1:
            print(
                f"nested, over {len(figures)} runs: mean {np.mean(figures):.4f} {[round(f, 4) for f in figures]}"
            )
    if dated is not None:
        months_held_out(dated, x, y, model, args.seed)
        sample_check(model)
    print(json.dumps({k: v for k, v in model.to_json().items() if k != "trees"}, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
