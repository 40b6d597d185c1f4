"""`rasa data validate`, failing on any warning that is not explained below."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from assistant.triage.severity import RED_FLAG_INTENTS, UNREADABLE_INTENT

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")

UNUSED = "The utterance '{}' is not used in any story or rule."
NO_EXAMPLES = "The intent '{}' is listed in the domain file, but is not found in the NLU training data."
DETECTOR_INTENT = "set by the red-flag detector component, never learned by the classifier"
# Warnings we expect, and why they are fine.
EXPLAINED = {
    UNUSED.format("utter_session_notice"): "sent by action_session_start at the start of every conversation",
    UNUSED.format("utter_did_you_mean"): "sent by action_suggest_topics, with the likeliest topics as buttons",
    UNUSED.format("utter_default"): "sent by Rasa's action_default_fallback and by action_suggest_topics",
    UNUSED.format("utter_ask_booking_change"): "sent by validate_booking_form when the summary is not right",
    UNUSED.format("utter_form_too_many_tries"): "sent by validate_booking_form after three failed tries",
    UNUSED.format("utter_booking_intro"): "sent by action_start_booking",
    UNUSED.format("utter_booking_resume"): "sent by action_start_booking when the form resumes",
    UNUSED.format("utter_form_stopped"): "sent by action_stop_form",
    UNUSED.format("utter_reschedule_intro"): "sent by action_start_reschedule",
    UNUSED.format("utter_handoff_waiting"): "sent by action_handoff_to_staff",
    UNUSED.format("utter_human_handoff"): "sent by action_submit_booking when a request cannot be completed",
    UNUSED.format("utter_change_requested"): "sent by action_submit_reschedule",
    UNUSED.format("utter_booking_requested"): "sent by action_submit_booking",
    UNUSED.format("utter_booking_no_consent"): "sent by action_submit_booking",
    UNUSED.format("utter_booking_not_stored"): "sent by action_submit_booking when the database fails",
    UNUSED.format("utter_requests_unavailable"): "sent by the Rasa server when the action server is down",
    UNUSED.format("utter_service_unavailable"): "sent by the Rasa server when its conversation store is down",
    UNUSED.format("utter_crisis_staff_unavailable"): "sent by the Rasa server when staff are accepted after a "
    "crisis answer and the action server is down",
    **{NO_EXAMPLES.format(intent): DETECTOR_INTENT for intent in sorted(RED_FLAG_INTENTS)},
    NO_EXAMPLES.format(UNREADABLE_INTENT): "set by the Rasa server when the NLU pipeline fails on a message",
}
WARNING = re.compile(r"UserWarning: (.*)$")


def form_questions(domain_file: Path) -> dict[str, str]:
    """Each form asks for its slots with utter_ask_<slot>, which no rule names."""
    forms = yaml.safe_load(domain_file.read_text(encoding="utf-8")).get("forms") or {}
    return {
        UNUSED.format(f"utter_ask_{slot}"): f"{form} asks for {slot} with it"
        for form, spec in forms.items()
        for slot in spec.get("required_slots") or []
    }


def main() -> int:
    from assistant.clinic import render

    if render.main([]) != 0:
        return 2
    result = subprocess.run(
        [RASA, "data", "validate", "--domain", "domain.yml", "--data", "data", "--config", "config.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    warnings = [m.group(1).strip() for line in output.splitlines() if (m := WARNING.search(line))]
    explained = {**EXPLAINED, **form_questions(ROOT / "domain.yml")}
    unexplained = [w for w in warnings if w not in explained]
    for warning in warnings:
        print(f"warning: {warning}  [{explained.get(warning, 'NOT EXPLAINED')}]")
    if result.returncode != 0 or unexplained:
        print(output[-4000:], file=sys.stderr)
        print(
            f"rasa data validate: exit {result.returncode}, {len(unexplained)} unexplained warning(s)", file=sys.stderr
        )
        return 1
    print("rasa data validate: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
