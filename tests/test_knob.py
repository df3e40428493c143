"""The precision knob is one table: every stage reads its thresholds from storyline.knob."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from storyline import knob
from storyline.compare.facts import fact_models, same_fact_threshold, story_threshold
from storyline.copies import decide as copies
from storyline.copies.decide import CopyThresholds, copy_thresholds
from storyline.settings import Settings

PACKAGE = Path(knob.__file__).parent
GRID = [i / 20 for i in range(21)]


def _reads_precision(node: ast.AST) -> bool:
    """``settings.precision`` / ``self.settings.precision`` (the knob itself, not a date's precision)."""
    if not (isinstance(node, ast.Attribute) and node.attr == "precision"):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "settings") or (
        isinstance(owner, ast.Attribute) and owner.attr == "settings"
    )


def _stray_uses(tree: ast.AST) -> list[int]:
    """Lines where the knob's value enters arithmetic (or min/max/round), directly or through a
    variable of its own in the same function (``p = settings.precision`` then ``lo + p * span``)."""
    lines: set[int] = set()
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]
    for scope in scopes:
        aliases = (
            set()
            if scope is tree
            else {
                t.id
                for n in ast.walk(scope)
                if isinstance(n, ast.Assign) and _reads_precision(n.value)
                for t in n.targets
                if isinstance(t, ast.Name)
            }
        )

        def knob_value(sub: ast.AST, aliases: set[str] = aliases) -> bool:
            return _reads_precision(sub) or (isinstance(sub, ast.Name) and sub.id in aliases)

        for node in ast.walk(scope):
            if isinstance(node, (ast.BinOp, ast.UnaryOp)):
                if any(knob_value(sub) for sub in ast.walk(node)):
                    lines.add(node.lineno)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"min", "max", "round"}
                and any(knob_value(a) for a in node.args)
            ):
                lines.add(node.lineno)
    return sorted(lines)


def test_no_stage_does_its_own_precision_arithmetic() -> None:
    stray = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "knob.py":
            continue
        lines = _stray_uses(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            stray[str(path.relative_to(PACKAGE))] = lines
    assert stray == {}, f"precision arithmetic outside storyline/knob.py: {stray}"


def test_the_stray_check_catches_the_old_forms() -> None:
    """The three forms the stages used before the table: the check above must see each."""
    for source in (
        "def f(self):\n    return min(0.95, max(0.05, v + (self.settings.precision - 0.5) * 0.5))\n",
        "def f(settings):\n    p = settings.precision\n    return round(lo + p * (hi - lo), 4)\n",
        "def f(settings):\n    return 0.35 + 0.3 * settings.precision\n",
    ):
        assert _stray_uses(ast.parse(source)), source
    assert not _stray_uses(
        ast.parse("def f(settings, d):\n    return knob.dial('x', settings.precision), d.precision\n")
    )


def test_every_entry_is_used_by_a_stage() -> None:
    """No dead entry: each name is read somewhere in the package (outside the table)."""
    names = {f"copies.{name}" for name in copies._DIALS}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "knob.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in knob.KNOB}
    assert set(knob.KNOB) <= names, sorted(set(knob.KNOB) - names)


@pytest.mark.parametrize("name", sorted(knob.KNOB))
def test_each_entry_rises_with_the_knob_and_keeps_its_bounds(name: str) -> None:
    entry = knob.KNOB[name]
    low, high = entry.bounds()
    assert low < high
    for learned in (0.0, 0.3, 0.5, 0.7, 1.0):
        values = [entry.at(p, learned) if isinstance(entry, knob.Shift) else entry.at(p) for p in GRID]
        assert values == sorted(values), f"{name} falls somewhere with the knob: {values}"
        assert all(low <= v <= high for v in values)
        if isinstance(entry, knob.Shift) and entry.low <= learned <= entry.high:
            assert entry.at(0.5, learned) == learned  # unchanged at 0.5
        if not isinstance(entry, knob.Shift):
            break
    if not isinstance(entry, knob.Shift):
        assert (entry.at(0.0), entry.at(1.0)) == (low, high)


def test_the_stages_give_the_tables_values() -> None:
    for p in (0.0, 0.3, 0.5, 0.7, 1.0):
        settings = Settings(precision=p)
        th = copy_thresholds(settings)
        for field in CopyThresholds.__dataclass_fields__:
            if field == "min_aligned":
                assert th.min_aligned == knob.steps("copies.min_aligned", p)
            elif field != "precision":
                assert getattr(th, field) == knob.dial(f"copies.{field}", p)
        assert same_fact_threshold(settings) == knob.dial("align.same_fact", p)
        assert story_threshold(settings) == knob.shift("align.story_fact", p, fact_models().story_threshold)
    # the arithmetic the stages had before the table, to the last bit
    for p in GRID:
        th = copy_thresholds(Settings(precision=p))
        assert th.wire_containment == round(0.60 + p * (0.85 - 0.60), 4)
        assert th.min_aligned == 2 + round(2 * p)
        assert same_fact_threshold(Settings(precision=p)) == 0.35 + 0.3 * p
        learned = fact_models().story_threshold
        assert story_threshold(Settings(precision=p)) == min(0.99, max(0.05, learned + 0.4 * (p - 0.5)))


def test_a_wrong_name_or_form_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match=r"no precision-knob entry 'copies\.nope'"):
        knob.dial("copies.nope", 0.5)
    with pytest.raises(TypeError, match="not a Dial"):
        knob.dial("stories.join", 0.5)


def test_the_story_index_gives_the_tables_values() -> None:
    """The story thresholds keep the arithmetic they had before the table, to the last bit."""
    from storyline.stories.index import StoryIndex

    model = StoryIndex().model
    for p in GRID:
        index = StoryIndex(model=model, settings=Settings(precision=p))
        d = p - 0.5
        assert index.threshold == min(0.95, max(0.05, model.threshold + d * 0.5))
        assert index.merge_threshold == min(0.95, max(0.05, model.merge_threshold + d * 0.5))
        assert index.cohesion == min(0.9, max(0.0, model.cohesion + d * 0.6))
        assert index.fragment_cohesion == min(0.9, max(0.0, model.fragment_cohesion + d * 0.6))
