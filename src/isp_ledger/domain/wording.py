"""The plan's words: plain English for its codes, its events and its fields, as parents and staff read them in
timelines, evidence bundles and pages.

The codes themselves are ``codes.py``'s: each table of names here is made from them, and names exactly the codes
there are (importing this module fails if a code is added there without a name here, or a name outlives its code).
"""

from __future__ import annotations

from isp_ledger.domain import codes
from isp_ledger.domain.records import SESSION_EVENT
from isp_ledger.domain.sections import LIVE_STATUSES, SECTION_OF_EVENT, SECTIONS


def named(code_list: tuple[str, ...], names: dict[str, str]) -> dict[str, str]:
    """``names`` for exactly the codes of ``code_list``, in their order."""
    if set(names) != set(code_list):
        missing, extra = set(code_list) - set(names), set(names) - set(code_list)
        raise ValueError(f"names do not match the codes (no name for {sorted(missing)}, no code for {sorted(extra)})")
    return {code: names[code] for code in code_list}


def as_words(code_list: tuple[str, ...]) -> dict[str, str]:
    """Codes that read as they are, but for their underscores ("pupil_absent": "pupil absent")."""
    return {code: code.replace("_", " ") for code in code_list}


TIER_NAMES = named(codes.TIERS, {"targeted": "Targeted", "targeted_plus": "Targeted Plus", "specialist": "Specialist"})
AREA_NAMES = named(codes.AREAS_OF_NEED, {
    "communication_and_interaction": "communication and interaction",
    "cognition_and_learning": "cognition and learning",
    "semh": "social, emotional and mental health",
    "sensory_and_physical": "sensory and/or physical",
})
NEED_TYPE_NAMES = codes.NEED_TYPE_NAMES  # the census guidance's own words, kept beside its codes
LOCATION_NAMES = named(codes.LOCATIONS, {"in_class": "in class", "withdrawal": "withdrawn from class",
                                         "external": "off site", "online": "online"})
CATEGORY_NAMES = as_words(codes.ADJUSTMENT_CATEGORIES)
MISSED_REASON_NAMES = as_words(codes.MISSED_REASONS)
CONTRIBUTION_NAMES = named(codes.CONTRIBUTION_KINDS, {"parent_view": "Parent's view", "pupil_voice": "Pupil's voice",
                                                      "professional_advice": "Professional advice"})
# What a parent did with a version of the plan: "Parent agreed with version 9 of the plan".
RESPONSE_VERBS = named(codes.ACKNOWLEDGEMENT_RESPONSES, {"agree": "agreed with", "disagree": "disagreed with",
                                                         "seen": "saw"})
# How a parent gave a response staff recorded for them, after the verb: "agreed with the plan, in person".
RESPONSE_METHOD_NAMES = named(codes.ACKNOWLEDGEMENT_METHODS, {
    "in_person": "in person", "phone": "by phone", "email": "by email", "letter": "by letter",
    "signed_form": "on a signed form"})
ROLE_NAMES = named(codes.ROLES, {"admin": "administrator", "senco": "SENCO", "teacher": "teacher", "parent": "parent",
                                 "professional": "professional", "complaint_handler": "complaint handler"})
# The statuses of items (in place, paused, or how they ended) and of plans.
STATUS_NAMES = {
    status: {"active": "in place"}.get(status, status)
    for status in dict.fromkeys((*LIVE_STATUSES, *(s.ended_status for s in SECTIONS.values() if s.ended_status),
                                 *codes.OUTCOME_RESULTS, "open", "closed"))
}

FIELD_NAMES = {
    "sessions_per_week": "sessions a week",
    "minutes_per_session": "minutes a session",
    "group_size": "group size",
    "delivered_by": "delivered by",
    "starts_on": "start date",
    "ends_on": "end date",
    "evidence_basis": "evidence basis",
    "barrier_ids": "barriers addressed",
    "area_of_need": "area of need",
    "need_type": "need type",
    "success_criteria": "success criteria",
    "target_date": "target date",
    "agreed_on": "date agreed",
    "held_on": "date held",
    "next_review_due": "next review due",
    "parent_views": "parent's views",
    "pupil_views": "pupil's views",
    "measured_on": "date measured",
    "ehcp_reference": "EHCP reference",
    "pupil.given_name": "given name",
    "pupil.family_name": "family name",
    "pupil.date_of_birth": "date of birth",
    "pupil.upn": "UPN",
    "missed_reason": "reason missed",
    "provision_id": "provision",
    "given_by": "whose response",
    "method": "how it was given",
}

EVENT_NAMES = {
    "PlanOpened": "plan opened", "TierChanged": "tier changed", "PlanClosed": "plan closed",
    "ProgressRecorded": "progress recorded", "ReviewHeld": "review held", "ContributionRecorded": "contribution",
    "AcknowledgementRecorded": "acknowledgement", "CorrectionRecorded": "correction",
    SESSION_EVENT: "session", "EntryVoided": "entry struck out",
    **{s.added: f"{s.noun} {s.added_verb}" for s in SECTIONS.values()},
    **{s.amended: f"{s.noun} amended" for s in SECTIONS.values()},
    **{s.ended: f"{s.noun} {s.ended_verb}" for s in SECTIONS.values()},
    **{s.paused: f"{s.noun} paused" for s in SECTIONS.values() if s.paused},
    **{s.resumed: f"{s.noun} resumed" for s in SECTIONS.values() if s.resumed},
}

# The kinds of entry a history can be filtered by: the plan itself, each section's item, and each kind of fact.
_FACT_KINDS = {
    "ProgressRecorded": "progress", "ReviewHeld": "review", "ContributionRecorded": "contribution",
    "AcknowledgementRecorded": "acknowledgement", "CorrectionRecorded": "correction", SESSION_EVENT: "delivery",
    "EntryVoided": "correction",  # a void is said through the corrections, and is one: "that entry was wrong"
}
KINDS = tuple(dict.fromkeys(("plan", *(s.noun for s in SECTIONS.values()), *_FACT_KINDS.values())))


def kind_of(event_type: str) -> str:
    """The kind of an entry (a timeline's ``kind`` filter): plan, barrier, provision, ..., review, correction."""
    section = SECTION_OF_EVENT.get(event_type)
    if section is not None:
        return section.noun
    return _FACT_KINDS.get(event_type, "plan")

# Access to the plan (CONTRACT.md §10): grants and their revocations, a kind of entry of their own.
ACCESS_EVENT_NAMES = {"AccessGranted": "access given", "AccessRevoked": "access revoked"}
EVENT_NAMES.update(ACCESS_EVENT_NAMES)
_FACT_KINDS.update(dict.fromkeys(ACCESS_EVENT_NAMES, "access"))
KINDS = (*KINDS, "access")
