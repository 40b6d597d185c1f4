"""The deployment files: the container entry point's roles and health check, and the static checks
of the Dockerfile and compose file (tools/check_deploy.py), which must catch each kind of mistake."""

from __future__ import annotations

import http.server
import shutil
import threading
from pathlib import Path

import pytest

from assistant.runtime import container
from assistant.settings import settings
from tests.conftest import ROOT
from tools import check_deploy, servers

FILES = [
    "Dockerfile",
    "docker-compose.yml",
    "README.md",
    "credentials.yml",
    "package.json",
    "package-lock.json",
    "requirements.lock",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_projects_files_pass(project: Path) -> None:
    assert check_deploy.check_compose(project) == []
    assert check_deploy.check_dockerfile(project) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "docker-compose.yml",
            "      redis:\n        condition",
            "      cache:\n        condition",
            "depends on 'cache'",
        ),
        ("docker-compose.yml", 'command: ["staff"]', 'command: ["admin"]', "runs role 'admin'"),
        ("docker-compose.yml", "    RETENTION_DAYS:", "    RETENTION_WEEKS:", "sets RETENTION_WEEKS"),
        ("docker-compose.yml", "${RASA_TOKEN:?", "${RASA_SECRET:?", "uses ${RASA_SECRET}"),
        ("docker-compose.yml", "postgres-data:/var", "pgdata:/var", "volume 'pgdata'"),
        ("docker-compose.yml", "./deploy/nginx.conf", "./deploy/proxy.conf", "mounts ./deploy/proxy.conf"),
        ("deploy/env.example", "RETENTION_DAYS=365", "RETENTION_DAYS=365\nUNUSED=1", "lists UNUSED"),
        ("deploy/nginx.conf", "server rasa:5005;", "server chat:5005;", "balances onto 'chat'"),
        ("docker-compose.yml", "services:", "services: [", "does not parse"),
    ],
)
def test_each_kind_of_compose_mistake_is_caught(project: Path, file: str, old: str, new: str, expected: str) -> None:
    edit(project / file, old, new)
    assert any(expected in problem for problem in check_deploy.check_compose(project))


def test_dockerfile_mistakes_are_caught(project: Path) -> None:
    edit(project / "Dockerfile", "USER 10001:10001", "USER clinic")
    edit(project / "Dockerfile", "COPY requirements.lock", "COPY requirements.txt")
    problems = check_deploy.check_dockerfile(project)
    assert any("DL3066" in problem for problem in problems)  # hadolint ran and complained
    assert any("copies requirements.txt" in problem for problem in problems)


def test_container_roles_and_their_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def setenv(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        settings.cache_clear()  # a container reads its settings once; each step here is a new start

    setenv("RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("WEB_PORT", raising=False)
    assert container.command("actions")[-4:] == ["--actions", "actions", "--port", "5055"]
    assert container.command("staff")[-2:] == ["assistant.staff", "serve"]
    setenv("MODEL", str(tmp_path / "missing.tar.gz"))
    with pytest.raises(container.ContainerError, match="is not a file"):
        container.command("rasa")
    setenv("WEB_PORT", "eighty")
    with pytest.raises(container.ContainerError, match="WEB_PORT must be a port number"):
        container.command("website")
    assert container.main(["dance"]) == 2
    # health: no role yet -> unhealthy; a role whose server answers -> healthy.
    setenv("WEB_PORT", str(servers.free_port()))
    assert container.main(["health"]) == 1
    (tmp_path / "role").write_text("website")
    assert container.main(["health"]) == 1  # nothing listening
    handler = type("Widget", (http.server.BaseHTTPRequestHandler,), {"do_GET": _widget, "log_message": _quiet})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        setenv("WEB_PORT", str(server.server_address[1]))
        assert container.main(["health"]) == 0
        server.shutdown()
    settings.cache_clear()


def _widget(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(200 if handler.path == "/widget/widget.js" else 404)
    handler.end_headers()


def _quiet(*_: object) -> None:
    pass
