"""The model cache key: any change to a training input means a new model."""

from __future__ import annotations

from pathlib import Path

from tools.model import ROOT, fingerprint, input_files


def test_fingerprint_changes_with_content_and_names_only(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yml", tmp_path / "b.yml"
    a.write_text("one")
    b.write_text("two")
    first = fingerprint([a, b], tmp_path)
    assert fingerprint([a, b], tmp_path) == first
    b.write_text("two!")
    assert fingerprint([a, b], tmp_path) != first
    b.write_text("two")
    b.rename(tmp_path / "c.yml")
    assert fingerprint([a, tmp_path / "c.yml"], tmp_path) != first


def test_inputs_are_config_domain_data_own_training_code_and_safety_net_examples() -> None:
    files = input_files(ROOT / "config.yml")
    assert files[:2] == [ROOT / "config.yml", ROOT / "domain.yml"]
    assert ROOT / "data" / "responses" / "clinic.yml" in files
    assert ROOT / "data" / "responses" / "clinic.yml.j2" in files
    assert ROOT / "assistant" / "triage" / "component.py" in files
    assert ROOT / "assistant" / "triage" / "screening_training.yml" in files
    # The labelled sets the safety net learns from (never the held-back ones in tests/triage/next/).
    sets = ROOT / "tests" / "triage"
    assert sets / "blind9_messages.yml" in files
    assert not any(p.is_relative_to(sets / "next") for p in files)
    assert all(
        p.is_relative_to(ROOT / "data") or p.is_relative_to(ROOT / "assistant") or p.parent == sets for p in files[2:]
    )


def test_a_config_of_rasas_components_only_does_not_depend_on_our_code() -> None:
    """The benchmark's baseline model is not retrained (15 minutes) when our components change."""
    files = input_files(ROOT / "bench" / "configs" / "rasa-default.yml")
    assert files[:2] == [ROOT / "bench" / "configs" / "rasa-default.yml", ROOT / "domain.yml"]
    assert all(p.is_relative_to(ROOT / "data") for p in files[2:])
    no_triage = input_files(ROOT / "bench" / "configs" / "no-triage.yml")
    assert ROOT / "assistant" / "triage" / "component.py" in no_triage
