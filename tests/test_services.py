"""The throwaway PostgreSQL and Redis servers of tools/services.py, for real (installed from Debian if missing)."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

import psycopg2
import pytest
import redis

from tools import services

pytestmark = pytest.mark.services


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port and a server could listen there again."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: ignores TIME_WAIT
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])


def test_postgres_keeps_its_data_across_stop_and_start() -> None:
    with services.postgres("clinic_test") as pg:
        base, port = pg.base, pg.port
        assert pg.url == f"postgresql://clinic:{pg.password}@127.0.0.1:{port}/clinic_test"
        assert pg.data_dir.is_dir() and pg.log.is_file()
        if os.geteuid() == 0:
            assert pwd.getpwuid(pg.data_dir.stat().st_uid).pw_name == "postgres"
        pid = postmaster_pid(pg.data_dir)

        with psycopg2.connect(pg.url) as conn, conn.cursor() as cur:
            cur.execute("SHOW listen_addresses")
            assert cur.fetchone() == ("127.0.0.1",)
            cur.execute("SHOW fsync")
            assert cur.fetchone() == ("off",)
            cur.execute("CREATE TABLE notes (id int PRIMARY KEY, text text)")
            cur.execute("INSERT INTO notes VALUES (1, 'kept across a restart')")
        conn.close()
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(pg.url.replace(pg.password, "wrong"))

        pg.stop()
        assert not services._alive(pid)
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(pg.url, connect_timeout=2)

        pg.start()
        assert pg.port == port
        conn = psycopg2.connect(pg.url)
        with conn.cursor() as cur:
            cur.execute("SELECT text FROM notes WHERE id = 1")
            assert cur.fetchone() == ("kept across a restart",)
        conn.close()
        pid = postmaster_pid(pg.data_dir)

    assert not base.exists()
    assert not services._alive(pid)
    assert port_free(port)


def test_postgres_start_failure_shows_the_log() -> None:
    with services.postgres() as pg:
        pg.stop()
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", pg.port))
            squatter.listen()
            with pytest.raises(RuntimeError, match=r"(?s)did not start.*last lines of .*postgres\.log.*could not bind"):
                pg.start(timeout=10)
        pg.start()
        with psycopg2.connect(pg.url) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone() == ("clinic",)
        conn.close()
        base = pg.base
    assert not base.exists()


def test_postgres_cleans_up_when_the_body_raises() -> None:
    with pytest.raises(KeyboardInterrupt), services.postgres() as pg:
        base, port, pid = pg.base, pg.port, postmaster_pid(pg.data_dir)
        raise KeyboardInterrupt
    assert not base.exists()
    assert not services._alive(pid)
    assert port_free(port)


def test_redis_stop_and_start() -> None:
    with services.redis() as rd:
        base, port = rd.base, rd.port
        assert rd.url == f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(rd.url, socket_connect_timeout=2)
        client.set("greeting", "hello")
        assert client.get("greeting") == b"hello"
        assert client.config_get("bind") == {"bind": "127.0.0.1"}
        assert client.config_get("save") == {"save": ""}

        rd.stop()
        with pytest.raises(redis.exceptions.ConnectionError):
            client.ping()

        rd.start()
        assert rd.port == port
        assert client.ping()
        assert client.get("greeting") is None  # no persistence: a restarted Redis is empty
        client.set("greeting", "again")
        assert client.get("greeting") == b"again"
        process = rd.process
        assert process is not None
        client.close()

    assert process.poll() is not None
    assert not base.exists()
    assert port_free(port)


def test_redis_cleans_up_when_the_body_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), services.redis() as rd:
        base, port, process = rd.base, rd.port, rd.process
        raise RuntimeError("boom")
    assert process is not None and process.poll() is not None
    assert not base.exists()
    assert port_free(port)
