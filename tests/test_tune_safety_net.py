"""tools.tune_safety_net --by-set: each blind set left out of the net's training in turn."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools import tune_safety_net


def write_set(path: Path, texts: list[tuple[str, str, str]]) -> Path:
    messages = [{"text": t, "severity": s, "category": c} for t, s, c in texts]
    path.write_text(yaml.safe_dump({"messages": messages}))
    return path


def test_by_set_leaves_each_blind_set_out_and_prints_both_nets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    first = write_set(
        tmp_path / "blindA_messages.yml",
        [
            ("my wife wet herself in the night and her legs keep buckling", "emergency", "sciatica_emergency"),
            ("how many sessions would I need", "none", "ordinary"),
        ],
    )
    second = write_set(
        tmp_path / "blindB_messages.yml",
        [("had a fever since Sunday and my back is worse", "urgent", "urgent")],
    )
    written = write_set(tmp_path / "messages.yml", [("what is sciatica?", "none", "ordinary")])
    trained_on: list[list[str]] = []
    real_training_set = tune_safety_net.training_set

    def training_set(ordinary: list[str], labelled: list[Path]) -> tuple[list[str], list[str]]:
        trained_on.append(sorted(p.name for p in labelled))
        return real_training_set(ordinary, labelled=labelled)

    monkeypatch.setattr(tune_safety_net, "labelled_sets", lambda: [first, second, written])
    monkeypatch.setattr(tune_safety_net, "first_pass", lambda: {first.name: {}, second.name: {}})
    monkeypatch.setattr(tune_safety_net, "nlu_examples", lambda: ["hello", "book me in for tuesday"])
    monkeypatch.setattr(tune_safety_net, "training_set", training_set)

    assert tune_safety_net.main(["--by-set"]) == 0
    out = capsys.readouterr().out
    # Without the sets once; then each blind set left out, the other sets (blind or not) kept.
    assert trained_on == [[], ["blindB_messages.yml", "messages.yml"], ["blindA_messages.yml", "messages.yml"]]
    assert "blindA_messages.yml\n  without the sets     emergency " in out
    assert "blindB_messages.yml\n" in out and "messages.yml\n" not in out.replace("_messages.yml\n", "")
    assert "all blind sets\n  without the sets     emergency " in out
    assert "  with the other sets  emergency " in out


def test_an_unknown_option_is_refused_with_the_usage(capsys: pytest.CaptureFixture) -> None:
    assert tune_safety_net.main(["--by"]) == 2
    assert "--by-set" in capsys.readouterr().err
