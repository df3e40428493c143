"""JSON Schemas (draft 2020-12) of what the ``storyline`` command prints with ``--json`` and of a
row of each ``storyline export`` kind. ``storyline schema NAME`` prints one; the tests check
every output against its schema. Objects may gain fields in later versions (consumers should
ignore the ones they do not know); the listed ones are always there."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def schema_names() -> list[str]:
    """The names of the shipped schemas (``articles``, ``export-copies``, ...)."""
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))


def load_schema(name: str) -> dict[str, Any]:
    """The schema called ``name``, as a dict."""
    schema: dict[str, Any] = json.loads(
        (resources.files(__name__) / f"{name}.json").read_text(encoding="utf-8")
    )
    return schema
