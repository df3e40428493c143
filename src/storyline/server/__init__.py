"""``storyline serve``: a local web app and JSON API over one store (the ``serve`` extra: FastAPI
and uvicorn).

:func:`create_app` builds the app (:mod:`.app`); :func:`serve` runs it, on loopback unless a
token guards it (:func:`check_binding`). Imported on first use: ``import storyline`` stays light.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, require_extra
from ..settings import DEFAULT_SETTINGS, Settings
from .app import MAX_BODY, check_store, check_token, create_app, is_loopback

if TYPE_CHECKING:
    from ..types import Embedder

#: where the server listens unless told otherwise: this machine only
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def check_port(host: str, port: int) -> None:
    """Refuse at once when nothing can listen at ``host``:``port`` (another server holds it, or the
    address is not this machine's), instead of announcing the server and failing after. The probe
    binds as uvicorn does: an IPv6 socket for an address with a colon, else an IPv4 one."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            taken = exc.errno in (errno.EADDRINUSE, errno.EACCES)
            raise ConfigError(
                f"cannot listen at {host}:{port}: {exc.strerror or exc}"
                + ("; give another --port (or stop what holds this one)" if taken else "")
            ) from exc


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token: the store's articles and the POST
    route would be open to anyone who can reach the port."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"the server would listen on {host!r}, beyond this machine, with no token: give --token "
            "(or $STORYLINE_TOKEN) so that only clients that know it are served, or listen on 127.0.0.1"
        )
    if token is not None:
        check_token(token)


def serve(
    db: str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    embedder: Embedder | None = None,
    read_only: bool = False,
) -> None:
    """Serve the store at ``db`` until interrupted (see :func:`create_app`)."""
    check_binding(host, token)
    check_port(host, port)
    uvicorn = require_extra("uvicorn", "serve")
    app = create_app(db, settings=settings, token=token, embedder=embedder, read_only=read_only)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "MAX_BODY",
    "check_binding",
    "check_port",
    "check_store",
    "check_token",
    "create_app",
    "is_loopback",
    "serve",
]
