"""The trained models storyline ships in ``storyline/resources/`` (and model files a user gives),
read one way: JSON, gzipped when the name ends in ``.gz``; every problem (missing or unreadable
file, truncated gzip, bad JSON, features this code does not compute, a malformed part) is a
:class:`~storyline.errors.ModelError` naming the file."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import ModelError

#: where the shipped models are, as error messages name them
SHIPPED = "storyline/resources"


def load_model_json(name: str, *, what: str, path: str | Path | None = None) -> tuple[dict[str, Any], str]:
    """The JSON object of the shipped model file ``name`` (or of the user's file ``path``) and
    where it came from (``storyline/resources/NAME`` or the path), for error messages.

    ``what`` names the model in errors ("similarity model")."""
    if path is None:
        from importlib import resources

        origin = f"{SHIPPED}/{name}"
        data_of: Any = resources.files("storyline") / "resources" / name
    else:
        origin = str(path)
        data_of = Path(path)
    try:
        data = data_of.read_bytes()
        text = (gzip.decompress(data) if origin.endswith(".gz") else data).decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ModelError(f"cannot read the {what} {origin}: {reason}") from exc
    return parse_model_json(text, origin, what=what), origin


def parse_model_json(text: str, origin: str, *, what: str) -> dict[str, Any]:
    """The JSON object in ``text`` (read from ``origin``); anything else is a ModelError naming it."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{origin}: not a {what} (bad JSON: {exc})") from exc
    if not isinstance(spec, dict):
        raise ModelError(f"{origin}: not a {what} (a JSON {type(spec).__name__}, not an object)")
    return spec


def check_features(found: Any, expected: Sequence[str], origin: str, *, what: str, script: str) -> None:
    """A ModelError unless the model in ``origin`` was trained on the ``expected`` feature names
    (in order); ``script`` is the one that retrains it."""
    if not isinstance(found, list | tuple) or tuple(found) != tuple(expected):
        raise ModelError(
            f"{origin}: the {what} was trained on other features than this storyline computes; "
            f"retrain it with {script}"
        )


@contextmanager
def reading(origin: str, *, what: str) -> Iterator[None]:
    """Turn a missing key or a value of the wrong kind met while building a model from ``origin``
    into a ModelError naming the file."""
    try:
        yield
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ModelError(
            f"{origin}: not a {what} (a part is malformed: {type(exc).__name__}: {exc})"
        ) from exc
