"""Threads: stories of one developing subject chained, unrelated ones kept apart, stored, shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline.cli.app import EXIT_OK, app
from storyline.errors import ConfigError
from storyline.settings import DEFAULT_SETTINGS, Settings
from storyline.stories.threads import THREAD_THRESHOLD, StoryText, ThreadIndex, story_text, thread_stories


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


class _A:
    def __init__(self, title: str, text: str, published: str) -> None:
        self.title, self.text, self.published = title, text, published


SUBJECT = [
    (
        "2024-05-01",
        "Marrow Vale council votes on Ostin bridge closure",
        "The Marrow Vale council under mayor Ilse Brandt voted to close the Ostin bridge over cracks.",
    ),
    (
        "2024-05-15",
        "Ostin bridge repairs: Marrow Vale hires engineers",
        "Mayor Ilse Brandt said Marrow Vale hired engineers to repair the Ostin bridge cracks.",
    ),
    (
        "2024-05-29",
        "Ostin bridge reopens in Marrow Vale",
        "The Ostin bridge reopened after repairs, mayor Ilse Brandt of Marrow Vale said.",
    ),
]
OTHER = (
    "2024-05-10",
    "Kars Steel profits rise",
    "Kars Steel said quarterly profits rose on strong demand from carmakers in Yenikoy.",
)


def _stories() -> tuple[dict[str, list[str]], dict[str, _A]]:
    arts = {f"a{i}": _A(t, x, d) for i, (d, t, x) in enumerate([*SUBJECT, OTHER])}
    return {f"s{i}": [f"a{i}"] for i in range(len(arts))}, arts


def test_stories_of_one_subject_share_a_thread_and_an_unrelated_one_does_not() -> None:
    groups, arts = _stories()
    threads = thread_stories(groups, arts)
    of = {s: t.id for t in threads for s in t.stories}
    assert of["s0"] == of["s1"] == of["s2"] != of["s3"]
    assert sorted(s for t in threads for s in t.stories) == sorted(groups)  # each story in exactly one
    chain = next(t for t in threads if "s0" in t.stories)
    assert (
        chain.id == "th-s0" and chain.first_published == "2024-05-01" and chain.last_published == "2024-05-29"
    )


def test_the_thread_windows_are_settings() -> None:
    """Two weeks apart: linked under the default gap (21 days), not under a 10-day one; a
    20-day span bound keeps the third story (28 days after the first) out of the chain."""
    groups, arts = _stories()

    def chains(settings: Settings) -> list[list[str]]:
        return sorted(sorted(t.stories) for t in thread_stories(groups, arts, settings=settings))

    assert ["s0", "s1", "s2"] in chains(DEFAULT_SETTINGS)
    assert all(len(c) == 1 for c in chains(Settings(thread_gap_days=10)))
    assert ["s0", "s1"] in chains(Settings(thread_max_days=20))
    for bad in ({"thread_gap_days": -1}, {"thread_max_days": -5}):
        with pytest.raises(ConfigError, match=rf"settings\.{next(iter(bad))} must be >= 0"):
            Settings(**bad)


def test_every_link_carries_evidence_of_what_both_stories_contain() -> None:
    groups, arts = _stories()
    index = ThreadIndex()
    links = [index.add(story_text(s, [arts[m] for m in groups[s]])) for s in ("s0", "s1")]
    ev = links[1].evidence
    assert links[0].opened and not links[1].opened
    assert ev["linked_to"] == "s0" and ev["days_apart"] == 14 and ev["score"] >= ev["threshold"]
    assert {"ostin", "brandt"} <= set(ev["shared_names"])
    assert "kars" not in ev["shared_names"]


def test_a_thread_never_spans_more_than_its_bound() -> None:
    """The same subject every week for more than a year, among other news (40 stories a week):
    the weekly stories chain, but no thread spans more than thread_max_days; the subject
    becomes several threads."""
    from datetime import date, timedelta

    index = ThreadIndex()
    start = date(2024, 1, 1)
    for week in range(60):
        day = (start + timedelta(days=7 * week)).isoformat()
        others = [
            StoryText(
                f"o{week}-{k}",
                f"Mel{week}x{k} Group news",
                (f"Kor{week}x{k} and Mel{week}x{k} met.",),
                day,
                day,
            )
            for k in range(40)
        ]
        for story in [
            StoryText(
                f"s{week}",
                "Ostin bridge works",
                (f"Ostin bridge works in Marrow Vale, week {week}.",),
                day,
                day,
            ),
            *others,
        ]:
            index.add(story)
    bridge = {index.thread_of[f"s{week}"] for week in range(60)}
    assert len(bridge) >= 3  # a year and more: several threads
    spans = []
    for thread in bridge:
        days = [index._dates[s][0] for s in index.members[thread]]
        spans.append(max(days) - min(days))  # type: ignore[operator]
        assert all(s.startswith("s") for s in index.members[thread])
    assert max(spans) <= DEFAULT_SETTINGS.thread_max_days
    assert max(spans) >= DEFAULT_SETTINGS.thread_max_days - 7  # they do chain, up to the bound


def test_threads_are_stored_stable_and_shown(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    rows = [
        {"title": t, "text": x + " " + x, "date": d, "url": f"https://o{i}.example/{i}"}
        for i, (d, t, x) in enumerate([*SUBJECT, OTHER])
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in rows[:2]) + "\n")
    db = str(tmp_path / "s.db")
    assert invoke("run", str(corpus), "--db", db, "--no-reports")[0] == EXIT_OK
    code, out = invoke("threads", "--db", db, "--json")
    first = json.loads(out)
    assert code == EXIT_OK and len(first) == 1
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out = invoke("run", str(corpus), "--db", db, "--no-reports")
    assert code == EXIT_OK and "threads" in out
    threads = json.loads(invoke("threads", "--db", db, "--json")[1])
    for key in ("id", "title", "stories", "first_published", "last_published"):
        assert all(key in t for t in threads)
    big = max(threads, key=lambda t: len(t["stories"]))
    assert big["id"] == first[0]["id"] and len(big["stories"]) == 3  # stable id, grown incrementally
    assert len(threads) == 2
    chains = json.loads(invoke("threads", "--db", db, "--json", "--min-size", "2")[1])
    assert [t["id"] for t in chains] == [big["id"]]  # the one-story thread is left out
    stories = json.loads(invoke("stories", "--db", db, "--json")[1])
    assert all(s["thread"] in {t["id"] for t in threads} for s in stories)
    shown = json.loads(invoke("show", big["stories"][1], "--db", db, "--json")[1])
    assert shown["thread"]["id"] == big["id"]
    assert shown["thread"]["previous"]["id"] == big["stories"][0]
    assert shown["thread"]["next"]["id"] == big["stories"][2]


def test_eval_stories_scores_threads_and_months(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [
        {
            "doc_id": f"d{i}",
            "story": f"s{i}",
            "thread": "bridge" if i < 3 else "steel",
            "title": t,
            "text": x,
            "date": d,
        }
        for i, (d, t, x) in enumerate([*SUBJECT, OTHER])
    ]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out = invoke("eval", "stories", "--gold", str(gold), "--json", "--by-month")
    assert code == EXIT_OK
    scores = json.loads(out)
    assert scores["threads"]["n_stories"] == 2 and scores["threads"]["bcubed"]["f1"] == 1.0
    assert sorted(scores["months"]) == ["2024-05"]
    from test_store_commands import _validate

    _validate("eval-stories", scores)  # with both optional parts, threads and months
    assert scores["months"]["2024-05"]["n_articles"] == 4
    code, out = invoke("eval", "stories", "--gold", str(gold), "--by-month")
    assert code == EXIT_OK and "threads bcubed" in out and "2024-05" in out


def test_html_index_groups_stories_by_thread_with_a_timeline(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    subject = [
        (d, t.replace("Ostin bridge reopens", "<b>Ostin</b> bridge reopens"), x) for d, t, x in SUBJECT
    ]
    rows = [
        {"title": t, "text": x + " " + x, "date": d, "url": f"https://o{i}.example/{i}"}
        for i, (d, t, x) in enumerate([*subject, OTHER])
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    reports = tmp_path / "reports"
    code, _ = invoke("run", str(corpus), "--db", str(tmp_path / "s.db"), "--reports", str(reports))
    assert code == EXIT_OK
    html = (reports / "index.html").read_text()
    assert "Threads: stories on one developing subject (1)" in html
    assert html.count('class="timeline"') == 1
    assert "&lt;b&gt;Ostin&lt;/b&gt; bridge reopens" in html and "<b>Ostin</b>" not in html
    assert "left:0.0%" in html and "left:100.0%" in html
    # a thread of one story is not listed among the threads (the story list above still has it)
    threads_section = html.split("Threads: stories on one developing subject", 1)[1]
    assert "Kars Steel" not in threads_section and "Kars Steel" in html
    # each story of the thread links from the story list down to the thread's timeline
    (anchor,) = re.findall(r'<div class="thread" id="([^"]+)"', html)
    story_list = html.split('<h2 id="threads"', 1)[0]
    n = len(SUBJECT)
    assert [story_list.count(f'href="#{anchor}">thread: story {k} of {n}</a>') for k in range(1, n + 1)] == [
        1
    ] * n
    kars_row = story_list.split("Kars Steel", 1)[1].split("</tr>", 1)[0]
    assert "thread: story" not in kars_row
    assert 'href="#threads"' in story_list


def test_index_timeline_stacks_dots_of_one_day_and_leaves_undated_stories_off() -> None:
    from types import SimpleNamespace

    from storyline.report.index import thread_timelines

    def story(sid: str, day: str | None) -> SimpleNamespace:
        return SimpleNamespace(id=sid, title=sid, first_published=day, last_published=day, article_ids=["x"])

    stories = [story("a", "2024-05-01"), story("b", "2024-05-01"), story("c", None), story("d", "2024-05-11")]
    store = SimpleNamespace(
        list_stories=lambda: stories,
        thread_memberships=lambda: {s.id: ("th-a", 1.0, {}) for s in stories},
        merged_threads=lambda: {},
    )
    (thread,) = thread_timelines(store, {})  # type: ignore[arg-type]
    place = {s["title"]: (s["left"], s["level"], s["number"]) for s in thread["stories"]}
    assert place["a"][:2] == (0.0, 0) and place["b"][:2] == (0.0, 1)  # same day: stacked
    assert sorted(p[2] for p in place.values()) == [1, 2, 3, 4]  # numbered as the list below
    assert place["c"][0] is None  # undated: listed, but no dot at the start of the line
    assert place["d"][:2] == (100.0, 0)
    assert thread["height"] == 18 * 2 + 4


def _city_stream() -> list[StoryText]:
    """Four weeks of stories in six towns, each town with its fires, floods and strikes (the
    town and the kind of event recur; companies and people do not)."""
    from datetime import date, timedelta

    towns = ["Vella", "Orsk", "Tamber", "Quill", "Brenna", "Lusk"]
    kinds = [
        ("fire", "A fire broke out at the {org} plant in {town}, firefighters fought the blaze and smoke."),
        ("flood", "Floods in {town} forced residents from homes near {org} as the river rose after rain."),
        ("strike", "Workers at {org} in {town} walked out over pay; union talks with employers stalled."),
    ]
    out = []
    for day in range(28):
        for t, town in enumerate(towns):
            kind, lead = kinds[(day + t) % 3]
            org = f"Org{day}x{t} Holdings".replace("Org", "Kor" if t % 2 else "Mel")
            when = (date(2024, 3, 1) + timedelta(days=day)).isoformat()
            out.append(
                StoryText(f"d{day}-{t}", f"{town}: {kind}", (lead.format(org=org, town=town),), when, when)
            )
    return out


def test_two_fires_in_one_town_are_not_threaded_but_a_follow_up_naming_the_company_is() -> None:
    """The town and the kind's words are shared by every fire of a town: no subject-specific
    evidence. The follow-up names the plant: it joins."""
    index = ThreadIndex()
    fire_a = StoryText(
        "fire-a",
        "Vella: fire at the Garrow plant",
        (
            "A fire broke out at the Garrow plant in Vella; firefighters fought the blaze and smoke for hours.",
        ),
        "2024-03-10",
        "2024-03-10",
    )
    follow = StoryText(
        "fire-a-later",
        "Vella: Garrow plant fire inquiry",
        ("Days after the fire at the Garrow plant in Vella, inspectors said the blaze began in a kiln.",),
        "2024-03-15",
        "2024-03-15",
    )
    fire_b = StoryText(
        "fire-b",
        "Vella: fire at a plant",
        ("A fire broke out at a plant in Vella; firefighters fought the blaze and smoke for hours.",),
        "2024-03-24",
        "2024-03-24",
    )
    stream = sorted(
        [*_city_stream(), fire_a, follow, fire_b], key=lambda s: (s.first_published or "", s.story_id)
    )
    links = {s.story_id: index.add(s) for s in stream}
    assert index.thread_of["fire-a-later"] == index.thread_of["fire-a"]
    assert index.thread_of["fire-b"] != index.thread_of["fire-a"]
    assert "garrow" in links["fire-a-later"].evidence["specific"]
    # on the similarity alone they would be linked: the town and the fire words
    assert max(index.similarity("fire-b", s)[0] for s in ("fire-a", "fire-a-later")) >= THREAD_THRESHOLD
    assert sorted(index.members[index.thread_of["fire-a"]]) == ["fire-a", "fire-a-later"]
