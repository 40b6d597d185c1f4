"""Patient-facing labels of the intents the assistant can suggest as buttons."""

# Button titles for "did you mean ...?". Every FAQ topic and transactional
# intent needs one (a test checks this against the domain).
SUGGESTION_LABELS: dict[str, str] = {
    "sciatica_definition": "What sciatica is",
    "sciatica_causes": "What causes sciatica",
    "sciatica_symptoms": "Symptoms of sciatica",
    "sciatica_risk_factors": "Who is at risk",
    "sciatica_diagnosis": "How it is diagnosed",
    "sciatica_pregnancy": "Sciatica in pregnancy",
    "acupuncture_definition": "What acupuncture is",
    "acupuncture_mechanism": "How acupuncture works",
    "acupuncture_benefits": "How acupuncture may help",
    "acupuncture_evidence": "Evidence for acupuncture",
    "acupuncture_vs_medication": "Acupuncture vs. painkillers",
    "acupuncture_points": "Where the needles go",
    "acupuncture_safety": "Safety and side effects",
    "acupuncture_pain": "Does it hurt?",
    "other_treatments": "Other treatments",
    "session_expectations": "What happens at a session",
    "session_duration": "How long a session takes",
    "session_frequency": "How many sessions",
    "session_preparation": "How to prepare",
    "cost_insurance": "Cost and insurance",
    "clinic_info": "Address and opening hours",
    "session_aftercare": "After your session",
    "chiropractic_care": "Chiropractic care",
    "book_appointment": "Book a session",
    "reschedule_cancel": "Change an appointment",
    "human_handoff": "Talk to our staff",
}
