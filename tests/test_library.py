"""The library's front door: the README's example runs, and run() on any store does the main job."""

from __future__ import annotations

import contextlib
import io
import re
from importlib import resources
from pathlib import Path

import pytest

import storyline
from storyline.store.memory import MemoryStore
from storyline.testing import FakeEmbedder

README = Path(__file__).resolve().parents[1] / "README.md"
SAMPLE = str(resources.files("storyline") / "sample" / "corpus.jsonl")
#: articles in the sample corpus (one JSON object a line)
N_SAMPLE = sum(1 for line in Path(SAMPLE).read_text(encoding="utf-8").splitlines() if line.strip())


def _library_example() -> str:
    section = README.read_text(encoding="utf-8").split("## As a library", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the section has one runnable example"
    return blocks[0]


def test_the_readme_library_example_runs() -> None:
    code = _library_example()
    assert 'open_store(":memory:")' in code and "FakeEmbedder(dim=768)" in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})  # our own README
    lines = printed.getvalue().splitlines()
    assert lines[0] == f"{N_SAMPLE} articles stored, 0 quarantined", lines
    assert re.fullmatch(r"\d+ new stories in \d+ threads, \d+ copy links", lines[1]), lines
    assert len(lines) == 5


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[storyline.RunResult, list[storyline.Story], list[storyline.CopyLink]]]:
    """The main job over the sample corpus with a 768-dimensional fake embedder, on both backends."""
    out = {}
    for name, store in (("sqlite", storyline.open_store(":memory:")), ("memory", MemoryStore())):
        with store:
            result = storyline.run([SAMPLE], store=store, embedder=FakeEmbedder(dim=768))
            out[name] = (result, store.list_stories(), store.copies())
    return out


def test_run_with_a_768_dimensional_embedder_groups_the_sample(
    runs: dict[str, tuple[storyline.RunResult, list[storyline.Story], list[storyline.CopyLink]]],
) -> None:
    result, stories, links = runs["sqlite"]
    assert result.stats.read == N_SAMPLE and result.stats.stored == N_SAMPLE and result.quarantined == 0
    assert len(result.new_articles) == N_SAMPLE and result.placed == N_SAMPLE
    assert set(result.new_stories) == {s.id for s in stories}  # a fresh store: every story is new
    assert sum(len(s.article_ids) for s in stories) == N_SAMPLE
    assert any(len(s.article_ids) >= 2 for s in stories)  # word overlap alone still groups versions
    assert {(c.copy, c.original) for c in result.copy_links} == {(c.copy, c.original) for c in links}
    assert result.reports is None


def test_run_on_the_memory_store_does_what_it_does_on_sqlite(
    runs: dict[str, tuple[storyline.RunResult, list[storyline.Story], list[storyline.CopyLink]]],
) -> None:
    (sql_result, sql_stories, sql_links), (mem_result, mem_stories, mem_links) = (
        runs["sqlite"],
        runs["memory"],
    )
    assert mem_stories == sql_stories
    assert [(c.copy, c.original, c.type) for c in mem_links] == [
        (c.copy, c.original, c.type) for c in sql_links
    ]
    assert mem_result.new_stories == sql_result.new_stories
    assert mem_result.stats == sql_result.stats


def test_a_second_run_continues_and_writes_reports(tmp_path: Path) -> None:
    store = MemoryStore()
    heard: list[tuple[str, str]] = []

    class Listener(storyline.RunListener):
        def started(self, stage: str) -> None:
            heard.append(("started", stage))

        def finished(self, stage: str, so_far: storyline.RunResult) -> None:
            heard.append(("finished", stage))

    embedder = FakeEmbedder(dim=768)
    first = storyline.run(SAMPLE, store=store, embedder=embedder)  # one path as it is
    again = storyline.run(
        [SAMPLE],
        store=store,
        embedder=embedder,
        reports=tmp_path / "reports",
        max_reports=2,
        listener=Listener(),
    )
    assert again.stats.duplicates == N_SAMPLE and again.new_articles == () and again.placed == 0
    assert again.new_stories == () and again.copy_links == ()
    assert first.stats.files == 1 and first.stats.stored == N_SAMPLE
    assert again.reports == tmp_path / "reports" / "index.html" and again.reports.is_file()
    assert len(list((tmp_path / "reports").glob("*.html"))) == 3  # two stories and the index
    assert heard == [
        (e, s) for s in ("ingest", "stories", "copies", "reports") for e in ("started", "finished")
    ]


def test_the_readme_names_every_setting() -> None:
    import dataclasses

    import storyline

    section = README.read_text(encoding="utf-8").split("### Settings", 1)[1].split("\n## ", 1)[0]
    missing = [f.name for f in dataclasses.fields(storyline.Settings) if f"`{f.name}`" not in section]
    assert missing == [], f"README's Settings section does not name {missing}"


def test_the_fakes_are_in_storyline_testing() -> None:
    from storyline.store.memory import MemoryStore
    from storyline.testing import FakeEmbedder
    from storyline.testing import MemoryStore as Documented

    assert Documented is MemoryStore  # README names storyline.testing.MemoryStore
    assert FakeEmbedder(dim=768).encode(["a text"]).shape == (1, 768)
