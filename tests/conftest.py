"""Shared fixtures. Models load once per session; nothing here touches the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.settings import Settings
from storyline.store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The two real seed articles; they stay in ../shared and are never copied into the repo."""
    path = SHARED / "seeds"
    if not path.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    return path


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "test.db")
    yield s  # type: ignore[misc]
    s.close()


@pytest.fixture
def settings() -> Settings:
    return Settings()
