"""The exceptions storyline raises.

Everything derives from :class:`StorylineError`, so a caller can catch the
library's errors in one place; builtins are subclassed where the meaning
matches (a bad record is also a ``ValueError``). Messages name the bad value,
where it came from and what would be valid.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class StorylineError(Exception):
    """Base class of every error storyline raises on purpose."""


class InputError(StorylineError, ValueError):
    """A source or record cannot be read into an article.

    ``origin`` is the file (or ``<stdin>``), ``position`` the line, record or
    byte offset within it; the ingest runner turns these into quarantine rows.
    """

    def __init__(self, reason: str, *, origin: str = "", position: str = "") -> None:
        self.reason = reason
        self.origin = origin
        self.position = position
        where = origin + (f" at {position}" if position else "")
        super().__init__(f"{where}: {reason}" if where else reason)


class StoreError(StorylineError):
    """The store cannot be opened, migrated or written."""


class NotFoundError(StorylineError, LookupError):
    """An article or story id that the store does not hold."""


class ConfigError(StorylineError, ValueError):
    """A setting, option or argument has a value that cannot be used: a bad value, or an
    unknown key or a value of the wrong kind in a config file or the environment."""


class ModelError(StorylineError):
    """A shipped or user-given model file is missing, damaged or of the wrong kind."""


class MissingExtraError(StorylineError, ImportError):
    """An optional part was used without its extra installed."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{package} is not installed; it comes with the '{extra}' extra: pip install 'storyline[{extra}]'"
        )


def require_extra(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra that brings it.

    Optional parts (the web server, the Spark job, Parquet) call this where they first need
    their library, so a user without the extra gets the ``pip install`` command, not a traceback.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra) from exc
