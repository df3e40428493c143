"""storyline: turn a pile or a stream of news articles into stories.

Importing the package is light: models, settings and errors only. The library's
front door (:func:`open_store`, :func:`run`; :func:`create_app`, the web app, and
:class:`SparkPreparer`, Spark reading for :func:`run`) and the stage functions (:func:`ingest`,
:func:`assign_stories`, :func:`assign_threads`, :func:`find_story_copies`, :func:`find_copies`,
:func:`compare_story`, :func:`compare_articles`, :func:`score_pair`, :func:`evaluate`)
are imported on first use, and each imports its heavy libraries when first called.
"""

from __future__ import annotations

import importlib
import logging
import typing
from importlib.metadata import PackageNotFoundError, version

from .errors import (
    ConfigError,
    InputError,
    MissingExtraError,
    ModelError,
    NotFoundError,
    StoreError,
    StorylineError,
    require_extra,
)
from .models import (
    Article,
    CopyLink,
    CopyType,
    Embed,
    IngestStats,
    Membership,
    Quarantined,
    RemovedSpan,
    Story,
    to_dict,
)
from .settings import DEFAULT_SETTINGS, Settings

if typing.TYPE_CHECKING:  # what the lazy names below are, for type checkers
    from .compare.versions import compare_articles
    from .copies.decide import find_copies
    from .evaluation import evaluate, evaluate_similarity, evaluate_stories
    from .pipeline import (
        RunListener,
        RunResult,
        assign_stories,
        assign_threads,
        find_story_copies,
        ingest,
        run,
    )
    from .report.html import compare_story
    from .server import create_app
    from .similarity.model import score_pair
    from .spark import SparkPreparer
    from .store import open_store
    from .store.base import Store
    from .types import Embedder

#: public name → the module that defines it, imported on first use (``import storyline`` stays light)
_LAZY = {
    "Embedder": "types",
    "RunListener": "pipeline",
    "RunResult": "pipeline",
    "SparkPreparer": "spark",
    "Store": "store.base",
    "assign_stories": "pipeline",
    "assign_threads": "pipeline",
    "compare_articles": "compare.versions",
    "compare_story": "report.html",
    "create_app": "server",
    "evaluate": "evaluation",
    "evaluate_similarity": "evaluation",
    "evaluate_stories": "evaluation",
    "find_copies": "copies.decide",
    "find_story_copies": "pipeline",
    "ingest": "pipeline",
    "open_store": "store",
    "run": "pipeline",
    "score_pair": "similarity.model",
}


def __getattr__(name: str) -> typing.Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


try:
    __version__ = version("storyline")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_SETTINGS",
    "Article",
    "ConfigError",
    "CopyLink",
    "CopyType",
    "Embed",
    "Embedder",
    "IngestStats",
    "InputError",
    "Membership",
    "MissingExtraError",
    "ModelError",
    "NotFoundError",
    "Quarantined",
    "RemovedSpan",
    "RunListener",
    "RunResult",
    "Settings",
    "SparkPreparer",
    "Store",
    "StoreError",
    "Story",
    "StorylineError",
    "__version__",
    "assign_stories",
    "assign_threads",
    "compare_articles",
    "compare_story",
    "create_app",
    "evaluate",
    "evaluate_similarity",
    "evaluate_stories",
    "find_copies",
    "find_story_copies",
    "ingest",
    "open_store",
    "require_extra",
    "run",
    "score_pair",
    "to_dict",
]
