"""Consolidation: average-linkage agglomeration of a story window's articles under a time-span bound."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def agglomerate(
    prob: np.ndarray,
    threshold: float,
    *,
    cohesion: float = 0.5,
    established: int = 1,
    fragment_cohesion: float = 0.0,
    published: Sequence[int | None] | None = None,
    max_span: int | None = None,
    apart_cohesion: float = 0.0,
) -> list[int]:
    """Average-linkage clustering of a symmetric matrix of pair probabilities.

    Clusters merge, best pair first, while their average linkage is at least ``threshold``
    and clears a cohesion rule. Two *established* clusters (``established`` members or more
    each) must match at least ``cohesion`` times the internal average of the tighter one: two
    tight groups that only loosely match each other (two rehab check-ins of two actresses)
    stay apart even when the loose match clears the threshold. When one is smaller, the bar
    is ``fragment_cohesion`` times the internal average of the looser one: a fragment joins a
    story it matches nearly as well as it holds together, and a single report (no cohesion
    of its own; a short brief matches everything weakly) joins on the threshold alone.
    With ``published`` (a proleptic ordinal or None per row) and ``max_span``, two clusters never
    merge when their dated members would then span more than ``max_span`` days (undated rows
    widen nothing), and two clusters of two or more each whose dated members share no day must
    match ``apart_cohesion`` times the internal average of the looser one (successive
    developments of one storyline hold together day by day, and only loosely across days).
    Returns a cluster label per row.
    """
    n = len(prob)
    sums = prob.astype(np.float64).copy()
    np.fill_diagonal(sums, 0.0)
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    label = list(range(n))
    bounded = published is not None and max_span is not None
    lo = np.array([np.inf if d is None else float(d) for d in published or [None] * n])
    hi = np.array([-np.inf if d is None else float(d) for d in published or [None] * n])
    while True:
        pairs = np.outer(sizes, sizes)
        link = np.divide(sums, pairs, out=np.full_like(sums, -1.0), where=np.outer(alive, alive))
        np.fill_diagonal(link, -1.0)
        inner_pairs = sizes * (sizes - 1)
        inner = np.where(sizes > 1, np.diag(sums) / np.maximum(inner_pairs, 1), 0.0)
        established_pair = np.minimum(sizes[:, None], sizes[None, :]) >= established
        tighter = np.maximum(inner[:, None], inner[None, :])
        looser = np.minimum(inner[:, None], inner[None, :])
        bar = np.maximum(
            threshold, np.where(established_pair, cohesion * tighter, fragment_cohesion * looser)
        )
        if bounded and apart_cohesion:
            dated = np.isfinite(lo) & (sizes > 1)
            apart = ((hi[:, None] < lo[None, :]) | (hi[None, :] < lo[:, None])) & np.outer(dated, dated)
            bar = np.where(apart, np.maximum(bar, apart_cohesion * looser), bar)
        link = np.where(link >= bar, link, -1.0)
        if bounded:
            with np.errstate(invalid="ignore"):
                span = np.maximum(hi[:, None], hi[None, :]) - np.minimum(lo[:, None], lo[None, :])
            link = np.where(np.isfinite(span) & (span > float(max_span or 0)), -1.0, link)
        flat_a, flat_b = np.unravel_index(int(np.argmax(link)), link.shape)
        if link[flat_a, flat_b] < 0:
            break
        a, b = sorted((int(flat_a), int(flat_b)))
        inner_ab = sums[a, a] + sums[b, b] + 2 * sums[a, b]
        sums[a, :] += sums[b, :]
        sums[:, a] += sums[:, b]
        sums[a, a] = inner_ab
        sums[b, :] = 0.0
        sums[:, b] = 0.0
        sizes[a] += sizes[b]
        sizes[b] = 0
        lo[a], hi[a] = min(lo[a], lo[b]), max(hi[a], hi[b])
        alive[b] = False
        label = [a if x == b else x for x in label]
    return label
