"""Opening a plan (CONTRACT.md §4): the pupil, the tier, the date it was agreed and when it is first reviewed.

"Today" is the Europe/London date of the instant the command was received, so the tests near midnight use
instants in British Summer Time, when London is an hour ahead of UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)  # London: 20 Nov 2026, GMT


def at(instant: dt.datetime = NOW) -> Stamp:
    return Stamp(SENCO, instant)


def open_plan(by: Stamp | None = None, **overrides: Any) -> Plan:
    body: dict[str, Any] = {"pupil": samples.pupil(), "setting_urn": "123456", "tier": "targeted", **overrides}
    return Plan.open(by or at(), **body)


def refused_fields(**overrides: Any) -> dict[str, str]:
    """The fields an opening with ``overrides`` is refused on, each with its message."""
    with pytest.raises(InvalidInput) as refused:
        open_plan(**overrides)
    return {e.field: e.message for e in refused.value.errors}


def test_a_plan_opens_with_the_pupil_tier_and_dates_given() -> None:
    plan = open_plan(
        pupil=samples.pupil(upn="B801200005001"), agreed_on="2026-09-01", next_review_due="2026-12-01"
    )

    assert plan.is_open and plan.version == 1
    assert plan.upn == "B801200005001"
    assert plan.setting_urn == "123456"
    assert plan.state["tier"] == "targeted"
    assert plan.state["opened_on"] == "2026-09-01"
    assert plan.state["initial_review_due"] == "2026-12-01"


# ------------------------------------------------------------------ the pupil


def test_a_upn_typed_in_lower_case_is_recorded_in_capitals() -> None:
    assert open_plan(pupil=samples.pupil(upn="b801200005001")).upn == "B801200005001"


def test_a_temporary_upn_ending_in_a_letter_is_accepted() -> None:
    assert open_plan(pupil=samples.pupil(upn="M80120000500A")).upn == "M80120000500A"


@pytest.mark.parametrize(
    ("upn", "message"),
    [
        ("A801200005001", "check letter does not match"),  # B801200005001 with the wrong check letter
        ("B80120000500", "13 characters"),
        ("B801200005O01", "not a valid UPN"),  # a letter O where a digit belongs
        ("E000200005001", "local authority"),  # 000 is no local authority
        ("", "required"),
    ],
)
def test_an_invalid_upn_is_refused(upn: str, message: str) -> None:
    assert message in refused_fields(pupil=samples.pupil(upn=upn))["pupil.upn"]


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    assert "pupil.date_of_birth" in refused_fields(pupil=samples.pupil(date_of_birth="2026-11-21"))


def test_names_are_limited_to_200_characters() -> None:
    assert open_plan(pupil=samples.pupil(given_name="A" * 200)).state["pupil"]["given_name"] == "A" * 200
    assert "at most 200" in refused_fields(pupil=samples.pupil(given_name="A" * 201))["pupil.given_name"]


def test_an_unknown_pupil_field_is_refused() -> None:
    assert "pupil.nickname" in refused_fields(pupil=samples.pupil(nickname="Mimi"))


def test_the_setting_must_be_a_six_digit_urn() -> None:
    assert "setting_urn" in refused_fields(setting_urn="12345")


def test_every_bad_field_is_reported_at_once() -> None:
    fields = refused_fields(pupil=samples.pupil(upn="A801200005001"), setting_urn="x", tier="universal")
    assert {"pupil.upn", "setting_urn", "tier"} <= set(fields)


# ------------------------------------------------------------------ tiers and the EHCP


@pytest.mark.parametrize("tier", ["targeted", "targeted_plus"])
def test_the_sen_support_tiers_need_no_ehcp(tier: str) -> None:
    plan = open_plan(tier=tier)
    assert plan.state["tier"] == tier and plan.state["ehcp_reference"] is None


def test_the_specialist_tier_requires_an_ehcp_reference() -> None:
    assert "ehcp_reference" in refused_fields(tier="specialist")

    plan = open_plan(tier="specialist", ehcp_reference="EHCP-801-2026-0042")
    assert plan.state["ehcp_reference"] == "EHCP-801-2026-0042"


def test_an_ehcp_reference_is_refused_below_the_specialist_tier() -> None:
    assert "ehcp_reference" in refused_fields(tier="targeted", ehcp_reference="EHCP-801-2026-0042")


def test_universal_is_not_a_tier_with_a_plan() -> None:
    assert "tier" in refused_fields(tier="universal")


# ------------------------------------------------------------------ when it was agreed and first reviewed


def test_agreed_on_defaults_to_today_and_the_first_review_to_twelve_weeks_later() -> None:
    plan = open_plan()
    assert plan.state["opened_on"] == "2026-11-20"
    assert plan.state["initial_review_due"] == "2027-02-12"


def test_agreed_on_after_today_is_refused() -> None:
    assert "after today" in refused_fields(agreed_on="2026-11-21")["agreed_on"]


@pytest.mark.parametrize("agreed_on", ["20/11/2026", "2026-11-31", "2026-11-20T09:00:00"])
def test_agreed_on_must_be_an_iso_date(agreed_on: str) -> None:
    assert "agreed_on" in refused_fields(agreed_on=agreed_on)


def test_near_midnight_in_summer_today_is_the_london_date_not_the_utc_one() -> None:
    # 23:30 UTC on 14 July is 00:30 on 15 July in London (BST, UTC+1).
    by = at(dt.datetime(2026, 7, 14, 23, 30, tzinfo=dt.UTC))

    assert open_plan(by).state["opened_on"] == "2026-07-15"
    assert open_plan(by, agreed_on="2026-07-15").state["opened_on"] == "2026-07-15"
    with pytest.raises(InvalidInput) as refused:
        open_plan(by, agreed_on="2026-07-16")
    assert "2026-07-15" in refused.value.errors[0].message


def test_near_midnight_in_winter_london_and_utc_agree() -> None:
    # 23:30 UTC on 14 December is 23:30 in London (GMT): the 15th is still tomorrow.
    by = at(dt.datetime(2026, 12, 14, 23, 30, tzinfo=dt.UTC))
    with pytest.raises(InvalidInput):
        open_plan(by, agreed_on="2026-12-15")


def test_a_stamp_without_a_time_zone_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Stamp(SENCO, dt.datetime(2026, 11, 20, 10, 0))


@pytest.mark.parametrize(
    ("agreed_on", "next_review_due", "accepted"),
    [
        ("2026-09-01", "2027-09-01", True),  # exactly 12 months
        ("2026-09-01", "2027-09-02", False),
        ("2026-01-31", "2027-01-31", True),
        ("2026-01-31", "2027-02-01", False),
        ("2026-09-01", "2026-09-01", False),  # due the day it was agreed
        ("2026-09-01", "2026-08-31", False),
    ],
)
def test_the_first_review_falls_due_within_12_months_of_agreement(
    agreed_on: str, next_review_due: str, accepted: bool
) -> None:
    if accepted:
        assert open_plan(agreed_on=agreed_on, next_review_due=next_review_due).state["initial_review_due"] == (
            next_review_due
        )
    else:
        assert "next_review_due" in refused_fields(agreed_on=agreed_on, next_review_due=next_review_due)
