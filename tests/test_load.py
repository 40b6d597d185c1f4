"""The pure parts of `make load` (tools/load/): scripts, figures, the integrity comparison. No servers."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest

from tools import load

QUESTIONS = [f"question {n}?" for n in range(40)]
# Expected replies by response name; their words do not matter here.
ANSWERS: defaultdict[str, str] = defaultdict(str, utter_red_flag_emergency="Call 911.")
SETUP = {"date": "today", "cores": 2, "postgres": "15", "redis": "7", "seed": 1}


def scripts(seed: int, count: int = 400) -> list[load.Script]:
    return [load.make_script(seed, index, "run", QUESTIONS, ANSWERS) for index in range(count)]


def test_scripts_are_the_same_for_a_seed_and_differ_between_seeds() -> None:
    assert scripts(7) == scripts(7)
    assert scripts(7) != scripts(8)
    # Conversation 123 does not depend on which others were made before it.
    assert load.make_script(7, 123, "run", QUESTIONS, ANSWERS) == scripts(7)[123]


def test_scripts_mix_the_three_kinds_as_asked() -> None:
    made = scripts(1, 2000)
    kinds = Counter(script.kind for script in made)
    assert abs(kinds["faq"] / 2000 - 0.7) < 0.04
    assert abs(kinds["booking"] / 2000 - 0.2) < 0.04
    assert abs(kinds["red_flag"] / 2000 - 0.1) < 0.03
    assert len({script.sender for script in made}) == 2000
    for script in made:
        assert all(load.THINK_SECONDS[0] <= turn.think <= load.THINK_SECONDS[1] for turn in script.turns)
        assert script.kind in script.sender
        if script.kind == "faq":
            assert 3 <= len(script.turns) <= 5 and all(turn.expect is None for turn in script.turns)
            assert all(turn.message in QUESTIONS for turn in script.turns)
        elif script.kind == "red_flag":
            assert [turn.expect for turn in script.turns] == [None, "Call 911.", None]
            assert script.turns[1].message in load.EMERGENCIES


def test_each_booking_has_its_own_name_and_the_e2e_conversation() -> None:
    bookings = [script for script in scripts(3, 3000) if script.kind == "booking"]
    assert len({script.name for script in bookings}) == len(bookings)
    first = bookings[0]
    assert [turn.message for turn in first.turns][1] == first.name
    assert first.turns[0].message == "can I come in next Tuesday afternoon?"
    assert first.turns[-2].expect == load.SUMMARY_PREFIX and first.turns[-1].message == "yes"
    assert len({load.patient_name(index) for index in range(4000)}) == 4000


def test_faq_questions_come_from_the_training_data() -> None:
    questions = load.faq_questions()
    assert len(questions) > 100 and "what is sciatica?" in questions
    assert not any(question.startswith("- ") or not question for question in questions)


def test_a_reply_is_an_error_when_missing_unavailable_or_not_the_expected_one() -> None:
    down = {"Sorry, technical problem."}
    assert load.reply_error(200, ["Hello", "An answer"], None, down) is None
    assert load.reply_error(200, ["Welcome.", "Call 911 now."], "Call 911", down) is None
    assert load.reply_error(500, None, None, down) == "HTTP 500"
    assert load.reply_error(200, [], None, down) == "empty reply"
    assert load.reply_error(200, ["Sorry, technical problem."], None, down) == "service unavailable reply"
    assert load.reply_error(200, ["What's your name?"], "Call 911", down) == "wrong reply"


def test_percentiles_take_the_nearest_rank() -> None:
    values = [50.0, 10.0, 40.0, 20.0, 30.0]
    assert load.percentile(values, 50) == 30.0
    assert load.percentile(values, 95) == 50.0
    assert load.percentile(values, 0) == 10.0
    assert math.isnan(load.percentile([], 50))


def test_figures_per_stage_and_overall() -> None:
    run = load.LoadRun(stages=[2, 4], stage_seconds=10.0, seconds=21.0)
    run.turns = [load.TurnResult(0, n * 0.5, 0.010 * (n + 1)) for n in range(10)]
    run.turns += [load.TurnResult(1, 10 + n * 0.25, 0.100) for n in range(30)]
    run.turns[-1].error = "timeout"
    run.turns[-2].error = "HTTP 500"
    run.turns[-3].error = "timeout"
    done = load.Conversation(load.make_script(1, 0, "run", QUESTIONS, ANSWERS), outcome="completed", ended_stage=1)
    run.conversations = [done, load.Conversation(done.script, outcome="cut", ended_stage=1)]
    run.cpu_marks = [{"rasa": 0.0, "db": 0.0}, {"rasa": 5.0, "db": 1.0}, {"rasa": 15.0, "db": 2.0}]
    per_stage, overall = load.summarise(run)
    first, second = per_stage
    assert (first.cpu_cores, second.cpu_cores) == ({"rasa": 0.5, "db": 0.1}, {"rasa": 1.0, "db": 0.1})
    assert (first.turns, first.turns_per_s, first.errors, first.conversations_completed) == (10, 1.0, 0, 0)
    assert (first.p50_ms, first.p95_ms, first.p99_ms) == pytest.approx((50.0, 100.0, 100.0))
    assert (second.turns, second.turns_per_s, second.errors) == (30, 3.0, 3)
    assert second.error_kinds == {"timeout": 2, "HTTP 500": 1} and second.conversations_completed == 1
    assert (overall.turns, overall.errors, overall.patients) == (40, 3, 4)
    assert math.isclose(overall.turns_per_s, 40 / 21) and math.isclose(overall.error_rate, 3 / 40)
    assert load.verdict(overall, load.Integrity()) == ["error rate 7.5% above 1%"]
    resources = load.Resources({"rasa": 21.0, "db": 2.1}, {"get": 3.0}, 0.0)
    text = load.report(run, per_stage, overall, load.Integrity(), resources, SETUP)
    assert "| 2 | 4 | 10 | 30 | 3.0 | 100 | 100 | 100 | 3 (10.0%) | 1 |" in text
    assert "| stage | patients | rasa | db | all |" in text and "| 2 | 4 | 1.00 | 0.10 | 1.10 |" in text
    assert "| all | 4 | 1.00 | 0.10 | 1.10 |" in text and "CPU per turn: 525 ms" in text
    assert text.endswith("FAIL: error rate 7.5% above 1%")


def test_the_comparison_finds_a_lost_and_a_duplicated_message() -> None:
    sent = {
        "ok": ["hi", "yes", "yes"],
        "lost": ["what is sciatica?", "does it hurt?", "thanks"],
        "twice": ["hello", "how long is a session?"],
        "swapped": ["one", "two"],
    }
    stored = {
        "ok": ["hi", "yes", "yes"],
        "lost": ["what is sciatica?", "thanks"],
        "twice": ["hello", "how long is a session?", "how long is a session?"],
        "swapped": ["two", "one"],
        "stranger": ["hi"],
    }
    found = load.compare(sent, stored, client_errors=frozenset({"lost"}))
    assert (found.conversations, found.sent, found.stored) == (4, 10, 10)
    assert (found.lost, found.lost_after_client_error, found.duplicated) == (1, 1, 1)
    assert (found.never_sent, found.out_of_order, found.unknown_conversations) == (0, 1, 1)
    assert any("does it hurt?" in example for example in found.examples)
    clean = load.compare({"ok": ["hi", "yes", "yes"]}, {"ok": ["hi", "yes", "yes"]})
    assert (clean.lost, clean.duplicated, clean.out_of_order, clean.examples) == (0, 0, 0, [])
    assert load.verdict(_clean_stats(), clean) == []
    assert load.verdict(_clean_stats(), found)[0] == "1 lost, 1 extra user event(s)"


def test_the_comparison_counts_a_repeated_answer_only_when_stored_too_often() -> None:
    found = load.compare({"a": ["yes", "no", "yes"]}, {"a": ["yes", "no", "yes", "yes", "maybe"]})
    assert (found.lost, found.duplicated, found.never_sent) == (0, 1, 1)


def test_booking_rows_must_match_the_completed_bookings() -> None:
    completed = {"b1": "Maria Lopez", "b2": "Ana Smith", "b3": "Kenji Tanaka"}
    attempted = {"b1", "b2", "b3", "b4", "b5"}
    rows = [("b1", "Maria Lopez"), ("b2", "Ana Smith"), ("b2", "Ana Smith"), ("b4", "Omar Kim"), ("other", "X")]
    found = load.compare_bookings(completed, attempted, rows)
    assert (found.bookings_completed, found.booking_rows) == (3, 4)
    assert found.bookings_not_stored_once == 2  # b2 twice, b3 missing
    assert found.booking_rows_unexpected == 1  # b4 never saw its confirmation
    good = load.compare_bookings({"b1": "Maria Lopez"}, {"b1", "b5"}, [("b1", "Maria Lopez")])
    assert (good.bookings_not_stored_once, good.booking_rows_unexpected) == (0, 0)


def test_lock_waits_are_read_from_the_lock_scripts_count() -> None:
    # Commands run inside the scripts (get, set, del) are counted by Redis too; only calls say waits.
    before = {"evalsha": 100, "get": 10}
    after = {"evalsha": 100 + 2 * 50 + 4, "get": 10 + 104, "info": 9}
    found = load.Resources.between({"rasa": 1.0}, {"rasa": 3.5}, before, after, turns=50)
    assert found.lock_waits == 4.0 and found.cpu_seconds == {"rasa": 2.5}
    assert found.redis_per_turn == {"evalsha": 2.08, "get": 2.08}


def test_the_json_report_has_null_for_a_stage_without_turns() -> None:
    empty = load.stats("1", 4, 10.0, [], 0)
    assert load.without_nan({"stages": [empty.__dict__]})["stages"][0]["p95_ms"] is None


def _clean_stats() -> load.Stats:
    return load.stats("all", 4, 10.0, [load.TurnResult(0, 0.0, 0.01)], 1)
