"""The error tree: what each error is, what it says, and the optional-extra guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline import ConfigError, MissingExtraError, ModelError, Settings, StorylineError, require_extra


def test_bad_setting_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"settings\.precision must be between 0 and 1, got 1\.5"):
        Settings(precision=1.5)
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigError, StorylineError)


def test_require_extra_names_the_pip_command() -> None:
    with pytest.raises(MissingExtraError) as caught:
        require_extra("storyline_no_such_module.sub", "serve")
    assert "pip install 'storyline[serve]'" in str(caught.value)
    assert caught.value.package == "storyline_no_such_module"
    assert isinstance(caught.value, ImportError)


def test_require_extra_returns_the_module() -> None:
    assert require_extra("json", "none").dumps([1]) == "[1]"


def test_damaged_similarity_model_is_a_model_error(tmp_path: Path) -> None:
    from storyline.similarity.model import load_model

    bad = tmp_path / "model.json.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(ModelError, match=r"model\.json\.gz"):
        load_model(bad)
