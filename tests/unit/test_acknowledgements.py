"""Whose response a parent's acknowledgement is, and how it was given (CONTRACT.md §4): staff recording it on a
parent's behalf name the parent (``given_by``) and the way it was given (``method``); a parent recording their own
is its author and names neither. Shown in the plan document and in its one-line summary."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest

from isp_ledger.domain import codes
from isp_ledger.domain.errors import InvalidInput
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.summaries import summarise
from isp_ledger.domain.view import plan_document
from tests import samples

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
SENCO = Stamp(Actor("u-senco", "Sam Senco", "senco"), NOW)
TEACHER = Stamp(Actor("u-teacher", "Tom Teacher", "teacher"), NOW)
PARENT = Stamp(Actor("u-parent", "Pat Okafor", "parent"), NOW)


def plan() -> Plan:
    return Plan.open(SENCO, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")


def refused(by: Stamp, fields: dict[str, Any]) -> set[str]:
    with pytest.raises(InvalidInput) as error:
        plan().record_acknowledgement(by, fields)
    return {e.field for e in error.value.errors}


def last_summary(p: Plan) -> str:
    event = cast(Plan.Event, p.collect_events()[-1])
    before = Plan.open(SENCO, pupil=samples.pupil(), setting_urn="123456", tier="targeted")
    return summarise(event, before)


def test_staff_must_say_whose_response_it_is_and_how_it_was_given() -> None:
    for by in (SENCO, TEACHER):
        assert refused(by, {"version": 1, "response": "agree"}) == {"given_by", "method"}
        assert refused(by, {"version": 1, "response": "agree", "given_by": "Pat Okafor"}) == {"method"}
        assert refused(by, {"version": 1, "response": "agree", "method": "phone"}) == {"given_by"}
    assert refused(SENCO, {"version": 1, "response": "agree", "given_by": " ", "method": "fax"}) == {
        "given_by", "method"}
    assert refused(SENCO, {"version": 1, "response": "agree", "given_by": "P" * 201, "method": "email"}) == {
        "given_by"}


@pytest.mark.parametrize("method", codes.ACKNOWLEDGEMENT_METHODS)
def test_a_response_recorded_by_staff_names_the_parent_and_the_way_it_was_given(method: str) -> None:
    p = plan()
    p.record_acknowledgement(SENCO, {"version": 1, "response": "agree", "given_by": "Pat Okafor", "method": method})
    [shown] = plan_document(p)["acknowledgements"]  # type: ignore[index]
    assert (shown["given_by"], shown["method"], shown["recorded_by"]["name"]) == ("Pat Okafor", method, "Sam Senco")


def test_a_parent_recording_their_own_response_names_neither() -> None:
    p = plan()
    p.record_acknowledgement(PARENT, {"version": 1, "response": "disagree", "comment": "Too few sessions"})
    [shown] = plan_document(p)["acknowledgements"]  # type: ignore[index]
    assert "given_by" not in shown and "method" not in shown
    assert shown["recorded_by"] == {"user_id": "u-parent", "name": "Pat Okafor", "role": "parent"}
    assert refused(PARENT, {"version": 1, "response": "agree", "given_by": "Sam Okafor", "method": "email"}) == {
        "given_by", "method"}


def test_the_summary_says_whose_response_how_and_who_recorded_it() -> None:
    p = plan()
    p.record_acknowledgement(SENCO, {"version": 1, "response": "agree", "given_by": "Pat Okafor",
                                     "method": "in_person"})
    assert last_summary(p) == ("Pat Okafor (parent) agreed with the plan as it stood on 20 November 2026, in "
                               "person; recorded by Sam Senco.")
    p.record_acknowledgement(SENCO, {"version": 1, "response": "disagree", "given_by": "Pat Okafor",
                                     "method": "signed_form", "comment": "Too few sessions"})
    assert last_summary(p) == ("Pat Okafor (parent) disagreed with the plan as it stood on 20 November 2026, on a "
                               "signed form, saying “Too few sessions”; recorded by Sam Senco.")
    p.record_acknowledgement(PARENT, {"version": 1, "response": "seen"})
    assert last_summary(p) == "Pat Okafor (parent) saw the plan as it stood on 20 November 2026."


def test_whose_response_and_how_can_be_put_right_but_not_removed() -> None:
    p = plan()
    p.record_acknowledgement(SENCO, {"version": 1, "response": "agree", "given_by": "Pat Okafor", "method": "phone"})
    event_id = p.facts["acknowledgements"][0]["event_id"]
    p.correct(SENCO, event_id=event_id, reason="It was her husband who rang",
              changes={"given_by": "Sam Okafor", "method": "phone"})
    [shown] = plan_document(p)["acknowledgements"]  # type: ignore[index]
    assert (shown["given_by"], shown["corrected"]) == ("Sam Okafor", True)
    assert "the name of the parent who responded was corrected from “Pat Okafor” to “Sam Okafor”" in last_summary(p)
    with pytest.raises(InvalidInput) as error:
        p.correct(SENCO, event_id=event_id, reason="Unknown", changes={"method": None})
    assert {e.field for e in error.value.errors} == {"changes.method"}
    own = plan()
    own.record_acknowledgement(PARENT, {"version": 1, "response": "agree"})
    with pytest.raises(InvalidInput) as error:
        own.correct(SENCO, event_id=own.facts["acknowledgements"][0]["event_id"], reason="r",
                    changes={"given_by": "Sam Okafor"})
    assert {e.field for e in error.value.errors} == {"changes.given_by"}
