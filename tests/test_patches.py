"""The registry of what this project changes inside Rasa (assistant/runtime/patches.py).

Rasa's version and every recorded source are checked, so an upgrade that changes a replaced
function, a call site or a method a subclass copies fails here, naming each target to re-check.
Installing twice changes nothing, restoring puts back Rasa's own objects, and nothing in Rasa
holds this project's code except through the registry.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from assistant.runtime import patches

ROOT = Path(__file__).resolve().parent.parent
# The project's code that runs inside the Rasa server process.
IN_RASA = ("assistant.runtime", "assistant.stores", "assistant.channels", "assistant.policies")
IN_RASA += ("assistant.nlu", "assistant.triage")


def test_rasa_is_the_version_and_every_recorded_source_is_unchanged() -> None:
    import rasa

    assert rasa.__version__ == patches.RASA_VERSION == "3.6.21"
    problems = patches.stale()
    assert not problems, "Rasa changed under the patches; re-check:\n" + "\n".join(problems)


def test_a_changed_source_is_named_with_its_replacement_and_the_test_to_rerun() -> None:
    target = "rasa.core.processor:MessageProcessor._run_action"

    def source(name: str) -> str:
        text = patches.source_of(name)
        if name == target:  # as if Rasa no longer copied the tracker first
            return text.replace("temporary_tracker = tracker.copy()", "temporary_tracker = tracker")
        return text

    [problem] = patches.stale(source=source)
    assert problem.startswith(f"{target}: source changed"), problem
    assert "assistant.runtime.speedups:run_action_without_copy" in problem
    assert "tests/test_fast_paths.py::test_actions_that_only_read_the_conversation_get_it_without_a_copy" in problem


def test_another_version_and_a_call_site_gone_are_named() -> None:
    call_site = "rasa.core.processor:MessageProcessor._load_model"

    def source(name: str) -> str:
        if name == call_site:
            raise AttributeError("type object 'MessageProcessor' has no attribute '_load_model'")
        return patches.source_of(name)

    version, gone = patches.stale(version="3.7.0", source=source)
    assert version.startswith("Rasa is 3.7.0, the registry was checked against 3.6.21")
    assert gone.startswith(f"{call_site}: not found (AttributeError")
    assert "assistant.runtime.graph_runner:SequentialGraphRunner relies on it" in gone


def attribute(target: str) -> Any:
    """The target as its module or class holds it (a static method as the staticmethod), or None."""
    module, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    return vars(owner).get(name)


def test_install_is_idempotent_and_restore_puts_rasas_own_objects_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDOFF_TIMEOUT_MINUTES", raising=False)
    targets = [patch.target for patch in patches.PATCHES]
    rasas = {target: attribute(target) for target in targets}
    with patches.installed():
        first = {target: attribute(target) for target in targets}
        patches.install()
        assert all(attribute(target) is first[target] for target in targets)  # not wrapped twice
        assert all(patches.is_installed(target) for target in targets)
        replaced = {target for target in targets if first[target] is not rasas[target]}
        # Every one; `train_utils` only when Rasa has not imported it yet (a test process has).
        assert replaced >= set(targets) - {patches.TRAIN_UTILS}
    assert all(attribute(target) is rasas[target] for target in targets)
    assert not any(patches.is_installed(target) for target in targets)


def test_unknown_targets_are_refused() -> None:
    with pytest.raises(KeyError, match="not in the registry"):
        patches.install("rasa.core.processor:MessageProcessor.no_such_method")


def ours(value: Any) -> bool:
    value = getattr(value, "__func__", value)  # a static or class method: its function
    if isinstance(value, types.ModuleType):
        return type(value).__module__.startswith("assistant.")  # e.g. a deferred module
    module = getattr(value, "__module__", None) if isinstance(value, type | types.FunctionType) else None
    return isinstance(module, str) and module.startswith("assistant.")


def replaced_in_rasa() -> set[str]:
    """Attributes of Rasa's modules, and of the classes defined in them, that are this project's code."""
    found = set()
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or not (name == "rasa" or name.startswith("rasa.")):
            continue
        for attr, value in list(vars(module).items()):
            if ours(value):
                found.add(f"{name}:{attr}")
            if isinstance(value, type) and value.__module__ == name:
                members = vars(value).items()
                found.update(f"{name}:{value.__qualname__}.{member}" for member, raw in members if ours(raw))
    return found


def test_nothing_in_rasa_is_replaced_outside_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDOFF_TIMEOUT_MINUTES", raising=False)
    for package in IN_RASA:
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
            importlib.import_module(info.name)
    assert replaced_in_rasa() == set(), "importing the project's code must replace nothing in Rasa"
    targets = {patch.target for patch in patches.PATCHES}
    with patches.installed():
        assert targets - {patches.TRAIN_UTILS} <= replaced_in_rasa() <= targets
    assert replaced_in_rasa() == set()


def test_every_entry_names_a_test_that_exists_and_the_docs_list_them_all() -> None:
    for entry in (*patches.PATCHES, *patches.RELIED):
        path, _, name = entry.proof.partition("::")
        assert re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M), entry.proof
    docs = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert patches.table() in docs, "docs/performance.md: paste `python -m assistant.runtime.patches --table`"
