"""The story stage's pair measures against their plain numpy definitions (the quick versions
must give the same numbers: every pair the story stage scores goes through them)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from storyline.stories.features import _common, _cosine, _none_inside
from storyline.text.dates import find_dates, text_dates

ids = st.sets(st.integers(0, 60), max_size=25).map(lambda s: np.array(sorted(s), dtype=np.int64))


@given(ids, ids)
def test_common_ids_are_found_as_intersect1d_finds_them(a: np.ndarray, b: np.ndarray) -> None:
    _, ia, ib = np.intersect1d(a, b, assume_unique=True, return_indices=True)
    got_a, got_b = _common(a, b)
    assert got_a.tolist() == ia.tolist()
    assert got_b.tolist() == ib.tolist()


@given(ids, ids)
def test_cosine_equals_the_plain_sum_over_shared_ids(a: np.ndarray, b: np.ndarray) -> None:
    rng = np.random.default_rng(len(a) * 100 + len(b))
    wa, wb = rng.random(len(a), dtype=np.float32), rng.random(len(b), dtype=np.float32)
    _, ia, ib = np.intersect1d(a, b, assume_unique=True, return_indices=True)
    norms = float(np.linalg.norm(wa) * np.linalg.norm(wb))
    plain = float(np.dot(wa[ia], wb[ib])) / norms if len(ia) and norms else 0.0
    assert _cosine(a, wa, b, wb) == plain  # the same floats, summed in the same order


@given(st.frozensets(st.integers(0, 60), min_size=1, max_size=5), ids)
def test_none_inside_is_the_negation_of_isin(lead: frozenset[int], names: np.ndarray) -> None:
    plain = not len(names) or not np.isin(np.array(sorted(lead)), names).any()
    assert _none_inside(lead, names) == plain


def test_a_text_without_a_year_has_no_full_date() -> None:
    text = "Workers walked out on March 5 and again on 18.10., 1,000 of them, at 5 pm on Monday."
    assert text_dates(text) == frozenset()
    assert not [d for d in find_dates(text) if d.rule == "full date"]
    assert text_dates(text + " The first walkout was on 4 March 2019.") == {"2019-03-04"}
