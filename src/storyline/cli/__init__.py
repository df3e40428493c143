"""The ``storyline`` command line: Typer commands only, each calling the library.

:mod:`.app` holds the Typer app, its shared options and helpers and :func:`main`; the commands live in
:mod:`.jobs` (what changes the store), :mod:`.browse` (what reads it) and :mod:`.assess` (what scores).
Importing this package registers them all.
"""

from __future__ import annotations

from . import assess, browse, jobs
from .app import app, main

__all__ = ["app", "assess", "browse", "jobs", "main"]
