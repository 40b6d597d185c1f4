"""Throwaway PostgreSQL and Redis servers on loopback for tests and benchmarks.

    with services.postgres() as pg:  # pg.url: postgresql://clinic:<password>@127.0.0.1:<port>/clinic
        ...
    with services.redis() as rd:  # rd.url: redis://127.0.0.1:<port>/0
        ...

Each server gets a free loopback port and its own directory under /tmp, both gone
when the block ends (also when it raised or on Ctrl-C). `stop()` and `start()`
inside the block take the server away and bring it back on the same port (and,
for PostgreSQL, the same data). Missing servers are installed from Debian's
packages by tools/install_services.sh.

Manual use: `python -m tools.services postgres` (or `redis`) prints the URL and
keeps the server until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tools.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "tools" / "install_services.sh"
PG_USER = "clinic"  # the superuser in the throwaway cluster
PG_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    # Nothing here has to survive a crash of the machine: skip the disk syncs.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class ServiceError(RuntimeError):
    """A server could not be installed, started or stopped; the message says why."""


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log at {path})"


def _install(what: str) -> None:
    """Install Debian's package for `what` ("postgresql" or "redis"); raises with the packages to install."""
    result = subprocess.run(
        [str(INSTALL), what], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if result.returncode != 0:
        raise ServiceError(result.stderr.strip() or f"{INSTALL} {what} failed with code {result.returncode}")


def _postgres_bin_dir() -> Path | None:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).resolve().parent / "initdb").exists():
        return Path(on_path).resolve().parent
    return None


def postgres_bin_dir() -> Path:
    """The newest PostgreSQL's binaries, installing the Debian package `postgresql` if there are none."""
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        _install("postgresql")
        bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        raise ServiceError("no PostgreSQL binaries in /usr/lib/postgresql/*/bin after installing `postgresql`")
    return bin_dir


def redis_binary() -> Path:
    """redis-server, installing the Debian package `redis-server` if it is missing."""
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if found is None:
        _install("redis")
        found = shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if found is None:
        raise ServiceError("redis-server is still missing after installing the Debian package `redis-server`")
    return Path(found)


@dataclass
class PostgresServer:
    """One throwaway cluster: its directory holds the data, the socket and the log."""

    bin_dir: Path
    base: Path
    database: str
    port: int
    password: str = field(repr=False)
    run_as: list[str] = field(default_factory=list)  # runuser prefix when we are root (postgres refuses root)

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "postgres.log"

    @property
    def url(self) -> str:
        database = urllib.parse.quote(self.database, safe="")
        return f"postgresql://{PG_USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        command = [*self.run_as, str(self.bin_dir / program), *args]
        # Own session: Ctrl-C reaches Python only, which then stops the server in order.
        with subprocess.Popen(
            command,
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        ) as proc:
            try:
                output, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise
            except BaseException:
                # Ctrl-C: let pg_ctl finish rather than kill it half-way, so that a server it was
                # starting is up (and seen by stop()) instead of appearing after the cleanup.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.communicate(timeout=timeout)
                proc.kill()
                raise
        return subprocess.CompletedProcess(command, proc.returncode, output)

    def init(self) -> None:
        """initdb with password (SCRAM) authentication, then the loopback-only, no-fsync settings."""
        pwfile = self.base / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.password + "\n")
        _chown_like(pwfile, self.base)
        try:
            result = self._run(
                "initdb",
                "--pgdata",
                str(self.data_dir),
                "--username",
                PG_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise ServiceError(f"initdb failed with code {result.returncode}:\n{result.stdout.strip()}")
        settings = {**PG_SETTINGS, "port": str(self.port), "unix_socket_directories": f"'{self.data_dir}'"}
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# tools/services.py: throwaway server on loopback\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _pid(self) -> int | None:
        """The postmaster's pid while one runs on this data directory."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    @property
    def running(self) -> bool:
        return self._pid() is not None

    def start(self, timeout: float = 30.0) -> None:
        """Start (or restart) the server on its data directory and port; waits until it accepts connections."""
        if self.running:
            return
        wait = str(max(1, round(timeout)))
        try:
            result = self._run(
                "pg_ctl", "--pgdata", str(self.data_dir), "--log", str(self.log), "-w", "-t", wait, "start",
                timeout=timeout + 15,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ServiceError(
                f"PostgreSQL did not start within {timeout:.0f} s; last lines of {self.log}:\n{_tail(self.log)}"
            ) from None
        if result.returncode != 0:
            raise ServiceError(
                f"PostgreSQL did not start on 127.0.0.1:{self.port} ({result.stdout.strip()}); "
                f"last lines of {self.log}:\n{_tail(self.log)}"
            )

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (clients disconnected, no data lost); immediate, then SIGKILL, if that hangs."""
        for mode in ("fast", "immediate"):
            if not self.running:
                return
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._run(
                    "pg_ctl", "--pgdata", str(self.data_dir), "-m", mode, "-w", "-t", str(max(1, round(timeout))),
                    "stop", timeout=timeout + 15,
                )  # fmt: skip
        pid = self._pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10.0)

    def create_database(self) -> None:
        if self.database == "postgres":
            return
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, password=self.password, dbname="postgres"
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        finally:
            conn.close()


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _chown_like(path: Path, like: Path) -> None:
    stat = like.stat()
    if (path.stat().st_uid, path.stat().st_gid) != (stat.st_uid, stat.st_gid):
        os.chown(path, stat.st_uid, stat.st_gid)


def _postgres_base() -> tuple[Path, list[str]]:
    """A new directory the server's OS user owns, and the prefix that runs commands as that user."""
    if os.geteuid() != 0:
        return Path(tempfile.mkdtemp(prefix="clinic-pg-")), []
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise ServiceError("PostgreSQL refuses to run as root and there is no `postgres` user to run it as") from None
    if shutil.which("runuser") is None:
        raise ServiceError("runuser (Debian package util-linux) is needed to run PostgreSQL as `postgres`")
    # Under /tmp (not $TMPDIR, which may be a root-only directory) so that `postgres` can reach it.
    base = Path(tempfile.mkdtemp(prefix="clinic-pg-", dir="/tmp"))
    os.chown(base, user.pw_uid, user.pw_gid)
    return base, ["runuser", "-u", "postgres", "--"]


@contextmanager
def _removed_afterwards(server: PostgresServer | RedisServer, base: Path) -> Iterator[None]:
    """Stopped and its directory gone when the block ends, however it ends."""
    try:
        yield
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)


@contextmanager
def postgres(database: str = "clinic", timeout: float = 30.0) -> Iterator[PostgresServer]:
    """A new PostgreSQL cluster on a free loopback port with `database` created; removed afterwards."""
    bin_dir = postgres_bin_dir()
    base, run_as = _postgres_base()
    server = PostgresServer(
        bin_dir=bin_dir,
        base=base,
        database=database,
        port=free_port(),
        password=secrets.token_urlsafe(18),
        run_as=run_as,
    )
    with _removed_afterwards(server, base):
        server.init()
        server.start(timeout)
        server.create_database()
        yield server


@dataclass
class RedisServer:
    """One throwaway Redis: no persistence, its log in its own directory."""

    binary: Path
    base: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.base / "redis.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart, empty) the server on its port; waits until it answers PING."""
        if self.running:
            return
        command = [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.base), "--daemonize", "no"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.base,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches Python only, which then stops the server
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(
                    f"redis-server exited with code {self.process.returncode}; "
                    f"last lines of {self.log}:\n{_tail(self.log)}"
                )
            if _redis_ping(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise ServiceError(f"Redis did not answer within {timeout:.0f} s; last lines of {self.log}:\n{_tail(self.log)}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (with `--save ""` nothing is written), SIGKILL if it does not exit in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis(timeout: float = 10.0) -> Iterator[RedisServer]:
    """A new Redis on a free loopback port; stopped and its directory removed afterwards."""
    binary = redis_binary()
    base = Path(tempfile.mkdtemp(prefix="clinic-redis-"))
    server = RedisServer(binary=binary, base=base, port=free_port())
    with _removed_afterwards(server, base):
        server.start(timeout)
        yield server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a throwaway server on loopback until Ctrl-C.")
    parser.add_argument("service", choices=["postgres", "redis"])
    parser.add_argument("--database", default="clinic", help="PostgreSQL database to create (default: clinic)")
    args = parser.parse_args(argv)

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)  # `kill` cleans up like Ctrl-C
    service = postgres(args.database) if args.service == "postgres" else redis()
    try:
        with service as server:
            print(server.url, flush=True)
            print(f"(directory {server.base}, log {server.log}; Ctrl-C stops and removes it)", file=sys.stderr)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
