"""The plan's words: plain English for its codes, its events and its fields, as parents and staff read them in
timelines, evidence bundles and pages, and the small rules every sentence of them keeps.

The codes themselves are ``codes.py``'s: each table of names here is made from them, and names exactly the codes
there are (importing this module fails if a code is added there without a name here, or a name outlives its code).

Every sentence a parent reads follows the same rules (``tests/unit/test_wording_sentences.py`` holds them): dates in
words ("14 March 2026"), never an internal name or a field name, never a word cut in half (a long text is
shortened at a word boundary, with an ellipsis, and stays whole in the plan document), and a full stop at the end.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from isp_ledger.domain import codes
from isp_ledger.domain.records import SESSION_EVENT
from isp_ledger.domain.sections import LIVE_STATUSES, SECTION_OF_EVENT, SECTIONS
from isp_ledger.domain.stamp import LONDON


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
# What a parent did with the plan as it stood on a day: "Parent agreed with the plan as it stood on 3 May 2027".
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

# Each field as a sentence names it, after "the": "the number of sessions a week was corrected from 3 to 2".
# Every field a write or a correction can name is here (a test holds it), so no sentence shows a field's name;
# a sentence naming several changes names them in this order.
FIELD_NAMES = {
    "description": "description",
    "sessions_per_week": "number of sessions a week",
    "minutes_per_session": "length of each session",
    "group_size": "group size",
    "delivered_by": "person who delivers it",
    "location": "place it happens",
    "starts_on": "start date",
    "ends_on": "end date",
    "evidence_basis": "evidence it is based on",
    "barrier_ids": "barriers it addresses",
    "area_of_need": "area of need",
    "need_type": "type of need",
    "evidence": "evidence",
    "category": "kind of adjustment",
    "success_criteria": "way success will be judged",
    "target_date": "target date",
    "baseline": "starting point",
    "target": "target",
    "outcome": "result",
    "until": "last day of the pause",
    "agreed_on": "date it was agreed",
    "reason": "reason given",
    "tier": "tier of support",
    "ehcp_reference": "EHCP reference",
    "next_review_due": "date the next review is due",
    "pupil.upn": "Unique Pupil Number (UPN)",
    "pupil.given_name": "child's first name",
    "pupil.family_name": "child's family name",
    "pupil.date_of_birth": "child's date of birth",
    "held_on": "date the review was held",
    "attendees": "list of who attended",
    "parent_views": "parent's views",
    "pupil_views": "child's views",
    "summary": "summary of what was decided",
    "date": "date of the session",
    "starts_at": "time the session started",
    "status": "session",
    "minutes": "length of the session",
    "missed_reason": "reason the session was missed",
    "provision_id": "provision",
    "measured_on": "date progress was measured",
    "value": "measurement",
    "note": "note",
    "source": "source",
    "kind": "kind of view",
    "profession": "profession",
    "text": "text",
    "response": "response",
    "comment": "comment",
    "given_by": "name of the parent who responded",
    "method": "way the response was given",
}
# Fields named in the plural: "the barriers it addresses were corrected".
PLURAL_FIELDS = frozenset({"barrier_ids", "parent_views", "pupil_views"})
# Fields whose values are dates (shown in words).
DATE_FIELDS = frozenset({"starts_on", "ends_on", "target_date", "until", "agreed_on", "next_review_due",
                         "pupil.date_of_birth", "held_on", "measured_on", "date"})

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
# Erasure and legal holds (CONTRACT.md §11): entries about the plan itself, of the kind "plan".
EVENT_NAMES.update({"PlanErased": "personal data erased", "LegalHoldSet": "legal hold set",
                    "LegalHoldLifted": "legal hold lifted"})

# ------------------------------------------------------------------------------------------------ sentences

QUOTE_LIMIT = 300  # characters of someone's own words quoted in a one-line summary
NAME_LIMIT = 90  # characters of an item's description when it names the item


# What a sentence says where the pupil's personal data was erased (CONTRACT.md §11): the value reads null.
ERASED_WORDS = "(erased)"


def in_words(day: str | dt.date | None) -> str:
    """A date as people write it in a sentence: "7 September 2026"."""
    if day is None:
        return ERASED_WORDS
    if isinstance(day, str):
        return _iso_date_in_words(day)
    return f"{day.day} {day:%B %Y}"


@functools.lru_cache(maxsize=4096)
def _iso_date_in_words(day: str) -> str:
    """:func:`in_words` of a date as stored (``YYYY-MM-DD``), worked out once per date: a timeline's summaries
    name the same few hundred dates over and over, and formatting a month's name is slow."""
    date = dt.date.fromisoformat(day)
    return f"{date.day} {date:%B %Y}"


def instant_in_words(instant: str | dt.datetime) -> str:
    """An instant as a London reader would say it: "10:05 on 14 March 2026"."""
    if isinstance(instant, str):
        instant = dt.datetime.fromisoformat(instant)
    local = instant.astimezone(LONDON)
    return f"{local:%H:%M} on {in_words(local.date())}"


def shorten(text: str | None, limit: int = QUOTE_LIMIT) -> str:
    """``text`` on one line, cut at a word boundary with an ellipsis when longer than ``limit`` characters."""
    if text is None:
        return ERASED_WORDS
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def quoted(text: str | None, limit: int = QUOTE_LIMIT) -> str:
    """Someone's own words, in quotation marks: “Happy with the plan”."""
    if text is None:
        return ERASED_WORDS
    return f"“{shorten(text, limit)}”"


def name_of(description: str | None) -> str:
    """An item named by its description, in quotation marks (shortened when long)."""
    return quoted(description, NAME_LIMIT)


def joined(parts: list[str], conjunction: str = "and") -> str:
    """"a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def with_article(noun: str | None) -> str:
    """A role with its article ("a teaching assistant", "an educational psychologist"); anything written with a
    capital is a name, a title or an acronym and stays as written ("Mrs O'Neill", "ELSA (Miss Khan)")."""
    if noun is None:
        return ERASED_WORDS
    noun = shorten(noun, 80)
    if not noun[:1].islower():
        return noun
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def sentence(text: str) -> str:
    """``text`` ending as a sentence does: with a full stop, unless it already ends with one (or with a quotation
    that does)."""
    text = text.rstrip()
    if text.endswith((".", "!", "?", ".”", "!”", "?”")):
        return text
    return text + "."


def number(value: Any) -> str:
    """A number as written: 3, 1.5 (never 3.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def plural(value: Any, word: str) -> str:
    return word if value == 1 else word + "s"
