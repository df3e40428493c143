"""Learned boilerplate: what recurs across unrelated articles goes, news that recurs stays."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from storyline.clean.boilerplate import names, proper_names, related
from storyline.clean.firsts import FirstSightings
from storyline.clean.keys import countable, packed_units, sentence_key, tokens
from storyline.cli.app import EXIT_OK, app
from storyline.copies.decide import find_copies
from storyline.models import Article, RemovedSpan
from storyline.pipeline import find_story_copies, ingest
from storyline.settings import Settings
from storyline.store.sqlite import SQLiteStore
from storyline.testing import FakeEmbedder

SETTINGS = Settings(workers=1, batch_size=3)

NOTICE = (
    "We use cookies and similar tools to improve your experience on our website and to show you relevant offers. "
    "By clicking accept and close you agree to the processing of your personal data as described in our policy."
)

# Each topic: a headline and sentences that share no content words with the other topics.
TOPICS = [
    (
        "Ferry service resumes in Sallow Bay",
        "The harbour authority said the ferry crossing reopens after repairs to the pier. Captains expect crowded decks during the first weekend of sailings.",
    ),
    (
        "Council approves new library in Lindenfeld",
        "Councillors voted to fund a library with reading rooms for pupils. Construction workers will begin digging foundations before winter arrives.",
    ),
    (
        "Storm floods farmland near Port Ardent",
        "Heavy rainfall submerged orchards and drowned vegetable fields along the river. Farmers fear their harvest losses will reach millions.",
    ),
    (
        "Striking nurses reach agreement in Kessel",
        "Hospital managers offered higher wages after weeks of walkouts by nursing staff. Patients waiting for surgery welcomed the settlement.",
    ),
    (
        "Brackwater museum returns stolen painting",
        "Detectives recovered the canvas from an auction house abroad. Curators hung the portrait again in the eastern gallery.",
    ),
    (
        "Football club in San Telmo sacks coach",
        "Directors dismissed the manager following eight consecutive defeats. Supporters chanted outside the stadium demanding a complete rebuild.",
    ),
    (
        "Ostrava Nova airport opens second runway",
        "Airline executives praised the expansion that doubles takeoff capacity. Neighbours complained about noise from night flights.",
    ),
]


def _write(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _article(i: int, site: str, *, notice: str = NOTICE, extra: str = "") -> dict[str, str]:
    title, body = TOPICS[i]
    text = f"{body}\n\n{notice}" if notice else body
    return {"title": title, "text": text + (f"\n\n{extra}" if extra else ""), "url": f"https://{site}/{i}"}


def _texts(store: SQLiteStore) -> dict[str, Article]:
    return {a.title: a for a in store.iter_articles()}


def test_keys_fold_case_space_punctuation_and_digits() -> None:
    assert sentence_key("Updated 10:42 on 3 May 2024.") == sentence_key("updated  9:15 on 14 may 2025")
    assert sentence_key("Updated 10:42 on 3 May.") != sentence_key("Published 10:42 on 3 May.")
    assert tokens("Ein Satz, 42 Mal!") == ["ein", "satz", "0", "mal"]


def test_ascii_and_unicode_text_get_the_same_keys() -> None:
    sentences = (
        "Updated 10:42 on 3 May 2024 by the newsroom staff in Kessel.",
        "Short one.",
        '"Quoted from start to end, this line is a famous quotation," he said.',
        "Subscribe to our newsletter for the latest headlines every single morning!",
    )
    ascii_article = Article(id="a", origin="o", title="t", text="\n\n".join(sentences), sentences=sentences)
    accented = tuple(s.replace("newsletter", "newslëtter") for s in sentences)  # the str path for the text
    wide = Article(id="b", origin="o", title="t", text="\n\n".join(accented), sentences=accented)
    want = [sentence_key(s) for s in sentences if countable(s)]
    assert [u[1] for u in packed_units(ascii_article) if u[2] == "sentence"] == want
    assert [u[1] for u in packed_units(wide) if u[2] == "sentence"][:-1] == want[:-1]
    suffix = [u for u in packed_units(ascii_article) if u[2] == "suffix"]
    assert [u[1] for u in suffix] == [u[1] for u in packed_units(wide) if u[2] == "suffix"]


def test_short_and_quoted_sentences_are_never_counted() -> None:
    assert not countable("Read more here.")
    assert not countable('"We shall fight on the beaches, we shall never surrender," he said.')
    assert countable(NOTICE.split(". ")[0])


def test_site_notice_is_learned_and_removed_from_earlier_articles_too(
    store: SQLiteStore, tmp_path: Path
) -> None:
    src = _write(tmp_path / "a.jsonl", [_article(i, "example.com") for i in range(5)])
    # one article per batch: the first is stored before anything recurs, and is cleaned again later
    stats, _ = ingest([src], store, settings=Settings(workers=1, batch_size=1))
    assert stats.stored == 5
    assert stats.recleaned == 1
    for article in store.iter_articles():
        assert "cookies" not in article.text, article.title
        reasons = [r.reason for r in article.removed]
        assert any(r.startswith(("site boilerplate", "corpus boilerplate")) for r in reasons)
        assert TOPICS[[t for t, _ in TOPICS].index(article.title)][1].split(". ")[0] in article.text
    last = _texts(store)[TOPICS[4][0]]
    assert any(
        r.reason.startswith("site boilerplate: seen in") and "example.com" in r.reason for r in last.removed
    )


def test_every_article_one_paragraph_nothing_repeats_nothing_removed(
    store: SQLiteStore, tmp_path: Path
) -> None:
    records = [
        {"title": t, "text": b, "url": f"https://single.example/{i}"} for i, (t, b) in enumerate(TOPICS)
    ]
    ingest([_write(tmp_path / "one.jsonl", records)], store, settings=SETTINGS)
    for article in store.iter_articles():
        assert not article.removed
        assert article.text == TOPICS[[t for t, _ in TOPICS].index(article.title)][1]


def test_standing_correction_in_follow_ups_of_one_story_stays(store: SQLiteStore, tmp_path: Path) -> None:
    correction = "An earlier version of this report misstated the number of ferry cabins damaged by the fire."
    days = [
        "The ferry operator in Sallow Bay inspected the burned cabins on Monday.",
        "Inspectors in Sallow Bay said the ferry operator must replace the burned cabins.",
        "The Sallow Bay ferry operator ordered new cabins after the inspection of the burned deck.",
        "The repaired ferry left Sallow Bay on Thursday with new cabins on its upper deck.",
    ]
    records = [
        {
            "title": f"Sallow Bay ferry fire, day {d + 1}",
            "text": f"{body}\n\n{correction}",
            "url": f"https://bay.example/{d}",
        }
        for d, body in enumerate(days)
    ]
    ingest([_write(tmp_path / "days.jsonl", records)], store, settings=SETTINGS)
    for article in store.iter_articles():
        assert correction in article.text
        assert not article.removed


def test_famous_quote_across_different_articles_stays(store: SQLiteStore, tmp_path: Path) -> None:
    quote = (
        '"Ask not what your country can do for you, ask what you can do for your country," she reminded them.'
    )
    records = []
    for i, (title, body) in enumerate(TOPICS):
        first, second = body.split(". ", 1)
        records.append(
            {"title": title, "text": f"{first}. {quote} {second}", "url": f"https://site{i}.example/q"}
        )
    ingest([_write(tmp_path / "q.jsonl", records)], store, settings=SETTINGS)
    for article in store.iter_articles():
        assert quote in article.text
        assert not article.removed


def test_lone_unquoted_line_inside_different_articles_stays(store: SQLiteStore, tmp_path: Path) -> None:
    line = "Officials described the situation as calm but tense throughout the afternoon."
    records = []
    for i, (title, body) in enumerate(TOPICS):
        first, second = body.split(". ", 1)
        records.append(
            {
                "title": title,
                "text": f"{first}. {line}\n\nA third sentence for topic {title}. {second}",
                "url": f"https://s{i}.example/x",
            }
        )
    ingest([_write(tmp_path / "l.jsonl", records)], store, settings=SETTINGS)
    assert all(line in a.text for a in store.iter_articles())


def test_first_batch_of_one_site_then_another_site(store: SQLiteStore, tmp_path: Path) -> None:
    first = _write(tmp_path / "first.jsonl", [_article(i, "alpha.example") for i in range(4)])
    second = _write(
        tmp_path / "second.jsonl",
        [_article(i, "beta.example", notice="") for i in range(4, 7)],
    )
    ingest([first], store, settings=Settings(workers=1, batch_size=10))
    ingest([second], store, settings=Settings(workers=1, batch_size=10))
    by_title = _texts(store)
    for i in range(4):
        assert "cookies" not in by_title[TOPICS[i][0]].text
        assert TOPICS[i][1] == by_title[TOPICS[i][0]].text  # the body itself is untouched
    for i in range(4, 7):
        assert by_title[TOPICS[i][0]].text == TOPICS[i][1]
        assert not by_title[TOPICS[i][0]].removed


def test_wire_reprint_under_new_headlines_is_not_boilerplate(store: SQLiteStore, tmp_path: Path) -> None:
    body = (
        "LINDENFELD (Atlas Newswire) - Engineers closed the old stone bridge over the Kessel river on Tuesday "
        "after divers found cracks in two of its piers. The regional transport office said repairs could take "
        "until spring and that buses would cross at the northern ferry instead. Mayor Ilse Brandt asked drivers "
        "to leave their cars at home during the morning rush."
    )
    heads = [
        "Bridge closed after cracks found",
        "Lindenfeld loses its river crossing",
        "Repairs shut stone bridge",
        "Kessel river bridge shut until spring",
    ]
    records = [
        {"title": h, "text": body, "url": f"https://paper{i}.example/bridge"} for i, h in enumerate(heads)
    ]
    ingest([_write(tmp_path / "w.jsonl", records)], store, settings=SETTINGS)
    articles = list(store.iter_articles())
    assert len(articles) == 4
    assert all(a.text == body and not a.removed for a in articles)
    links = find_copies(articles, embedder=FakeEmbedder())
    assert len(links) == 3 and all(link.type.value == "wire" for link in links)
    assert all(link.evidence["shared_content"]["shingles"] > 20 for link in links)


def test_articles_sharing_only_a_banner_are_not_copies(store: SQLiteStore, tmp_path: Path) -> None:
    banner = (
        "This network provides the information as is without warranties of any kind. "
        "Our network disclaims responsibility for the privacy practices of the websites attached to it. "
        "For any enquiries about reusing this information please contact the provider named above."
    )
    records = [{"text": f"{title}\n\n{banner}"} for title, _ in TOPICS[:3]]
    ingest([_write(tmp_path / "b.jsonl", records)], store, settings=SETTINGS)
    articles = list(store.iter_articles())
    assert {a.text for a in articles} == {t for t, _ in TOPICS[:3]}  # the headline is the signal left
    assert not find_copies(articles, embedder=FakeEmbedder())


def test_headline_glued_to_the_banner_keeps_the_headline(store: SQLiteStore, tmp_path: Path) -> None:
    glued = "To improve our website and show you relevant news we collect technical anonymous data about you with tools of our partners."
    rest = "Details of the technologies we use are in the rules on cookies. You can withdraw your consent as our privacy policy describes."
    records = [{"text": f"{title} {glued} {rest}"} for title, _ in TOPICS[:3]]
    ingest([_write(tmp_path / "g.jsonl", records)], store, settings=SETTINGS)
    texts = sorted(a.text for a in store.iter_articles())
    assert texts == sorted(t for t, _ in TOPICS[:3])


def test_whole_text_boilerplate_is_quarantined_or_flagged(store: SQLiteStore, tmp_path: Path) -> None:
    notice_only = [{"text": NOTICE, "url": f"https://example.com/page{i}", "title": ""} for i in range(3)]
    records = [_article(i, "example.com") for i in range(4)] + notice_only
    stats, _ = ingest([_write(tmp_path / "n.jsonl", records)], store, settings=SETTINGS)
    reasons = [q.reason for q in store.iter_quarantine()]
    flagged = [a for a in store.iter_articles() if any(r.reason == "boilerplate-only" for r in a.removed)]
    assert stats.quarantined + len(flagged) == 3
    assert all("learned boilerplate" in r for r in reasons)
    unassigned = set(store.unassigned_ids())
    assert not unassigned & {a.id for a in flagged}


def test_counts_are_pruned_beyond_the_horizon(store: SQLiteStore, tmp_path: Path) -> None:
    records = [{"title": t, "text": b, "url": f"https://p.example/{i}"} for i, (t, b) in enumerate(TOPICS)]
    ingest(
        [_write(tmp_path / "p.jsonl", records)],
        store,
        settings=Settings(workers=1, batch_size=2, boilerplate_horizon=2),
    )
    # nothing recurs: no row in the table; the first sightings are stored as chunks, the old ones pruned
    assert store._db.execute("SELECT COUNT(*) FROM boilerplate").fetchone()[0] == 0
    firsts = FirstSightings.load(store.boilerplate_firsts())
    assert 0 < len(firsts) < 2 * len(TOPICS)  # two sentences each, without pruning
    first, last = (sentence_key(body.split(". ")[0]) for _, body in (TOPICS[0], TOPICS[-1]))
    assert set(firsts.find({first, last})) == {last}


def test_first_sightings_answer_alike_before_and_after_numpy_takes_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import storyline.clean.firsts as firsts_module

    monkeypatch.setattr(firsts_module, "FIRST_CHUNK", 4)
    monkeypatch.setattr(firsts_module, "SEGMENT_CHUNKS", 2)
    firsts = FirstSightings()
    firsts.add([50, -7, 3], firsts_module.holder_code("00000000000000aa") or 0, 1)
    firsts.add([9, -(1 << 62)], firsts_module.holder_code("ffffffffffffff01") or 0, 2)
    update = firsts.take_full()  # the first chunk: a plain array, no numpy needed
    assert update is not None and update.firsts[0][0] == 2
    assert all(s.plain for s in firsts.closed)
    firsts.drop({3})  # seen again: forgotten here
    query = {50, -7, 3, 9, -(1 << 62), 11, 21}
    plain = firsts.find(query)
    assert plain == {
        50: "00000000000000aa",
        -7: "00000000000000aa",
        9: "ffffffffffffff01",
        -(1 << 62): "ffffffffffffff01",
    }
    firsts.add([11, 12, 13, 14], firsts_module.holder_code("0000000000000bbb") or 0, 3)
    assert firsts.take_full() is not None  # the second chunk: numpy, merged into the first one's segment
    assert "numpy" in sys.modules and len(firsts.closed) == 1 and not firsts.closed[0].plain
    assert firsts.find(query) == {**plain, 11: "0000000000000bbb"}
    firsts.add([21, 22, 23, 24], firsts_module.holder_code("0000000000000ccc") or 0, 7)
    assert firsts.take_full() is not None  # a third chunk: the first segment is full, a new one
    assert len(firsts.closed) == 2
    firsts.drop({50, 22})
    kept = {k: v for k, v in plain.items() if k != 50}
    assert firsts.find(query) == {**kept, 11: "0000000000000bbb", 21: "0000000000000ccc"}
    firsts.prune(3)  # the first chunk (last stored 2) goes, the second (3) and third (7) stay
    assert firsts.find(query) == {11: "0000000000000bbb", 21: "0000000000000ccc"}
    assert len(firsts) == 4 + 4  # chunks two and three (a key seen again is marked, not removed)
    # what is stored reads back the same way (little-endian int64 keys and holders)
    keys = [int.from_bytes(update.firsts[0][1][i : i + 8], "little", signed=True) for i in range(0, 40, 8)]
    assert keys == sorted([50, -7, 3, 9, -(1 << 62)])
    codes = [int.from_bytes(update.firsts[0][2][i : i + 8], "little", signed=True) for i in range(0, 40, 8)]
    by_key = dict(zip(keys, map(firsts_module.holder_id, codes), strict=True))
    assert by_key[-(1 << 62)] == "ffffffffffffff01" and by_key[3] == "00000000000000aa"


def test_first_sightings_load_what_was_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    import storyline.clean.firsts as firsts_module

    monkeypatch.setattr(firsts_module, "FIRST_CHUNK", 4)
    monkeypatch.setattr(firsts_module, "SEGMENT_CHUNKS", 3)
    firsts = FirstSightings()
    rows = []
    for n, keys in enumerate(([5, 1, 9, 7], [2, 8, 4, 6], [30, 10, 20, 40, 50], [60])):
        firsts.add(keys, firsts_module.holder_code(f"{n + 1:016x}") or 0, n + 1)
        update = firsts.take_full(force=n == 3)
        assert update is not None
        rows += [(n, last, k, c) for last, k, c in update.firsts]
    loaded = FirstSightings.load(rows)
    query = {1, 2, 5, 8, 20, 50, 60, 99}
    assert loaded.find(query) == firsts.find(query) and len(loaded.find(query)) == 7
    assert loaded.absorbed == [3]  # the small last chunk goes back into the open one


def test_first_sightings_carry_over_to_the_next_ingest(store: SQLiteStore, tmp_path: Path) -> None:
    for i in range(4):  # one article per run: each run starts from what the last one stored
        ingest([_write(tmp_path / f"{i}.jsonl", [_article(i, "example.com")])], store, settings=SETTINGS)
    texts = _texts(store)
    assert all(NOTICE[:20] not in a.text for a in texts.values())
    assert all(TOPICS[i][1][:20] in texts[TOPICS[i][0]].text for i in range(4))
    assert len(store.boilerplate_firsts()) == 1  # each run's chunk taken into the next one's


def test_names_are_words_never_written_in_lower_case() -> None:
    text = "Mayor Ilse Brandt opened the bridge. The bridge reopened. Police said nothing."
    # "The" is also written "the": not a name; "Police" is never written in lower case here: taken as one
    assert names(text) == {"mayor", "ilse", "brandt", "police"}
    assert names("Police arrived. The police left the town.") == set()
    assert "кремль" in names("Кремль заявил") and "غزة" in names("في غزة")


def test_related_by_names_outside_the_shared_text() -> None:
    shared = tokens(NOTICE)
    one = "Mayor Ilse Brandt closed the Kessel bridge on Monday."
    two = "Ilse Brandt said the Kessel crossing would reopen in spring."
    other = "Striking nurses in Port Ardent accepted the offer of their managers."
    a, b, c = (tokens(t) + shared for t in (one, two, other))
    assert related(a, b, names_a=names(one), names_b=names(two))
    assert not related(a, c, names_a=names(one), names_b=names(other))


def test_related_tells_reprints_from_banners() -> None:
    body = tokens(TOPICS[0][1] + " " + TOPICS[1][1])
    assert related(tokens("Sallow Bay ferry back") + body, tokens("Ferry crossing reopens") + body)
    notice = tokens(NOTICE)
    assert not related(tokens(TOPICS[2][0]) + notice, tokens(TOPICS[3][0]) + notice)


def test_cli_lists_what_was_learned(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    db = tmp_path / "c.db"
    with SQLiteStore(db) as store:
        ingest(
            [_write(tmp_path / "c.jsonl", [_article(i, "example.com") for i in range(4)])],
            store,
            settings=SETTINGS,
        )
    runner = CliRunner()
    done = runner.invoke(app, ["boilerplate", "--db", str(db), "--site", "example.com", "--json"])
    assert done.exit_code == EXIT_OK, done.output
    rows = json.loads(done.stdout)
    assert rows and all(r["scope"] == "example.com" for r in rows)
    assert any("cookies" in r["text"] and r["unrelated"] >= 3 for r in rows)
    from test_store_commands import _validate

    _validate("boilerplate", rows)
    table = runner.invoke(app, ["boilerplate", "--db", str(db)])
    assert table.exit_code == EXIT_OK and "(corpus)" in table.stdout
    missing = runner.invoke(app, ["boilerplate", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code != EXIT_OK


def test_recleaned_article_leaves_its_story_and_copy_links(store: SQLiteStore, tmp_path: Path) -> None:
    from storyline.models import Assignment, CopyLink, CopyType

    first = _write(
        tmp_path / "first.jsonl", [_article(0, "example.com"), _article(5, "other.example", notice="")]
    )
    ingest([first], store, settings=SETTINGS)
    dirty, clean = (a.id for a in store.iter_articles())
    assert "cookies" in store.get_article(dirty).text  # nothing recurs yet
    # the later stages ran on the dirty text: a story and a copy link
    store.write_assignments(
        [Assignment(dirty, "story-x", 1.0, True), Assignment(clean, "story-y", 1.0, True)]
    )
    store.write_copies([CopyLink(dirty, clean, CopyType.WIRE, 0.9, {})], [dirty, clean])
    later = _write(tmp_path / "later.jsonl", [_article(i, "example.com") for i in range(1, 4)])
    stats, _ = ingest([later], store, settings=SETTINGS)
    assert stats.recleaned == 1
    assert "cookies" not in store.get_article(dirty).text
    assert dirty in store.unassigned_ids() and clean not in store.unassigned_ids()  # placed again next run
    assert not store.copies([dirty])
    assert [e["kind"] for e in store.story_events("story-x")] == ["opened", "recleaned"]


def test_unrelated_articles_under_one_learned_footer_are_not_copies() -> None:
    footer = "Hello, I want to quit because the working conditions are no longer given to me here."
    rest = (
        "Unfortunately I do not fully understand the employment contract I signed last year. "
        "Section thirteen says the employment may be ended with a period of six working days. "
        "After six months of employment either side may give notice with a period of twelve working days. "
        "The notice period for the employer grows when the employment has lasted three years in the same firm. "
        "Does the longer period also apply to me when I am the one who gives notice to the employer? "
        "Thank you in advance for any answer from people who have been through the same situation."
    )
    reason = "corpus boilerplate: seen in 2 articles (2 unrelated)"

    def article(i: int, *, removed: bool) -> Article:
        title, _ = TOPICS[i]
        text = f"{title}. {rest}"
        spans = (RemovedSpan(reason, footer),) if removed else ()
        return Article(id=f"f{i}", origin="o", title="", text=text, language="en", removed=spans)

    # without the learned footer the shared forum post makes a wire copy; with it, the learner's own
    # relatedness test says the two reports (a ferry, a library) share nothing but that post
    assert (
        len(find_copies([article(0, removed=False), article(1, removed=False)], embedder=FakeEmbedder())) == 1
    )
    assert find_copies([article(0, removed=True), article(1, removed=True)], embedder=FakeEmbedder()) == []
    # a reprint of one report, banner removed from both, stays a copy
    body = (
        "LINDENFELD (Atlas Newswire) - Engineers closed the old stone bridge over the Kessel river on Tuesday "
        "after divers found cracks in two of its piers. The regional transport office said repairs could take "
        "until spring and that buses would cross at the northern ferry instead."
    )
    reprints = [
        Article(
            id=f"r{i}", origin="o", title=h, text=body, language="en", removed=(RemovedSpan(reason, NOTICE),)
        )
        for i, h in enumerate(["Bridge closed after cracks found", "Kessel river bridge shut until spring"])
    ]
    links = find_copies(reprints, embedder=FakeEmbedder())
    assert len(links) == 1 and links[0].type.value == "wire"


IP_BLOCK = (
    "We are sorry, but we recorded a huge amount of connections from the IP address you are connecting from.\n\n"
    "We suspect that someone has misused the IP address you are using.\n\n"
    'If you want to connect with us, select "I AM NOT A ROBOT".\n\n'
    "Your IP address: 207.241.233.{n}"
)


def test_notice_pages_contained_in_each_other_are_not_grouped(store: SQLiteStore, tmp_path: Path) -> None:
    # one IP-block page served for three addresses (only the address differs) among news: the pages
    # are contained in each other, but they name no one, so they are not reprints of each other
    pages = [
        {"text": IP_BLOCK.format(n=110 + i), "url": f"https://p.example/{i}", "title": ""} for i in range(3)
    ]
    records = [_article(i, "news.example", notice="") for i in range(4)] + pages
    ingest([_write(tmp_path / "ip.jsonl", records)], store, settings=SETTINGS)
    flagged = {a.id for a in store.iter_articles() if any(r.reason == "boilerplate-only" for r in a.removed)}
    quarantined = [q.reason for q in store.iter_quarantine()]
    assert len(flagged) + len(quarantined) == 3
    assert all("learned boilerplate" in r for r in quarantined)
    assert len(_texts(store)) == 4 + len(flagged)  # the news stays whole
    bodies = dict(TOPICS)
    assert all(a.text == bodies[a.title] for a in store.iter_articles() if a.id not in flagged)
    assert find_story_copies(store, embedder=FakeEmbedder()) == []
    # a reprint names someone: still related when one text holds the other whole
    report = "Engineers closed the old stone bridge over the Kessel river on Tuesday. Divers found cracks."
    assert proper_names(report.split(". ")) == {"kessel", "tuesday"}
    reprint = tokens(report)
    assert related(reprint, reprint, proper_a=proper_names(report.split(". ")), proper_b=set())
    notice = tokens(IP_BLOCK.format(n=1))
    assert proper_names(IP_BLOCK.format(n=1).split("\n\n")) == set()
    assert not related(notice, notice, proper_a=set(), proper_b=set())
    assert related(notice, notice)  # without the names given, as before
