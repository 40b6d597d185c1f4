"""`make lint`'s check that the locks still install what pyproject.toml asks for.

pyproject.toml is the one list of dependencies: `[project] dependencies` for the
servers and the image, `[dependency-groups] dev` for development and CI. The
locks are made from it with `uv pip compile` (README, "Dependencies"); this
check fails when a requirement was added or changed there without re-locking,
so the Dockerfile (which installs requirements.lock alone) never misses it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomli
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", re.MULTILINE)


def pins(lock: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall(lock.read_text(encoding="utf-8"))}


def problems(root: Path = ROOT) -> list[str]:
    project = tomli.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = pins(root / "requirements.lock")
    # The dev lock is compiled with -c requirements.lock: together they are what a developer has.
    wanted = [
        ("requirements.lock", project["project"]["dependencies"], runtime),
        ("requirements-dev.lock", project["dependency-groups"]["dev"], runtime | pins(root / "requirements-dev.lock")),
    ]
    found = []
    for lock, requirements, locked in wanted:
        for line in requirements:
            requirement = Requirement(line)
            version = locked.get(canonicalize_name(requirement.name))
            if version is None:
                found.append(f"{lock} has no {requirement.name} (pyproject.toml asks for {line!r}): re-lock")
            elif not requirement.specifier.contains(version, prereleases=True):
                found.append(f"{lock} pins {requirement.name}=={version}, outside {line!r} in pyproject.toml: re-lock")
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
