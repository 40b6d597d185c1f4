"""pyproject.toml is the one list of dependencies; tools/check_lock.py (make lint) fails when the
locks made from it fall behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools import check_lock


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "requirements.lock", "requirements-dev.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_locks_install_what_pyproject_asks_for() -> None:
    assert check_lock.problems(ROOT) == []
    assert not (ROOT / "requirements.in").exists() and not (ROOT / "requirements-dev.in").exists()


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("pyproject.toml", '"jinja2>=3.1",', '"jinja2>=3.1",\n    "left-pad>=1",', "requirements.lock has no left-pad"),
        ("pyproject.toml", '"dateparser==1.2.0"', '"dateparser==1.1.8"', "pins dateparser==1.2.0, outside"),
        ("pyproject.toml", '"ruff==0.8.6"', '"ruff==0.9.0"', "requirements-dev.lock pins ruff==0.8.6"),
        ("requirements.lock", "\njinja2==", "\njinja3==", "requirements.lock has no jinja2"),
    ],
)
def test_a_requirement_changed_without_relocking_is_caught(
    project: Path, file: str, old: str, new: str, expected: str
) -> None:
    edit(project / file, old, new)
    assert any(expected in problem for problem in check_lock.problems(project))
