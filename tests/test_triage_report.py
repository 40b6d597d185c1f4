"""tools.triage_report: one set's figures with its first pass, and every set's summary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools import triage_report


def write_set(path: Path) -> None:
    messages = [
        {
            "text": "I wet myself this morning and didn't notice",
            "severity": "emergency",
            "category": "sciatica_emergency",
        },
        {
            "text": "near misses getting to the loo this week",
            "severity": "emergency",
            "borderline": True,
            "category": "sciatica_emergency",
        },
        {"text": "I keep thinking about ending my life", "severity": "emergency", "category": "crisis"},
        {"text": "what is sciatica?", "severity": "none", "category": "ordinary"},
        {"text": "this pain is killing me", "severity": "none", "category": "idiom"},
        {"text": "I had breast cancer three years ago", "severity": "urgent", "category": "urgent"},
    ]
    path.write_text(yaml.safe_dump({"messages": messages}))


def test_one_set_prints_its_figures_and_first_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    labelled = tmp_path / "blindX_messages.yml"
    write_set(labelled)
    first = tmp_path / "first_pass.yml"
    first.write_text(
        yaml.safe_dump(
            {labelled.name: {"date": "2026-12-04", "emergency": "1/3", "urgent": "0/1", "false_alarms": "1/2"}}
        )
    )
    monkeypatch.setattr(triage_report, "FIRST_PASS", first)
    assert triage_report.main([str(labelled)]) == 0
    out = capsys.readouterr().out
    assert "emergency 2/3 (+1 asked), crisis answer 1/1, urgent 1/1, false alarms 0/2" in out
    assert "first pass: emergency 1/3, urgent 0/1, false alarms 1/2 (2026-12-04)" in out
    assert "detector time p50" in out


def test_the_summary_lists_every_set_with_its_first_pass_or_says_there_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    write_set(tmp_path / "blindX_messages.yml")
    write_set(tmp_path / "written_messages.yml")
    (tmp_path / "first_pass.yml").write_text(
        yaml.safe_dump(
            {"blindX_messages.yml": {"date": "2026-12-04", "emergency": "1/3", "urgent": "0/1", "false_alarms": "1/2"}}
        )
    )
    monkeypatch.setattr(triage_report, "SETS", tmp_path)
    monkeypatch.setattr(triage_report, "FIRST_PASS", tmp_path / "first_pass.yml")
    assert triage_report.main([]) == 0
    out = capsys.readouterr().out
    assert "blindX_messages.yml (6 messages)\n  first pass: emergency 1/3" in out
    assert "written_messages.yml (6 messages)\n  first pass: none recorded (not written blind)" in out


def test_a_missing_set_is_a_clear_error(capsys: pytest.CaptureFixture) -> None:
    assert triage_report.main(["no/such/set.yml"]) == 2
    assert "no such labelled set" in capsys.readouterr().err


def test_every_blind_set_has_its_first_pass_recorded() -> None:
    recorded = triage_report.first_pass()
    blind = [p.name for p in triage_report.labelled_sets() if p.name.startswith("blind")]
    assert set(blind) <= set(recorded)
    assert all((triage_report.SETS / name).is_file() for name in recorded)  # the held-back set is in next/
