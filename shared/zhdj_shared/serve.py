"""The command line every part shares: ``python -m <package>`` and ``python -m <package> migrate``.

* ``serve`` (the default): build the app and run it under uvicorn (uvloop, httptools) on the
  settings' host and port. The app's lifespan applies migrations when ``migrate_on_start`` is set
  and loads demo data when the part has any and ``load_demo_data`` is set.
* ``migrate``: apply the part's migrations and exit (what the Kubernetes Job runs, once per
  release, with ``migrate_on_start`` off in the replicas).

A port already in use is a one-line error naming the variable to change, and exit status 1; a
failed startup (migrations, demo data) is logged and exits with uvicorn's status 3.
Each part's ``__main__.py`` is three lines::

    from zhdj_shared.serve import main
    main(sys.argv[1:], settings=ActivitySettings(), create_app=create_app,
         migrations_dir=MIGRATIONS_DIR)
"""

from __future__ import annotations

import argparse
import errno
import gc
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

import uvicorn
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhdj_shared.migrations import upgrade
from zhdj_shared.observability import configure_logging
from zhdj_shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

# A clean stop lets in-flight requests finish, but not forever (Kubernetes sends SIGKILL at 30 s).
GRACEFUL_SHUTDOWN_SECONDS = 20
EXIT_FAILURE = 1


def main(
    argv: Sequence[str] | None,
    *,
    settings: S,
    create_app: Callable[[S], ASGIApp],
    migrations_dir: Path,
    prog: str | None = None,
) -> None:
    """Run the part's command line; exits the process with a non-zero status on failure."""
    package = prog or create_app.__module__.split(".")[0]
    parser = argparse.ArgumentParser(
        prog=f"python -m {package}",
        description=f"{package}: serve the API (default) or apply the database migrations.",
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=("serve", "migrate"),
        help="serve: run the HTTP server (default); migrate: apply migrations and exit",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "migrate":
        migrate(settings, migrations_dir, package)
    else:
        serve(settings, create_app, package)


def migrate(settings: ServiceSettings, migrations_dir: Path, package: str) -> None:
    platform = settings.platform
    configure_logging(platform.log_level, json_lines=platform.log_json)
    url = settings.resolved_database_url()
    upgrade(migrations_dir, url)
    logging.getLogger(package).info(
        "migrations applied", extra={"fields": {"database": _display_url(url)}}
    )


def serve(settings: S, create_app: Callable[[S], ASGIApp], package: str) -> None:
    # Bind before building the app: a taken port fails fast, before migrations or demo data,
    # and the socket handed to uvicorn leaves no window for another process to take it.
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        env_var = f"{settings.model_config.get('env_prefix', '')}PORT"
        reason = (
            "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror or exc})"
        )
        _fail(
            f"{package}: port {settings.port} on {settings.host} {reason}; "
            f"stop what is using it or set {env_var} to a free port"
        )
    app = create_app(settings)
    config = uvicorn.Config(
        FreezeHeapAfterStartup(app),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,  # the app configured JSON logging (with request ids) already
        access_log=False,  # the request-context middleware writes the access log
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = uvicorn.Server(config)
    logging.getLogger(package).info(
        f"{package} listening on http://{settings.host}:{settings.port}"
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started:  # the lifespan failed (migrations, demo data...): already logged
        _fail(f"{package}: startup failed, see the log above")


class FreezeHeapAfterStartup:
    """Once the app's startup has completed, move every object alive then (modules, routes,
    schemas, settings, what the lifespan loaded) into the collector's permanent generation.

    Why: a process holds ~150,000 long-lived objects after start, and every full collection
    walked them all, about 30 ms during which no request moved (the gateway's p99 at half load).
    Frozen objects are never scanned again; what requests create is collected as before.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_then_freeze(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                freeze_heap()
            await send(message)

        await self.app(scope, receive, send_then_freeze)


def freeze_heap() -> None:
    """Collect what start-up left as garbage, then freeze the rest (``gc.freeze``)."""
    gc.collect()
    gc.freeze()


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; raises ``OSError`` (``EADDRINUSE``) when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Like uvicorn: reuse a port whose previous owner left connections in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _fail(message: str) -> NoReturn:
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(EXIT_FAILURE)
