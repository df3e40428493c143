"""The shipped similarity model: reading it, and scoring pairs with it."""

from __future__ import annotations

import functools
import logging as _logging_for_log
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ModelError
from ..models import Article, PairScores
from ..resources import check_features, load_model_json, reading
from ..settings import DEFAULT_SETTINGS, Settings
from ..trees import Trees
from ..types import Embedder
from .features import DIMENSIONS, FEATURE_NAMES, PairInputs, _evidence, _score_inputs, _warnings, pair_inputs

log = _logging_for_log.getLogger(__name__)

#: the shipped model, in ``storyline/resources/`` (``scripts/train_similarity.py`` writes it)
MODEL_FILE = "similarity_model.json.gz"
_WHAT = "similarity model"


def feature_matrix(
    pairs: Sequence[tuple[Article, Article]],
    *,
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    model: SimilarityModel | None = None,
) -> npt.NDArray[np.float64]:
    """The features of ``pairs`` as ``model`` (by default the shipped one) sees them, one row per
    pair, columns :data:`FEATURE_NAMES`."""
    return (model or load_model()).matrix(pair_inputs(pairs, embedder=embedder, settings=settings))


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class SimilarityModel:
    """Trained scorer: a linear head over the article vectors, whose output is the last feature,
    and per dimension a weighted sum of linear and tree-ensemble parts over all features.

    Built by :func:`load_model` from the JSON that ``scripts/train_similarity.py`` writes.
    """

    features: tuple[str, ...]
    head: dict[str, Any]  # "coef" (a weight per column of PairInputs.vectors), "intercept", "mean"
    parts: dict[str, list[tuple[float, dict[str, Any]]]]
    info: dict[str, Any]

    def matrix(self, inputs: PairInputs) -> npt.NDArray[np.float64]:
        """The full feature matrix of ``inputs``: the pair features and the head's output."""
        if inputs.vectors.shape[1] == len(self.head["coef"]):
            head = inputs.vectors.astype(np.float64) @ self.head["coef"] + self.head["intercept"]
        else:
            # Vectors of another embedder (a test's fake one, say): the head cannot read them, so
            # it gives what it gives on average, and the other features decide.
            if len(inputs):
                log.warning(
                    "the similarity model's head reads %d vector columns, the embedder gives %d: "
                    "the head is left out (it was trained with another embedder)",
                    len(self.head["coef"]),
                    inputs.vectors.shape[1],
                )
            head = np.full(len(inputs), self.head["mean"])
        return np.column_stack([inputs.rows, np.round(head, 4)])

    def predict(self, matrix: npt.NDArray[np.float64]) -> dict[str, npt.NDArray[np.float64]]:
        """Scores per dimension for rows of :meth:`matrix`, clipped to the 1–4 scale."""
        out: dict[str, npt.NDArray[np.float64]] = {}
        for dim, parts in self.parts.items():
            total = np.zeros(len(matrix))
            for weight, part in parts:
                total += weight * (
                    _predict_linear(part, matrix)
                    if part["type"] == "linear"
                    else part["trees"].predict(matrix)
                )
            out[dim] = np.clip(total, 1.0, 4.0)
        return out


def _predict_linear(part: dict[str, Any], matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    scaled = (matrix - part["center"]) / part["scale"]
    return np.asarray(scaled @ part["coef"] + part["intercept"], dtype=np.float64)


def load_model(path: str | Path | None = None) -> SimilarityModel:
    """The model in ``path`` (JSON, gzipped when it ends in .gz), or the one shipped with
    storyline (read once per process)."""
    if path is None:
        return _shipped_model()
    spec, origin = load_model_json(MODEL_FILE, what=_WHAT, path=path)
    return model_from_dict(spec, origin=origin)


@functools.lru_cache(maxsize=1)
def _shipped_model() -> SimilarityModel:
    spec, origin = load_model_json(MODEL_FILE, what=_WHAT)
    return model_from_dict(spec, origin=origin)


def _read_part(part: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """One weighted part of a dimension's model, its lists made numpy arrays."""
    if part["type"] == "linear":
        return part["weight"], {
            **part,
            **{k: np.asarray(part[k], dtype=np.float64) for k in ("center", "scale", "coef")},
        }
    return part["weight"], {**part, "trees": Trees.from_json(part)}


def model_from_dict(spec: dict[str, Any], *, origin: str = "<model>") -> SimilarityModel:
    """A model from the JSON document ``scripts/train_similarity.py`` writes, already parsed."""
    check_features(
        spec.get("features", ()) if "head" in spec else (),
        FEATURE_NAMES,
        origin,
        what=_WHAT,
        script="scripts/train_similarity.py",
    )
    with reading(origin, what=_WHAT):
        missing = set(DIMENSIONS) - set(spec.get("dimensions", {}))
        if missing:
            raise ModelError(
                f"{origin}: no model for the dimensions {sorted(missing)}; expected {list(DIMENSIONS)}"
            )
        head = {
            "coef": np.asarray(spec["head"]["coef"], dtype=np.float64),
            "intercept": float(spec["head"]["intercept"]),
            "mean": float(spec["head"]["mean"]),
        }
        parts = {dim: [_read_part(part) for part in spec["dimensions"][dim]] for dim in DIMENSIONS}
    return SimilarityModel(features=FEATURE_NAMES, head=head, parts=parts, info=spec.get("info", {}))


# --------------------------------------------------------------------------- scoring


def score_pairs(
    pairs: Sequence[tuple[Article, Article]],
    *,
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    model: SimilarityModel | None = None,
) -> list[PairScores]:
    """Scores of many pairs at once: each article is profiled and embedded once.

    Articles are best prepared first (:func:`storyline.pipeline.prepare_article`);
    raw ones get their language and sentences here.
    """
    inputs, profiled = _score_inputs(pairs, embedder, settings)
    model = model or load_model()
    matrix = model.matrix(inputs)
    predicted = model.predict(matrix)
    results: list[PairScores] = []
    for i, (pa, pb) in enumerate(profiled):
        warnings = _warnings(pa, pb)
        for warning in warnings:
            log.debug("pair %d: %s", i, warning)
        scores = {dim: float(predicted[dim][i]) for dim in DIMENSIONS}
        results.append(PairScores(**scores, evidence=_evidence(pa, pb, matrix[i]), warnings=warnings))
    return results


def score_pair(
    a: Article,
    b: Article,
    *,
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    model: SimilarityModel | None = None,
) -> PairScores:
    """How alike ``a`` and ``b`` are on the seven SemEval-2022 Task 8 dimensions (1 = very
    similar, 4 = very dissimilar), with the evidence and any warnings; never raises on odd text."""
    result = score_pairs([(a, b)], embedder=embedder, settings=settings, model=model)[0]
    for warning in result.warnings:
        log.warning("%s", warning)
    return result


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r; ``None`` where it is undefined (fewer than 3 pairs, or a constant side)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(xa) < 3 or xa.std() == 0 or ya.std() == 0:
        return None
    return float(np.corrcoef(xa, ya)[0, 1])
