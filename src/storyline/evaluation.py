"""Scores of a clustering against gold: BCubed and pairwise precision, recall and F1.

BCubed (Bagga & Baldwin 1998), as defined in ``shared/bench/README.md``: for each
item, the share of its predicted cluster that is in its gold cluster (precision)
and the share of its gold cluster that is in its predicted cluster (recall),
averaged over items. Pairwise: over all pairs of items placed together."""

from __future__ import annotations

import json
import logging as _logging_for_log
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import InputError
from .models import Article, Quarantined
from .settings import DEFAULT_SETTINGS, Settings
from .types import Embedder

log = _logging_for_log.getLogger(__name__)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    """BCubed precision, recall and F1 of two parallel label sequences."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted labels for {len(gold)} gold labels")
    if not gold:
        return {"p": 0.0, "r": 0.0, "f1": 0.0}
    pred_sets: dict[Hashable, set[int]] = defaultdict(set)
    gold_sets: dict[Hashable, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(predicted, gold, strict=True)):
        pred_sets[p].add(i)
        gold_sets[g].add(i)
    precision = recall = 0.0
    for p, g in zip(predicted, gold, strict=True):
        both = len(pred_sets[p] & gold_sets[g])
        precision += both / len(pred_sets[p])
        recall += both / len(gold_sets[g])
    precision, recall = precision / len(gold), recall / len(gold)
    return {"p": precision, "r": recall, "f1": _f1(precision, recall)}


def pairwise(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    """Precision, recall and F1 over pairs of items placed in one cluster."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted labels for {len(gold)} gold labels")

    # Counted through the contingency table: no pair list is ever built.
    def n_pairs(counts: Iterable[int]) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    pred_pairs = n_pairs(Counter(predicted).values())
    gold_pairs = n_pairs(Counter(gold).values())
    both = n_pairs(Counter(zip(predicted, gold, strict=True)).values())
    p = both / pred_pairs if pred_pairs else 1.0
    r = both / gold_pairs if gold_pairs else 1.0
    return {"p": p, "r": r, "f1": _f1(p, r)}


def clustering_scores(predicted: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> dict[str, object]:
    """Both scores for items keyed by id (every gold id must have a prediction)."""
    missing = set(gold) - set(predicted)
    if missing:
        raise ValueError(f"{len(missing)} gold items have no predicted cluster, e.g. {sorted(missing)[:3]}")
    ids = sorted(gold)
    pred = [predicted[i] for i in ids]
    gold_labels = [gold[i] for i in ids]
    return {
        "bcubed": bcubed(pred, gold_labels),
        "pairwise": pairwise(pred, gold_labels),
        "n_articles": len(ids),
        "n_stories": len(set(gold_labels)),
        "n_predicted": len(set(pred)),
    }


#: what a gold row's ``doc_id``, ``story`` and ``thread`` may be: a label to group by
_LABEL_TYPES = (str, int)


def _label(row: Mapping[str, Any], field: str) -> str | None:
    """A gold row's ``field`` as a label (text or a whole number), None when it has none."""
    value = row.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, _LABEL_TYPES):
        raise ValueError(f"{field} is {type(value).__name__} {json.dumps(value)[:40]}: give text or a number")
    return str(value)


def read_gold(path: str) -> tuple[list[Article], dict[str, dict[str, Any]]]:
    """Articles of a gold JSONL file (ECB+ ``dev.jsonl`` format) and its rows by ``doc_id``.

    Each article's id is its ``doc_id``, so scores line up with the gold rows even
    when two rows carry the same text. A row that cannot be read (not JSON, no ``doc_id`` or
    ``story``, a label that is not text or a number, a ``doc_id`` seen before, no article text)
    and a file with no rows raise :class:`~storyline.errors.InputError` naming the file and line.
    """
    from .pipeline import prepare_record
    from .readers.records import decode_text
    from .readers.sources import record_to_article

    try:
        text = decode_text(Path(path).read_bytes(), origin=path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", origin=path) from exc
    rows: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    articles = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        position = f"line {lineno}"
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"a JSON {type(row).__name__}, not an object")
            doc, story = _label(row, "doc_id"), _label(row, "story")
            _label(row, "thread")
            if doc is None or story is None:
                raise ValueError(f"no {'doc_id' if doc is None else 'story'}")
        except (ValueError, RecursionError) as exc:
            raise InputError(
                f"bad gold row: {exc} (each row needs a doc_id and a story)", origin=path, position=position
            ) from exc
        if doc in lines:
            raise InputError(
                f"doc_id {doc!r} again (first on line {lines[doc]}): every gold row needs its own",
                origin=path,
                position=position,
            )
        lines[doc], rows[doc] = lineno, row
        item = prepare_record(record_to_article(row, origin=path, position=position))
        if isinstance(item, Quarantined):
            raise InputError(item.reason, origin=item.origin, position=item.position)
        articles.append(replace(item, id=doc))
    if not rows:
        raise InputError("no gold rows: the file is empty", origin=path)
    return articles, rows


def evaluate_stories(
    path: str,
    *,
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    by_month: bool = False,
) -> dict[str, object]:
    """Cluster a gold file's articles from scratch, all together, and score against its ``story``.

    Where the gold rows have a ``thread`` field, the predicted stories are also threaded
    (:mod:`storyline.stories.threads`) and scored against it (``threads``: BCubed and pairwise over
    articles). With ``by_month``, ``months`` holds the story scores of each publication month
    (``YYYY-MM`` of the gold ``date``; ``undated``), from the one clustering of the whole file:
    where a stream drifts.
    """
    from .features.embed import default_embedder
    from .stories.index import cluster_articles

    articles, rows = read_gold(path)
    stories, _ = cluster_articles(articles, embedder=embedder or default_embedder(), settings=settings)
    predicted = {member: story for story, members in stories.items() for member in members}
    gold = {doc: str(row["story"]) for doc, row in rows.items()}
    scores = clustering_scores(predicted, gold)
    if any("thread" in row for row in rows.values()):
        from .stories.threads import thread_stories

        by_id = {a.id: a for a in articles}
        thread_of = {s: t.id for t in thread_stories(stories, by_id, settings=settings) for s in t.stories}
        gold_threads = {
            doc: _label(row, "thread") or "story:" + str(row["story"]) for doc, row in rows.items()
        }
        scores["threads"] = clustering_scores({d: thread_of[s] for d, s in predicted.items()}, gold_threads)
    if by_month:
        months: dict[str, list[str]] = defaultdict(list)
        for doc, row in rows.items():
            months[str(row.get("date") or "")[:7] or "undated"].append(doc)
        scores["months"] = {
            month: clustering_scores(predicted, {d: gold[d] for d in docs})
            for month, docs in sorted(months.items())
        }
    return scores


# --------------------------------------------------------------------------- similarity gold (STS22 CSV)


#: a pair of the SemEval-2022 Task 8 CSV: (pair id, article, article, gold score per dimension)
GoldPair = tuple[str, Article, Article, dict[str, float]]


def read_gold_pairs(path: str | Path) -> list[GoldPair]:
    """Pairs of a SemEval-2022 Task 8 CSV (pair_id, lang1, lang2, text1, text2, one column per
    dimension) as (pair id, article, article, gold scores). A text's first line, when short,
    is its title (the task's texts are "title + text")."""
    import csv
    import io

    from .readers.records import decode_text
    from .similarity.features import GOLD_COLUMNS

    origin = str(path)
    try:
        text = decode_text(Path(path).read_bytes(), origin=origin)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", origin=origin) from exc
    pairs: list[GoldPair] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fields = reader.fieldnames
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", origin=origin, position="line 1") from exc
    needed = {"text1", "text2", *GOLD_COLUMNS.values()}
    if missing := needed - set(fields or ()):
        raise InputError(f"missing columns {sorted(missing)}; expected {sorted(needed)}", origin=origin)
    n = 1
    try:
        for n, row in enumerate(reader, start=2):
            if any(row.get(col) is None for col in needed):
                raise InputError(
                    f"{len([v for v in row.values() if v is not None])} fields where the header has "
                    f"{len(fields or ())}",
                    origin=origin,
                    position=f"line {n}",
                )
            gold = {dim: _score(row[col], col, origin, f"line {n}") for dim, col in GOLD_COLUMNS.items()}
            a, b = (
                _gold_article(row[f"text{k}"] or "", row.get(f"lang{k}") or "", origin, f"line {n}")
                for k in (1, 2)
            )
            pairs.append((row.get("pair_id") or f"line {n}", a, b, gold))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", origin=origin, position=f"line {n + 1}") from exc
    if not pairs:
        raise InputError("no pairs: the file has a header and no rows", origin=origin)
    return pairs


def _score(value: str, column: str, origin: str, position: str) -> float:
    """A gold score: a number from 1 to 4."""
    try:
        score = float(value)
    except ValueError:
        score = math.nan
    if not 1.0 <= score <= 4.0:  # also false for NaN
        raise InputError(
            f"bad {column} score {value!r}: scores are numbers from 1 to 4", origin=origin, position=position
        )
    return score


def _gold_article(raw: str, language: str, origin: str, position: str) -> Article:
    text = raw.strip()
    first, _, rest = text.partition("\n")
    title, body = (first, rest) if rest.strip() and len(first) <= 300 else ("", text)
    from .clean.rules import clean_article
    from .readers.records import make_article

    return clean_article(
        make_article(text=body, title=title, language=language, origin=origin, position=position)
    )


def evaluate_similarity(gold_csv_path: str | Path, *, embedder: Embedder | None = None) -> dict[str, Any]:
    """Pearson r between predicted and gold scores of a task-format CSV.

    Returns ``{"pearson": {"all": r, "en-en": r, ...}, "by_dimension": {dim: {...}}, "n_pairs": n}``;
    ``pearson`` is for Overall, the groups are all pairs and each language pair.
    """
    from .similarity.features import DIMENSIONS
    from .similarity.model import pearson, score_pairs

    gold = read_gold_pairs(gold_csv_path)
    scored = score_pairs([(a, b) for _, a, b, _ in gold], embedder=embedder)
    noisy = sum(1 for s in scored if s.warnings)
    if noisy:
        log.warning(
            "%d of %d pairs were scored with warnings (short, garbled or cross-script texts)",
            noisy,
            len(gold),
        )
    by_language: dict[str, list[int]] = {}
    for i, (_, a, b, _) in enumerate(gold):
        by_language.setdefault(f"{a.language or '?'}-{b.language or '?'}", []).append(i)
    groups = {"all": list(range(len(gold))), **dict(sorted(by_language.items()))}
    by_dimension: dict[str, dict[str, float | None]] = {}
    for dim in DIMENSIONS:
        predicted = [getattr(s, dim) for s in scored]
        truth = [g[dim] for _, _, _, g in gold]
        by_dimension[dim] = {
            name: pearson([predicted[i] for i in idx], [truth[i] for i in idx])
            for name, idx in groups.items()
        }
    return {"pearson": by_dimension["overall"], "by_dimension": by_dimension, "n_pairs": len(gold)}


def evaluate(
    gold: str | Path, *, embedder: Embedder | None = None, settings: Settings = DEFAULT_SETTINGS
) -> dict[str, Any]:
    """Score storyline against a gold file, told by its format: a SemEval-2022 Task 8 CSV
    (``.csv``) is scored by :func:`evaluate_similarity`, a gold JSONL of stories (ECB+ format)
    by :func:`evaluate_stories`."""
    if Path(gold).suffix.lower() == ".csv":
        return evaluate_similarity(gold, embedder=embedder)
    return dict(evaluate_stories(str(gold), embedder=embedder, settings=settings))
