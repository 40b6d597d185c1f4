"""The container image's entry point: one image, the role by argument.

    docker run IMAGE rasa       # the Rasa server (5005): model from MODEL, else the one built into the image
    docker run IMAGE actions    # the action server (5055)
    docker run IMAGE website    # the website app with the widget (8080)
    docker run IMAGE staff      # the staff console (8081)
    docker run IMAGE health     # the image's HEALTHCHECK: is this container's role answering?

Settings come from the environment exactly as for `make run` (README,
"Configuration"); inside a container the servers listen on all interfaces,
and the compose file decides what is published.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from assistant.settings import Settings, SettingsError, settings

ROOT = Path(__file__).resolve().parents[2]
# Inside a container the container network is the boundary; the compose file decides what is published.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
# Each role's port setting (RASA_PORT, ...) and the path that answers 200 when it is up.
ROLES: Mapping[str, tuple[str, str]] = {
    "rasa": ("rasa_port", "/"),
    "actions": ("actions_port", "/health"),
    "website": ("web_port", "/widget/widget.js"),
    "staff": ("staff_port", "/login"),
}


class ContainerError(RuntimeError):
    """Something the container needs is missing or malformed; the message says what."""


def environment() -> Settings:
    try:
        return settings()
    except SettingsError as exc:
        raise ContainerError(str(exc)) from None


def role_file() -> Path:
    """RUNTIME_DIR/role: writable by the image's non-root user (the code under /app is not)."""
    return environment().runtime_dir / "role"


def port(role: str) -> int:
    return getattr(environment(), ROLES[role][0])


def model() -> Path:
    """MODEL (a mounted .tar.gz), else the newest model trained into the image."""
    configured = environment().model
    if configured:
        if not configured.is_file():
            raise ContainerError(f"MODEL={configured} is not a file (mount the trained model there)")
        return configured
    built = sorted((ROOT / "models").glob("clinic-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not built:
        raise ContainerError("no model in the image and MODEL is unset: build with TRAIN_MODEL=1 or mount one")
    return built[-1]


def command(role: str) -> list[str]:
    """The server process for a role (the container's main process after exec)."""
    python = sys.executable
    if role == "rasa":
        from assistant.channels import credentials

        credentials_file = environment().runtime_dir / "credentials.yml"
        try:
            credentials.write_credentials(credentials_file)
        except credentials.ChannelError as exc:
            raise ContainerError(str(exc)) from None
        return [
            python, "-m", "assistant.runtime.serve", "--model", str(model()), "--port", str(port(role)),
            "--interface", ALL_INTERFACES, "--endpoints", str(ROOT / "endpoints.yml"),
            "--credentials", str(credentials_file),
        ]  # fmt: skip
    if role == "actions":
        return [str(Path(python).parent / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port(role))]
    if role == "website":
        rasa_url = environment().public_rasa_url
        return [
            python,
            "-m",
            "assistant.website",
            "--host",
            ALL_INTERFACES,
            "--port",
            str(port(role)),
            "--rasa-url",
            rasa_url,
        ]
    if role == "staff":
        os.environ.setdefault("STAFF_HOST", ALL_INTERFACES)  # the compose file publishes it on loopback only
        return [python, "-m", "assistant.staff", "serve"]
    raise ContainerError(f"unknown role {role!r}; one of: {', '.join(ROLES)}, health")


def healthy(role: str, timeout: float = 4.0) -> bool:
    url = f"http://127.0.0.1:{port(role)}{ROLES[role][1]}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (this container only)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "rasa"
    try:
        if role == "health":
            current = role_file().read_text().strip() if role_file().exists() else ""
            return 0 if current in ROLES and healthy(current) else 1
        argv_for_role = command(role)
        role_file().parent.mkdir(parents=True, exist_ok=True)
        role_file().write_text(role)
    except ContainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    # The server becomes the container's main process, so it gets the stop signal itself.
    os.execv(argv_for_role[0], argv_for_role)  # noqa: S606 (a fixed program, no shell)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
