"""Dates: absolute ones in four languages, relative ones against a reference, and reference dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.models import Article, CopyLink, CopyType
from storyline.text.dates import WEEKDAYS, date_sort_key, find_dates, reference_dates

WEDNESDAY = date(2021, 10, 20)


def dates_of(text: str, reference: date | None = WEDNESDAY, language: str = "en") -> list[tuple[str, str]]:
    return [(d.text, d.date) for d in find_dates(text, reference=reference, language=language)]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("It happened on October 18, 2021 in the capital.", "en", ("October 18, 2021", "2021-10-18")),
        ("It happened on 18 October 2021.", "en", ("18 October 2021", "2021-10-18")),
        ("Es geschah am 18. Oktober 2021.", "de", ("18. Oktober 2021", "2021-10-18")),
        ("Ocurrió el 18 de octubre de 2021.", "es", ("18 de octubre de 2021", "2021-10-18")),
        ("Cela s'est passé le 18 octobre 2021.", "fr", ("18 octobre 2021", "2021-10-18")),
        ("Filed 2021-10-18 by the clerk.", "en", ("2021-10-18", "2021-10-18")),
        ("Stand: 18.10.2021", "de", ("18.10.2021", "2021-10-18")),
        ("He took office in September 2018.", "en", ("September 2018", "2018-09")),
        ("She has led the party since 2016.", "en", ("since 2016", "2016")),
    ],
)
def test_absolute_dates_in_four_languages(text: str, language: str, expected: tuple[str, str]) -> None:
    assert expected in dates_of(text, language=language)


def test_on_monday_in_an_article_dated_wednesday_is_two_days_before() -> None:
    (found,) = find_dates("The ministry said on Monday that he would leave.", reference=WEDNESDAY)
    assert (found.text, found.date, found.relative) == ("on Monday", "2021-10-18", True)
    assert "on or before" in found.rule


def test_weekdays_last_next_and_future_tense() -> None:
    assert dates_of("He resigned last Wednesday.") == [("last Wednesday", "2021-10-13")]
    assert dates_of("They meet next Monday.") == [("next Monday", "2021-10-25")]
    assert dates_of("The talks will resume on Friday.") == [("on Friday", "2021-10-22")]
    assert dates_of("The talks ended on Friday.") == [("on Friday", "2021-10-15")]
    assert dates_of("Shops opened early on Black Friday.") == []


def test_a_reporting_verb_after_a_future_cue_dates_the_report() -> None:
    # the plan is in the future; the weekday says when it was announced (reference: Wed 2021-10-20)
    assert dates_of("The state will pay each family a grant, the minister said on Monday.") == [
        ("on Monday", "2021-10-18")
    ]
    assert dates_of("Officials told reporters on Tuesday that the bridge will reopen.") == [
        ("on Tuesday", "2021-10-19")
    ]
    # a reporting verb further back leaves the weekday to the future cue
    assert dates_of("Officials said the council will vote on the budget plan at its meeting on Friday.") == [
        ("on Friday", "2021-10-22")
    ]
    assert dates_of("El gobierno va a pagar un subsidio, dijo el lunes la ministra.", language="es") == [
        ("el lunes", "2021-10-18")
    ]


def test_same_weekday_as_publication_is_the_publication_day() -> None:
    assert dates_of("The vote was held on Wednesday.") == [("on Wednesday", "2021-10-20")]


def test_day_words_periods_and_ago() -> None:
    found = dict(dates_of("yesterday, today, last week, earlier this month, last year, three days ago"))
    assert found == {
        "yesterday": "2021-10-19",
        "today": "2021-10-20",
        "last week": "2021-W41",
        "earlier this month": "2021-10",
        "last year": "2020",
        "three days ago": "2021-10-17",
    }


def test_relative_words_in_other_languages() -> None:
    assert ("gestern", "2021-10-19") in dates_of("Er sagte gestern, er sei hier.", language="de")
    assert ("hier", "2021-10-19") not in dates_of("Er sagte gestern, er sei hier.", language="de")
    assert ("el lunes", "2021-10-18") in dates_of("Lo anunció el lunes.", language="es")
    assert ("hier", "2021-10-19") in dates_of("Il l'a dit hier.", language="fr")


def test_may_the_verb_is_no_month_but_may_the_month_is() -> None:
    assert dates_of("Prices may rise and they march on.") == []
    assert dates_of("He planned to leave in May.") == [("in May", "2021-05")]


def test_date_without_year_takes_the_year_nearest_the_reference() -> None:
    assert dates_of("The deal was signed on Dec. 28.", reference=date(2022, 1, 3)) == [
        ("Dec. 28", "2021-12-28")
    ]


def test_without_a_reference_relative_expressions_are_left_alone() -> None:
    assert dates_of("On Monday, on October 18, 2021, yesterday.", reference=None) == [
        ("October 18, 2021", "2021-10-18")
    ]


def test_numbers_that_are_not_dates() -> None:
    assert dates_of("At 4:12 a.m. 5,000 prisoners and 12 percent were counted.") == []


def test_timeline_order_across_precisions() -> None:
    values = ["2021-10-18", "2021", "2021-W41", "2021-10", "2020-02"]
    assert sorted(values, key=date_sort_key) == ["2020-02", "2021", "2021-10", "2021-W41", "2021-10-18"]


def test_reference_of_an_undated_article_comes_from_its_copy_then_the_story() -> None:
    dated = Article(id="a", text="x", published="2021-10-20")
    other = Article(id="b", text="x", published="2021-10-24")
    undated = Article(id="c", text="x")
    refs = reference_dates([dated, other, undated])
    assert refs["a"] == {"date": "2021-10-20", "from": "published", "note": "publication date"}
    assert refs["c"]["from"] == "story" and refs["c"]["date"] == "2021-10-22"
    assert "undated" in refs["c"]["note"] and refs["c"]["articles"] == ["a", "b"]
    link = CopyLink(copy="c", original="b", type=CopyType.SCRAPED, score=0.9)
    refs = reference_dates([dated, other, undated], [link])
    assert (refs["c"]["from"], refs["c"]["date"]) == ("copy", "2021-10-24")
    assert reference_dates([undated])["c"]["from"] == "none"


def test_a_publication_date_far_in_the_future_is_no_reference() -> None:
    """As the story stage does not believe a date past the clock (a placeholder year), relative
    dates are not read against it: "on Tuesday" of an article dated 2999 is no day in 2999."""
    future = Article(id="f", text="x", published="2999-03-05")
    dated = Article(id="a", text="x", published="2021-10-20")
    refs = reference_dates([future, dated])
    assert (refs["f"]["from"], refs["f"]["date"]) == ("story", "2021-10-20")
    assert "2999-03-05 not believed" in refs["f"]["note"]
    assert reference_dates([future])["f"]["from"] == "none"
    # a date within the clock's slack (a time zone ahead, a clock a day behind) is believed
    soon = Article(id="s", text="x", published=(date.today() + timedelta(days=1)).isoformat())
    assert reference_dates([soon])["s"]["from"] == "published"


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.sampled_from(sorted(WEEKDAYS)))
def test_a_past_weekday_is_that_weekday_within_the_week_before(reference: date, weekday: str) -> None:
    found = find_dates(f"The decision came on {weekday}.", reference=reference)
    assert len(found) == 1
    day = date.fromisoformat(found[0].date)
    assert day.weekday() == WEEKDAYS[weekday]
    assert reference - timedelta(days=6) <= day <= reference


def test_one_parser_reads_full_dates_for_the_story_stage() -> None:
    from storyline.text.dates import text_dates

    text = "On 18th September 2013, and again on 18.10.2021 (not in May 2020, nor on Monday)."
    assert text_dates(text) == {"2013-09-18", "2021-10-18"}
    full = {d.date for d in find_dates(text) if d.rule == "full date"}
    assert text_dates(text) == full
