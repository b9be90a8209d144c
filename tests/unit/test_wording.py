"""The plan's words come from the domain and name exactly the codes ``codes.py`` has: a new code without words,
or words left behind by a removed code, fail at import rather than show a raw code to a parent."""

from __future__ import annotations

import pytest

from isp_ledger.domain import codes, events, wording
from isp_ledger.domain.sections import SECTIONS


def test_a_table_of_names_must_name_exactly_the_codes() -> None:
    assert wording.named(("a", "b"), {"b": "Bee", "a": "Ay"}) == {"a": "Ay", "b": "Bee"}  # in the codes' order
    with pytest.raises(ValueError, match="no name for \\['b'\\]"):
        wording.named(("a", "b"), {"a": "Ay"})
    with pytest.raises(ValueError, match="no code for \\['c'\\]"):
        wording.named(("a",), {"a": "Ay", "c": "See"})


def test_every_code_has_its_words() -> None:
    for names, code_list in (
        (wording.TIER_NAMES, codes.TIERS), (wording.AREA_NAMES, codes.AREAS_OF_NEED),
        (wording.LOCATION_NAMES, codes.LOCATIONS), (wording.CATEGORY_NAMES, codes.ADJUSTMENT_CATEGORIES),
        (wording.MISSED_REASON_NAMES, codes.MISSED_REASONS), (wording.CONTRIBUTION_NAMES, codes.CONTRIBUTION_KINDS),
        (wording.RESPONSE_VERBS, codes.ACKNOWLEDGEMENT_RESPONSES), (wording.ROLE_NAMES, codes.ROLES),
        (wording.NEED_TYPE_NAMES, codes.NEED_TYPES),
    ):
        assert set(names) == set(code_list)
    assert wording.MISSED_REASON_NAMES["pupil_absent"] == "pupil absent"
    assert wording.STATUS_NAMES["active"] == "in place"
    assert set(wording.STATUS_NAMES) >= {s.ended_status for s in SECTIONS.values() if s.ended_status}


def test_every_event_type_has_a_name_and_a_kind() -> None:
    for cls in events.EVENT_CLASSES:
        assert cls.__name__ in wording.EVENT_NAMES
        assert wording.kind_of(cls.__name__) in wording.KINDS
    assert wording.KINDS == ("plan", "barrier", "provision", "adjustment", "outcome", "progress", "review",
                             "contribution", "acknowledgement", "correction", "delivery", "access")
