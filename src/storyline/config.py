"""Settings from a config file and the environment, for the ``storyline`` command.

Where a value comes from, first found wins:

1. the command-line option (``--db``, ``--precision``, ``--reports``);
2. the environment: ``STORYLINE_`` and the key in capitals (``STORYLINE_DB``,
   ``STORYLINE_PRECISION``, ``STORYLINE_WORKERS``, ...);
3. the config file: ``--config FILE``, else ``$STORYLINE_CONFIG``, else ``storyline.toml`` in the
   current folder when there is one;
4. the built-in default.

The file is TOML with flat keys: ``db``, ``reports`` and every field of
:class:`~storyline.settings.Settings` (``precision = 0.6``, ``workers = 2``, ...). An unknown
key, or a value of the wrong kind, is a :class:`~storyline.errors.ConfigError` naming the file
(or variable) and the key. The library itself never reads either: it takes a ``Settings``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .settings import Settings

#: the file looked for in the current folder when neither --config nor $STORYLINE_CONFIG is given
CONFIG_NAME = "storyline.toml"
ENV_PREFIX = "STORYLINE_"

_KINDS: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}

#: every key a config file or the environment may set, with its kind (the settings of a plain kind)
KEYS: dict[str, type] = {
    "db": str,
    "reports": str,
    **{f.name: _KINDS[str(f.type)] for f in dataclasses.fields(Settings) if str(f.type) in _KINDS},
}


def config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    """The config file in force: ``explicit``, else ``$STORYLINE_CONFIG``, else ./storyline.toml
    if it exists (an explicit or environment path that does not exist is an error)."""
    named = explicit or env.get(ENV_PREFIX + "CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"the config file {str(path)!r} does not exist")
        return path
    local = Path(CONFIG_NAME)
    return local if local.is_file() else None


def _convert(key: str, value: Any, where: str) -> Any:
    kind = KEYS[key]
    if isinstance(value, str) and kind is not str:
        text = value.strip().lower()
        try:
            if kind is bool:
                if text in ("1", "true", "yes", "on"):
                    return True
                if text in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return kind(text)
        except ValueError:
            raise ConfigError(f"{where}: {key} must be {kind.__name__}, got {value!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: {key} must be {kind.__name__}, got {value!r}")
    return value


def load_config(
    explicit: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The values the file and the environment set (the environment over the file), checked."""
    import tomllib

    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_path(explicit, env)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the config file {str(path)!r}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"the config file {str(path)!r} is not valid TOML: {exc}") from exc
        for key, value in data.items():
            if key not in KEYS:
                raise ConfigError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(KEYS))}")
            values[key] = _convert(key, value, str(path))
    origin = dict.fromkeys(values, str(path))
    for key in KEYS:
        name = ENV_PREFIX + key.upper()
        if env.get(name):
            values[key] = _convert(key, env[name], f"${name}")
            origin[key] = f"${name}"
    _check_values(values, origin)
    return values


def _check_values(values: Mapping[str, Any], origin: Mapping[str, str]) -> None:
    """Refuse an impossible value where it was set (the file or the variable), whatever command
    reads the configuration: a precision of nan set in a file is named with the file."""
    import re

    from .errors import StorylineError

    fields = {f.name for f in dataclasses.fields(Settings)}
    try:
        Settings(**{k: v for k, v in values.items() if k in fields})
    except StorylineError as exc:
        named = re.match(r"settings\.(\w+) (.*)", str(exc))
        if named is None or named.group(1) not in origin:
            raise ConfigError(str(exc)) from exc
        key, why = named.groups()
        raise ConfigError(f"{origin[key]}: {key} {why}") from exc


def make_settings(values: Mapping[str, Any], **overrides: Any) -> Settings:
    """:class:`Settings` from loaded ``values``, with the command line's ``overrides`` (those not
    None) on top; an impossible value is a :class:`ConfigError`."""
    from .errors import StorylineError

    fields = {f.name for f in dataclasses.fields(Settings)}
    chosen = {k: v for k, v in values.items() if k in fields}
    chosen.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**chosen)
    except StorylineError as exc:
        raise ConfigError(str(exc)) from exc
