"""The codes a real English SEND record uses (DOMAIN.md), as plain tuples the rest of the code checks against."""

from __future__ import annotations

TIERS = ("targeted", "targeted_plus", "specialist")

AREAS_OF_NEED = (
    "communication_and_interaction",
    "cognition_and_learning",
    "semh",
    "sensory_and_physical",
)

# School census SEN need types, with the broad area of need each belongs to in the census guidance.
# OTH and NSA fit any area; NSA is valid only for SEN support, never beside an EHCP.
NEED_TYPE_AREAS: dict[str, tuple[str, ...]] = {
    "SPLD": ("cognition_and_learning",),
    "MLD": ("cognition_and_learning",),
    "SLD": ("cognition_and_learning",),
    "PMLD": ("cognition_and_learning",),
    "SEMH": ("semh",),
    "SLCN": ("communication_and_interaction",),
    "ASD": ("communication_and_interaction",),
    "HI": ("sensory_and_physical",),
    "VI": ("sensory_and_physical",),
    "MSI": ("sensory_and_physical",),
    "PD": ("sensory_and_physical",),
    "OTH": AREAS_OF_NEED,
    "NSA": AREAS_OF_NEED,
}
NEED_TYPES = tuple(NEED_TYPE_AREAS)

NEED_TYPE_NAMES = {
    "SPLD": "specific learning difficulty",
    "MLD": "moderate learning difficulty",
    "SLD": "severe learning difficulty",
    "PMLD": "profound and multiple learning difficulty",
    "SEMH": "social, emotional and mental health",
    "SLCN": "speech, language and communication needs",
    "HI": "hearing impairment",
    "VI": "vision impairment",
    "MSI": "multi-sensory impairment",
    "PD": "physical disability",
    "ASD": "autistic spectrum disorder",
    "OTH": "other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of type of need",
}

LOCATIONS = ("in_class", "withdrawal", "external", "online")
ADJUSTMENT_CATEGORIES = ("environment", "curriculum", "routines", "assessment", "communication", "other")
CONTRIBUTION_KINDS = ("parent_view", "pupil_voice", "professional_advice")
ACKNOWLEDGEMENT_RESPONSES = ("agree", "disagree", "seen")
# How a parent gave the response that staff recorded on their behalf (CONTRACT.md §4).
ACKNOWLEDGEMENT_METHODS = ("in_person", "phone", "email", "letter", "signed_form")
OUTCOME_RESULTS = ("achieved", "discontinued")
SESSION_STATUSES = ("delivered", "missed")
MISSED_REASONS = ("pupil_absent", "staff_absent", "timetable_clash", "school_closed", "pupil_declined", "other")

ROLES = ("admin", "senco", "teacher", "parent", "professional", "complaint_handler")
SETTING_ROLES = ("senco", "teacher")

# The gaps of the setting's quality report (CONTRACT.md §6), each a stable code a client may rely on
# (``quality.py`` says when each is found).
QUALITY_GAPS = (
    "plan_without_outcomes",
    "barrier_without_support",
    "provision_without_barrier",
    "targeted_provision_without_evidence",
    "provision_under_delivered",
    "outcome_without_success_criteria",
    "outcome_past_target_date",
    "no_review_in_12_months",
    "review_overdue",
    "parents_not_involved_in_last_review",
    "too_few_parent_meetings",
    "disagreement_unanswered",
    "targeted_plus_without_professional_advice",
)
