"""Start and stop the action server and the Rasa server as child processes.

Shared by the launcher (`make run`, `make shell`), the end-to-end tests and the
benchmark, so all three run the servers exactly the same way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent

sys.path.insert(0, str(ROOT))
from assistant.channels import credentials  # noqa: E402
from assistant.settings import Settings, SettingsError, settings  # noqa: E402


class ServerError(RuntimeError):
    """A server did not start; the message says which and where its log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment() -> Settings:
    try:
        return settings()
    except SettingsError as exc:
        raise ServerError(str(exc)) from None


def ensure_port_free(port: int, variable: str) -> None:
    """A clear message instead of a server that dies with 'address in use'."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise ServerError(f"port {port} is already in use; stop what uses it or set {variable}") from None


def runtime_token(path: Path = VAR / "rasa_token") -> tuple[str, Path | None]:
    """RASA_TOKEN from the environment, else one generated once and kept in var/."""
    token = environment().secret("rasa_token")
    if token:
        return token, None
    if path.exists() and path.read_text().strip():
        return path.read_text().strip(), path
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token, path


@dataclass
class Stack:
    """Ports, token, database and logs of one running pair of servers."""

    model: Path
    rasa_port: int
    actions_port: int
    web_port: int
    staff_port: int
    token: str
    database_url: str
    log_dir: Path
    interface: str = "127.0.0.1"
    # Plain `rasa run` (no assistant.runtime.speedups): the benchmark's stock baseline.
    stock_server: bool = False
    token_file: Path | None = None  # where a generated token is kept (None: from RASA_TOKEN)
    lock_store_url: str = ""  # empty: in-memory locks (one Rasa process); redis://... to share conversations
    workers: str = "1"  # SANIC_WORKERS: Rasa server processes on one port (more than 1 needs lock_store_url)
    channels: list[str] = field(default_factory=list)  # enabled when the Rasa server started
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def staff_url(self) -> str:
        return f"http://127.0.0.1:{self.staff_port}"

    @property
    def public_rasa_url(self) -> str:
        """Where browsers reach the Rasa server (RASA_PUBLIC_URL behind a proxy)."""
        return environment().rasa_public_url or self.url

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            ACTIONS_PORT=str(self.actions_port),
            ACTION_ENDPOINT_URL=f"{self.actions_url}/webhook",
            LOCK_STORE_URL=self.lock_store_url,
            SANIC_WORKERS=self.workers,
            RASA_TOKEN=self.token,
            DATABASE_URL=self.database_url,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
            TF_CPP_MIN_LOG_LEVEL="2",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            # Rasa's telemetry and its error reports (tracebacks can hold patient text) never leave the clinic.
            RASA_TELEMETRY_ENABLED="false",
            # Rasa 3.6's own dependencies warn about their deprecations on every start.
            PYTHONWARNINGS="ignore::DeprecationWarning",
        )
        return env


def default_stack(model: Path) -> Stack:
    """The servers as `make run` starts them: every setting from the environment, checked first."""
    env = environment()
    VAR.mkdir(parents=True, exist_ok=True)
    token, token_file = runtime_token()
    return Stack(
        model=model,
        rasa_port=env.rasa_port,
        actions_port=env.actions_port,
        web_port=env.web_port,
        staff_port=env.staff_port,
        token=token,
        database_url=env.database_url,
        log_dir=VAR / "log",
        interface=env.rasa_interface,
        token_file=token_file,
        lock_store_url=env.lock_store_url,
        workers=str(env.sanic_workers),
    )


def loopback_stack(model: Path, folder: Path, stock_server: bool = False) -> Stack:
    """Throwaway servers for tests and benchmarks: free ports, a new token,
    SQLite and logs in `folder`."""
    return Stack(
        model=model,
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        staff_port=free_port(),
        token=secrets.token_urlsafe(16),
        database_url=f"sqlite:///{folder / 'rasa.db'}",
        log_dir=folder / "log",
        stock_server=stock_server,
    )


def _spawn(stack: Stack, name: str, cmd: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    log = open(stack.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed by stop())
    stack.logs.append(log)
    # Own process group: Ctrl-C in the terminal reaches the launcher only, which
    # then stops the children in order instead of all dying mid-write.
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=stack.env() | (extra_env or {}),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack.processes.append(proc)
    return proc


def start_actions(stack: Stack) -> subprocess.Popen:
    return _spawn(
        stack,
        "actions",
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(stack.actions_port)],
    )


def start_rasa(stack: Stack) -> subprocess.Popen:
    # Beside the logs: var/credentials.yml for `make run`, the test's own folder for tests.
    credentials_file = stack.log_dir.parent / "credentials.yml"
    try:
        stack.channels = credentials.write_credentials(credentials_file, stack.env())
    except credentials.ChannelError as exc:
        raise ServerError(str(exc)) from None
    if stack.stock_server:
        # The token is on the command line here, as stock Rasa takes it; benchmark only.
        launcher = [str(BIN / "rasa"), "run", "--enable-api", f"--auth-token={stack.token}"]
    else:
        launcher = [str(BIN / "python"), "-m", "assistant.runtime.serve"]
    return _spawn(
        stack,
        "rasa",
        [
            *launcher,
            "--model",
            str(stack.model),
            "--port",
            str(stack.rasa_port),
            "--interface",
            stack.interface,
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            str(credentials_file),
        ],
    )


def start_website(stack: Stack) -> subprocess.Popen:
    command = [str(BIN / "python"), "-m", "assistant.website", "--host", stack.interface]
    command += ["--port", str(stack.web_port), "--rasa-url", stack.public_rasa_url]
    return _spawn(stack, "website", command)


def start_website_ready(stack: Stack, timeout: float = 60.0) -> float:
    proc = start_website(stack)
    return wait_ready(stack, proc, f"{stack.web_url}/widget/widget.js", "website", timeout)


def start_staff(stack: Stack) -> subprocess.Popen:
    """The staff console; on loopback unless STAFF_HOST says otherwise (it holds health information)."""
    env = {"STAFF_PORT": str(stack.staff_port), "RASA_URL": stack.url}
    return _spawn(stack, "staff", [str(BIN / "python"), "-m", "assistant.staff", "serve"], env)


def start_staff_ready(stack: Stack, timeout: float = 60.0) -> float:
    proc = start_staff(stack)
    return wait_ready(stack, proc, f"{stack.staff_url}/login", "staff console", timeout, log="staff")


def _get(url: str, timeout: float = 2.0) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.read() if response.status == 200 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def wait_ready(
    stack: Stack, proc: subprocess.Popen, url: str, name: str, timeout: float, log: str | None = None
) -> float:
    """Seconds until `url` answers 200; a clear error if the process dies or times out.
    `log`: the name it was spawned under (its log file), when `name` is a longer one for people."""
    started = time.monotonic()
    log_file = stack.log_dir / f"{log or name}.log"
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise ServerError(f"the {name} exited with code {proc.returncode}; see {log_file}")
        if _get(url) is not None:
            return time.monotonic() - started
        time.sleep(0.1)
    raise ServerError(f"the {name} was not ready after {timeout:.0f} s; see {log_file}")


def stop(stack: Stack, timeout: float = 15.0) -> None:
    """SIGTERM each child's group, then SIGKILL what is still running."""
    for proc in reversed(stack.processes):
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in stack.processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for log in stack.logs:
        log.close()
    stack.processes.clear()
    stack.logs.clear()


def start_actions_ready(stack: Stack, timeout: float = 120.0) -> float:
    proc = start_actions(stack)
    return wait_ready(stack, proc, f"{stack.actions_url}/health", "actions", timeout)


def start_rasa_ready(stack: Stack, timeout: float = 300.0) -> float:
    proc = start_rasa(stack)
    return wait_ready(stack, proc, f"{stack.url}/status?token={stack.token}", "rasa", timeout)


@contextmanager
def running(stack: Stack, timeout: float = 300.0, staff: bool = False) -> Iterator[Stack]:
    """The servers up for the duration of the block (with the staff console if asked), stopped afterwards."""
    try:
        start_actions_ready(stack, timeout)
        start_rasa_ready(stack, timeout)
        start_website_ready(stack, timeout)
        if staff:
            start_staff_ready(stack, timeout)
        yield stack
    finally:
        stop(stack)
