"""The command line every part shares: ``python -m <package>`` and ``python -m <package> migrate``.

* ``serve`` (the default): build the app and run it under uvicorn (uvloop, httptools) on the
  settings' host and port. The app's lifespan applies migrations when ``migrate_on_start`` is set
  and loads demo data when the part has any and ``load_demo_data`` is set.
  With ``ZHDJ_<PART>_WORKERS`` above 1, that one-time work runs once in this process, which then
  supervises that many worker processes serving the same socket (see :func:`_serve_workers`).
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
import asyncio
import ctypes
import errno
import functools
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import uvicorn
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from zhdj_shared.lifespan import ChildLifespan, LifespanError
from zhdj_shared.migrations import upgrade
from zhdj_shared.observability import configure_logging
from zhdj_shared.settings import ServiceSettings, StartupWork

S = TypeVar("S", bound=ServiceSettings)

# A clean stop lets in-flight requests finish, but not forever (Kubernetes sends SIGKILL at 30 s).
GRACEFUL_SHUTDOWN_SECONDS = 20
EXIT_FAILURE = 1
PR_SET_PDEATHSIG = 1  # <sys/prctl.h>


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
    try:
        if settings.workers > 1:
            _serve_workers(settings, create_app, package, sock)
        else:
            _serve_here(settings, create_app, package, sock)
    finally:
        sock.close()


def _config(app: Any, settings: ServiceSettings, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,  # the app configured JSON logging (with request ids) already
        access_log=False,  # the request-context middleware writes the access log
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **extra,
    )


def _serve_here(
    settings: S, create_app: Callable[[S], ASGIApp], package: str, sock: socket.socket
) -> None:
    """One process: the app's lifespan does the one-time work, then this process serves."""
    server = uvicorn.Server(_config(FreezeHeapAfterStartup(create_app(settings)), settings))
    logging.getLogger(package).info(
        f"{package} listening on http://{settings.host}:{settings.port}"
    )
    server.run(sockets=[sock])
    if not server.started:  # the lifespan failed (migrations, demo data...): already logged
        _fail(f"{package}: startup failed, see the log above")


def _serve_workers(
    settings: S, create_app: Callable[[S], ASGIApp], package: str, sock: socket.socket
) -> None:
    """``settings.workers`` processes on the one socket, under uvicorn's supervisor.

    The one-time work (migrations, demo data, seeds) runs here first, once: the workers must
    not race each other to create the same tables and rows. Each worker then builds its own
    app (its own database pool, background loops and metrics) from a copy of these settings.
    SIGTERM (or SIGINT) to this process stops every worker the same way, each draining its
    in-flight requests; a worker that dies is replaced; one that fails to start stops all.
    """
    log = logging.getLogger(package)
    setup_app = create_app(settings.for_startup(StartupWork.SETUP_ONLY))
    try:
        asyncio.run(_run_setup(setup_app))
    except LifespanError as exc:
        log.error("startup failed: %s", exc)  # Starlette's message is the traceback
        _fail(f"{package}: startup failed, see the log above")
    del setup_app
    factory = functools.partial(
        _worker_app, create_app, settings.for_startup(StartupWork.SERVE_ONLY), os.getpid()
    )
    config = _config(factory, settings, factory=True, workers=settings.workers)
    supervisor = _Supervisor(config, sockets=[sock])
    log.info(
        f"{package} listening on http://{settings.host}:{settings.port} "
        f"with {settings.workers} worker processes"
    )
    supervisor.run()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        _fail(f"{package}: a worker failed to start, see the log above")


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, but a stop closes the parent's copy of the socket first.

    The parent keeps the listening socket to start replacements of dead workers; left open
    while the workers drain, it would take new connections into its backlog that no process
    ever answers. Closed, they are refused at once, as with one process.
    """

    def _stop_listening(self) -> None:
        for sock in self.sockets:
            sock.close()

    def handle_int(self) -> None:
        self._stop_listening()
        super().handle_int()

    def handle_term(self) -> None:
        self._stop_listening()
        super().handle_term()


async def _run_setup(app: ASGIApp) -> None:
    """The app's start-up (the one-time work only, see ``StartupWork``), then its shutdown."""
    lifespan = ChildLifespan(app)
    await lifespan.startup({})
    await lifespan.shutdown()


def _worker_app(create_app: Callable[[S], ASGIApp], settings: S, parent: int) -> ASGIApp:
    """Run in each worker process (uvicorn's ``factory``): its own app."""
    _stop_with_parent(parent)
    return FreezeHeapAfterStartup(create_app(settings))


def _stop_with_parent(parent: int) -> None:
    """A worker leaves the terminal's process group and is sent SIGTERM if its parent dies.

    Why: Ctrl-C reaches the whole foreground group; the workers would get SIGINT from the
    terminal and then SIGTERM from their parent, and uvicorn takes a second signal as "stop
    now", cutting the in-flight requests. Alone in its group a worker gets only its parent's
    SIGTERM. And a parent killed with SIGKILL would otherwise leave its workers serving.
    """
    os.setpgrp()
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


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
