"""storyline: turn a pile or a stream of news articles into stories.

Importing the package is light: models, settings and errors only; every stage
imports its heavy libraries when first called.
"""

from __future__ import annotations

import logging
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
    "IngestStats",
    "InputError",
    "Membership",
    "MissingExtraError",
    "ModelError",
    "NotFoundError",
    "Quarantined",
    "RemovedSpan",
    "Settings",
    "StoreError",
    "Story",
    "StorylineError",
    "__version__",
    "require_extra",
    "to_dict",
]
