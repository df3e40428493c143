"""The one model-file loader (resources.py): every shipped model, cut short, broken, trained on
other features or missing a part, is a ModelError naming the file."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storyline.compare.facts import fact_models, fact_models_from_dict, load_fact_models, read_fact_models
from storyline.errors import ModelError
from storyline.resources import load_model_json
from storyline.similarity.model import load_model, model_from_dict
from storyline.stories.features import default_pair_model, load_pair_model

RESOURCES = Path(__file__).resolve().parents[1] / "src" / "storyline" / "resources"


#: per shipped model: its file, a loader of a user's file, a builder from parsed JSON, a key to drop
MODELS: dict[
    str, tuple[str, Callable[[Path], Any], Callable[[dict[str, Any], str], Any], tuple[str, ...]]
] = {
    "story": (
        "story_model.json",
        load_pair_model,
        lambda spec, o: load_pair_model_from(spec, o),
        ("mono_bias",),
    ),
    "similarity": (
        "similarity_model.json.gz",
        load_model,
        lambda spec, o: model_from_dict(spec, origin=o),
        ("head", "mean"),
    ),
    "fact": ("fact_model.json", load_fact_models, fact_models_from_dict, ("pairwise", "bias")),
}


def load_pair_model_from(spec: dict[str, Any], origin: str) -> Any:
    path = Path(origin)
    path.write_text(json.dumps(spec), encoding="utf-8")
    return load_pair_model(path)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _shipped(name: str) -> dict[str, Any]:
    spec, origin = load_model_json(name, what="model")
    assert origin == f"storyline/resources/{name}"
    return spec


def test_a_fact_model_text_names_its_origin() -> None:
    with pytest.raises(ModelError, match=r"given\.json: not a fact model"):
        read_fact_models("[]", "given.json")


def test_the_shipped_models_load() -> None:
    assert default_pair_model().threshold > 0
    assert fact_models().story_threshold > 0
    assert load_model().features


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_a_truncated_model_file_names_the_file(kind: str, tmp_path: Path) -> None:
    name, load, _, _ = MODELS[kind]
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes((RESOURCES / name).read_bytes()[:700])
    with pytest.raises(ModelError, match=rf"cut-{name}".replace(".", r"\.")):
        load(cut)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_bad_json_and_a_json_list_name_the_file(kind: str, tmp_path: Path) -> None:
    name, load, _, _ = MODELS[kind]
    for text in (b"{not json", b"[1, 2]"):
        path = _write(tmp_path / f"bad-{name}", text)
        with pytest.raises(ModelError, match=rf"bad-{name}: not a ".replace(".", r"\.")):
            load(path)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_a_missing_model_file_names_it(kind: str, tmp_path: Path) -> None:
    name, load, _, _ = MODELS[kind]
    with pytest.raises(ModelError, match=r"nowhere"):
        load(tmp_path / f"nowhere-{name}")


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_other_features_and_a_missing_part_name_the_file(kind: str, tmp_path: Path) -> None:
    name, _, build, drop = MODELS[kind]
    origin = str(tmp_path / f"old-{name.removesuffix('.gz')}")
    spec = _shipped(name)
    features = spec["pairwise"] if kind == "fact" else spec
    features["features"] = [*features["features"][:-1], "renamed"]
    with pytest.raises(ModelError, match="other features"):
        build(spec, origin)
    spec = _shipped(name)
    part = spec
    for key in drop[:-1]:
        part = part[key]
    del part[drop[-1]]
    with pytest.raises(ModelError, match=r"old-.*malformed"):
        build(spec, origin)
