"""Start the whole platform on one machine: ``make run`` (Ctrl-C stops everything).

The gateway and the four services run as separate processes (``python -m <package>``), each on
its own SQLite file under ``ZHDJ_DATA_DIR`` (default ``./data``), migrations applied and the demo
city loaded on first start. Ports 8000 to 8004, each overridable (``ZHDJ_GATEWAY_PORT``,
``ZHDJ_REGISTRY_PORT``...). The services' OAuth client secrets are generated once per install and
kept in ``<data dir>/secrets.json`` (mode 0600).

Only the standard library is used here, so that the script runs with any Python 3.11+; it
re-executes itself with the repository's ``.venv`` when the platform's packages are not
importable.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, NoReturn

REPO = Path(__file__).resolve().parent.parent
SECRETS_FILE = "secrets.json"
DEFAULT_START_TIMEOUT = 120.0
DEFAULT_GRACE = 10.0
LOG_TAIL_LINES = 30
LONG_LINE = 1000
PROG = "run_platform"


@dataclass(frozen=True)
class Part:
    name: str  # gateway, registry, ..., also the SQLite file name
    package: str
    default_port: int

    @property
    def env_prefix(self) -> str:
        return "ZHDJ_" + self.name.upper().replace("-", "_") + "_"

    @property
    def port_var(self) -> str:
        return self.env_prefix + "PORT"

    @property
    def host_var(self) -> str:
        return self.env_prefix + "HOST"


GATEWAY = Part("gateway", "zhdj_gateway", 8000)
SERVICES = (
    Part("registry", "zhdj_registry", 8001),
    Part("activity", "zhdj_activity", 8002),
    Part("service-requests", "zhdj_service_requests", 8003),
    Part("assessment", "zhdj_assessment", 8004),
)
PARTS = (GATEWAY, *SERVICES)


class StartupError(Exception):
    """The platform could not start; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# Configuration: ports, data folder, secrets


@dataclass(frozen=True)
class Endpoint:
    part: Part
    host: str
    port: int

    @property
    def url(self) -> str:
        # A server bound to every interface is reached locally through the loopback address.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"


def endpoints(environ: Mapping[str, str]) -> list[Endpoint]:
    result = []
    for part in PARTS:
        raw = environ.get(part.port_var, str(part.default_port))
        try:
            port = int(raw)
        except ValueError:
            port = -1
        if not 0 < port < 65536:
            raise StartupError(f"{part.port_var}={raw!r} is not a port number (1 to 65535)")
        result.append(Endpoint(part, environ.get(part.host_var, "127.0.0.1"), port))
    seen: dict[int, Endpoint] = {}
    for endpoint in result:
        other = seen.setdefault(endpoint.port, endpoint)
        if other is not endpoint:
            raise StartupError(
                f"{other.part.name} and {endpoint.part.name} are both set to port {endpoint.port}; "
                f"give one of them another port ({other.part.port_var} or {endpoint.part.port_var})"
            )
    return result


def check_ports_free(targets: list[Endpoint]) -> None:
    for endpoint in targets:
        family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # The servers set SO_REUSEADDR too: a port left in TIME_WAIT is usable.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((endpoint.host, endpoint.port))
            except OSError as exc:
                reason = (
                    "is already in use"
                    if exc.errno == errno.EADDRINUSE
                    else f"cannot be used ({exc.strerror or exc})"
                )
                raise StartupError(
                    f"port {endpoint.port} ({endpoint.part.name}, on {endpoint.host}) {reason}; "
                    f"stop what is using it or choose another port with "
                    f"{endpoint.part.port_var}=<port>"
                ) from exc


def load_or_create_secrets(data_dir: Path) -> dict[str, str]:
    """One client secret per service, generated at the first start and reused afterwards."""
    path = data_dir / SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StartupError(f"{path} is unreadable ({exc}); delete it to start over") from exc
        if not isinstance(loaded, dict):
            raise StartupError(f"{path} is not a JSON object; delete it to start over")
        stored = {str(k): str(v) for k, v in loaded.items()}
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    wanted = {part.name: stored.get(part.name) or secrets.token_urlsafe(32) for part in SERVICES}
    if wanted != stored:
        _write_private(path, json.dumps(wanted, indent=2) + "\n")
    return wanted


def _write_private(path: Path, content: str) -> None:
    """Write a file readable only by its owner, atomically (never briefly world-readable)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.replace(temporary, path)


def child_environment(
    base: Mapping[str, str],
    data_dir: Path,
    targets: list[Endpoint],
    client_secrets: Mapping[str, str],
    part: Part,
) -> dict[str, str]:
    by_name = {endpoint.part.name: endpoint for endpoint in targets}
    env = dict(base)
    env["ZHDJ_DATA_DIR"] = str(data_dir)
    env["ZHDJ_GATEWAY_URL"] = by_name[GATEWAY.name].url
    env["PYTHONUNBUFFERED"] = "1"  # lines reach the console as they are written
    for endpoint in targets:
        env[endpoint.part.port_var] = str(endpoint.port)
        env[endpoint.part.host_var] = endpoint.host
    if part is GATEWAY:
        for service in SERVICES:
            upstream = service.name.replace("-", "_").upper()
            env[f"ZHDJ_GATEWAY_{upstream}_URL"] = by_name[service.name].url
            # The gateway seeds the OAuth client svc-<name> for each secret it is given.
            env[service.env_prefix + "CLIENT_SECRET"] = client_secrets[service.name]
    else:
        for service in SERVICES:  # a service knows only its own secret
            env.pop(service.env_prefix + "CLIENT_SECRET", None)
        env[part.env_prefix + "CLIENT_ID"] = f"svc-{part.name}"
        env[part.env_prefix + "CLIENT_SECRET"] = client_secrets[part.name]
    return env


# ---------------------------------------------------------------------------------------------
# Child processes


class Console:
    """Serializes lines from several threads; prefixes each child's lines with its name."""

    COLORS = ("36", "32", "33", "35", "34")

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.color = stream.isatty() and os.environ.get("NO_COLOR") is None
        self.width = max(len(part.name) for part in PARTS)

    def prefix(self, name: str, index: int) -> str:
        label = f"[{name}]".ljust(self.width + 2)
        if self.color:
            return f"\033[{self.COLORS[index % len(self.COLORS)]}m{label}\033[0m "
        return f"{label} "

    def write(self, text: str) -> None:
        with self.lock:
            self.stream.write(text if text.endswith("\n") else text + "\n")
            self.stream.flush()

    def say(self, text: str) -> None:
        self.write(f"{PROG}: {text}")


@dataclass
class Child:
    endpoint: Endpoint
    index: int
    process: subprocess.Popen[str]
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))
    reader: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.endpoint.part.name

    def last_lines(self) -> str:
        lines = [
            line if len(line) <= LONG_LINE else "…" + line[-LONG_LINE:]  # a one-line traceback
            for line in self.tail
        ] or ["(no output)"]
        return "\n".join(f"    {line}" for line in lines)


def start_child(endpoint: Endpoint, index: int, env: dict[str, str], console: Console) -> Child:
    process = subprocess.Popen(
        [sys.executable, "-m", endpoint.part.package],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
        # Its own process group: Ctrl-C reaches only this script, which then stops each child
        # once (a second signal would make uvicorn skip its graceful shutdown).
        start_new_session=True,
    )
    child = Child(endpoint, index, process)
    prefix = console.prefix(child.name, index)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            child.tail.append(line)
            console.write(prefix + line)

    child.reader = threading.Thread(target=pump, name=f"output-{child.name}", daemon=True)
    child.reader.start()
    return child


def readyz_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:  # noqa: S310
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def wait_ready(children: list[Child], deadline: float, stop: threading.Event) -> None:
    """Until every child's ``/readyz`` answers 200; raises when one exits or time runs out."""
    pending = list(children)
    while pending:
        for child in list(pending):
            code = child.process.poll()
            if code is not None:
                _drain(child)
                raise StartupError(
                    f"{child.name} exited with status {code} during startup; its last lines:\n"
                    f"{child.last_lines()}"
                )
            if readyz_status(child.endpoint.url) == 200:
                pending.remove(child)
        if not pending:
            return
        if time.monotonic() > deadline:
            child = pending[0]
            raise StartupError(
                f"{child.name} did not become ready at {child.endpoint.url}/readyz in time "
                f"(see --start-timeout); its last lines:\n{child.last_lines()}"
            )
        if stop.wait(0.25):
            return


def _drain(child: Child) -> None:
    if child.reader is not None:
        child.reader.join(timeout=2)


def stop_children(children: list[Child], grace: float, console: Console) -> None:
    """SIGTERM to every child (services first, the gateway last), SIGKILL after ``grace``."""
    running = [c for c in reversed(children) if c.process.poll() is None]
    if running:
        console.say("stopping (SIGTERM, then SIGKILL after the grace period)")
    for child in running:
        with contextlib.suppress(ProcessLookupError):
            child.process.terminate()
    deadline = time.monotonic() + grace
    for child in running:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            console.say(f"{child.name} did not stop within {grace:g} s; killing it")
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
            child.process.wait()
    for child in children:
        _drain(child)


# ---------------------------------------------------------------------------------------------
# Main


def banner(targets: list[Endpoint], data_dir: Path, environ: Mapping[str, str]) -> str:
    gateway = targets[0].url
    lines = [
        "",
        "智慧党建 platform (smart party-building): all parts are ready.",
        f"  data folder      {data_dir}",
        f"  gateway          {gateway}   (the public entry)",
        f"  API docs         {gateway}/docs",
    ]
    lines += [f"  {e.part.name:<16} {e.url}   (direct; health at /healthz)" for e in targets[1:]]
    admin = environ.get("ZHDJ_GATEWAY_ADMIN_USERNAME", "admin")
    if environ.get("ZHDJ_ADMIN_PASSWORD") or environ.get("ZHDJ_GATEWAY_ADMIN_PASSWORD"):
        source = (
            "password from ZHDJ_ADMIN_PASSWORD\n"
            + " " * 19
            + ("(applied when the administrator is created, at the first start)")
        )
        where = '"$ZHDJ_ADMIN_PASSWORD"'
    else:
        source = (
            "password set at the first start: ZHDJ_ADMIN_PASSWORD if it\n"
            + " " * 19
            + ("was set then, else generated and printed once in the gateway's log")
        )
        where = "'<the admin password>'"
    lines += [
        f"  administrator    user {admin!r}, {source}",
        "",
        "Get a token and call the API through the gateway:",
        f"  PASSWORD={where}",
        f"  TOKEN=$(curl -s -X POST {gateway}/auth/token -d grant_type=password \\",
        f'    -d username={admin} --data-urlencode "password=$PASSWORD" \\',
        "    | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        f'  curl -s {gateway}/api/registry/organizations -H "Authorization: Bearer $TOKEN"',
        "",
        "Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def reexec_with_venv() -> None:
    """Run under the repository's .venv when the platform's packages are not importable here."""
    if importlib.util.find_spec("zhdj_shared") is not None:
        return
    venv_python = REPO / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != venv_python.parent.parent.resolve():
        os.execv(venv_python, [str(venv_python), __file__, *sys.argv[1:]])  # noqa: S606
    fail("the platform's packages are not installed; run `make run` (it installs them first)")


def fail(message: str) -> NoReturn:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(args: argparse.Namespace) -> int:
    environ = dict(os.environ)
    console = Console(sys.stdout)
    targets = endpoints(environ)
    check_ports_free(targets)
    data_dir = Path(environ.get("ZHDJ_DATA_DIR") or "data").expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    client_secrets = load_or_create_secrets(data_dir)
    for service in SERVICES:  # a secret set in the environment wins over the stored one
        client_secrets[service.name] = (
            environ.get(service.env_prefix + "CLIENT_SECRET") or client_secrets[service.name]
        )

    stop = threading.Event()
    children: list[Child] = []
    with stop_on_signals(stop):
        try:
            start_all(targets, data_dir, environ, client_secrets, children, console, stop, args)
            if not stop.is_set():
                console.write(banner(targets, data_dir, environ))
            watch(children, stop)
        except StartupError as exc:
            console.say(f"error: {exc}")
            console.say("stopping the other parts")
            return 1
        finally:  # whatever happened, no child outlives this script
            stop_children(children, args.grace, console)
        console.say("stopped")
        return 0


def start_all(
    targets: list[Endpoint],
    data_dir: Path,
    environ: Mapping[str, str],
    client_secrets: Mapping[str, str],
    children: list[Child],
    console: Console,
    stop: threading.Event,
    args: argparse.Namespace,
) -> None:
    deadline = time.monotonic() + args.start_timeout
    # The gateway first: the services fetch its JWKS (lazily) and call through it.
    for group in ([targets[0]], targets[1:]):
        started = []
        for endpoint in group:
            env = child_environment(environ, data_dir, targets, client_secrets, endpoint.part)
            console.say(f"starting {endpoint.part.name} on {endpoint.url}")
            started.append(start_child(endpoint, len(children), env, console))
            children.append(started[-1])
        wait_ready(started, deadline, stop)
        if stop.is_set():
            return


def watch(children: list[Child], stop: threading.Event) -> None:
    """Until Ctrl-C or SIGTERM; a child that dies on its own stops the platform."""
    while not stop.wait(0.5):
        for child in children:
            code = child.process.poll()
            if code is not None:
                _drain(child)
                raise StartupError(
                    f"{child.name} exited unexpectedly with status {code}; its last lines:\n"
                    f"{child.last_lines()}"
                )


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - the message is for an older interpreter
        fail("Python 3.11 or newer is required")
    parser = argparse.ArgumentParser(
        prog="python scripts/run_platform.py",
        description="Start the gateway and the four services on this machine (SQLite).",
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=DEFAULT_START_TIMEOUT,
        help="seconds to wait for every part to become ready (default %(default)s)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE,
        help="seconds a part gets to stop after SIGTERM before SIGKILL (default %(default)s)",
    )
    args = parser.parse_args()
    reexec_with_venv()
    try:
        code = run(args)
    except StartupError as exc:
        fail(str(exc))
    raise SystemExit(code)


if __name__ == "__main__":
    main()
