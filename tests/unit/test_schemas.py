"""The request bodies the API documents are the domain's: the same fields, the same required ones, the same choices
(taken from ``domain/codes.py``) and the same limits as the field specifications the domain checks them with, and
what the documentation says about each field is what the domain does with it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from isp_ledger.api import schemas, specs
from isp_ledger.domain import codes, delivery, fields, groups
from isp_ledger.domain.calendar import clean_calendar
from isp_ledger.domain.errors import InvalidInput, LedgerError
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.validation import Choice, Date, Field, IdList, Integer, PositiveNumber, Text
from isp_ledger.users import check_new_user
from tests import samples

BY = Stamp(Actor("u-senco", "Sam Senco", "senco"), dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
# A parent recording their own response names neither whose it is nor how it was given (staff must name both), so
# as a parent the body's fields are required exactly as documented.
PARENT = Stamp(Actor("u-parent", "Pat Okafor", "parent"), BY.now)

# ------------------------------------------------------------------------------ bodies made from the domain's specs

# (body, the specifications it is made from, whether only the fields given are sent)
FROM_SPECS: list[tuple[type[BaseModel], Mapping[str, Field], bool]] = [
    (schemas.Pupil, fields.PUPIL_FIELDS, False),
    (schemas.ProgressCreate, fields.PROGRESS_FIELDS, False),
    (schemas.ReviewCreate, fields.REVIEW_FIELDS, False),
    (schemas.ContributionCreate, fields.CONTRIBUTION_FIELDS, False),
    (schemas.AcknowledgementCreate, fields.ACKNOWLEDGEMENT_FIELDS, False),
    (schemas.SettingUpdate, fields.SETTING_FIELDS, False),
    (schemas.DeliveryCreate, delivery.SESSION_FIELDS, False),
    *[(getattr(schemas, f"{s.noun.capitalize()}{kind}"), s.fields, kind == "Patch")
      for s in SECTIONS.values() for kind in ("Create", "Patch")],
]
COMMAND_FIELDS = {"agreed_on", "reason", "entries"}  # taken by a command beside the specified fields


def _choices(schema: dict[str, Any]) -> list[Any]:
    return [v for v in schema["enum"] if v is not None]


@pytest.mark.parametrize(("body", "specs_", "only_given"), FROM_SPECS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_body_has_the_fields_required_ones_choices_and_limits_of_its_specification(
    body: type[BaseModel], specs_: Mapping[str, Field], only_given: bool
) -> None:
    schema = body.model_json_schema()
    properties = schema["properties"]
    assert set(properties) - COMMAND_FIELDS == set(specs_)
    expected_required = set() if only_given else {name for name, spec in specs_.items() if spec.required}
    assert set(schema.get("required", [])) - COMMAND_FIELDS == expected_required
    for name, given in specs_.items():
        documented = properties[name]
        spec = getattr(given, "spec", given)  # a field that may be left out, checked by its spec when given
        if isinstance(spec, Choice):
            assert _choices(documented) == list(spec.options), name
        if isinstance(spec, Text):
            assert documented["maxLength"] == spec.max_length, name
            assert documented["minLength"] == (0 if spec.allow_empty else 1), name
        if isinstance(spec, Integer):
            assert (documented["minimum"], documented["maximum"]) == (spec.minimum, spec.maximum), name
        if isinstance(spec, PositiveNumber):
            lowest = documented.get("minimum", documented.get("exclusiveMinimum"))
            assert (lowest, documented["maximum"]) == (spec.minimum or 0, spec.maximum), name
            if spec.places is not None:
                assert documented["multipleOf"] == 10**-spec.places, name
        if isinstance(spec, Date):
            assert (documented["formatMinimum"], documented["formatMaximum"]) == ("1900-01-01", "2199-12-31"), name
        if isinstance(spec, IdList):
            assert (documented["minItems"], documented["maxItems"]) == (spec.minimum, spec.maximum), name


def test_a_field_the_api_cannot_describe_is_refused_at_once() -> None:
    class Novel(Field):
        pass

    with pytest.raises(TypeError, match="no JSON type"):
        specs.json_type(Novel())


# ------------------------------------------------------------------------------ every body against the domain


def _plan() -> tuple[Plan, dict[str, str]]:
    plan = Plan.open(BY, pupil=samples.pupil(), setting_urn="123456", tier="targeted", agreed_on="2026-09-01")
    barrier = plan.add_item(BY, "barriers", samples.barrier(), agreed_on="2026-09-02")
    ids = {"barriers": barrier,
           "provisions": plan.add_item(BY, "provisions", samples.provision([barrier]), agreed_on="2026-09-10"),
           "adjustments": plan.add_item(BY, "adjustments", samples.adjustment([barrier]), agreed_on="2026-09-10"),
           "outcomes": plan.add_item(BY, "outcomes", samples.outcome([barrier]), agreed_on="2026-09-10")}
    return plan, ids


Command = Callable[[Plan, dict[str, str], dict[str, Any]], Any]


def _on_plan(command: Command, *arguments: str) -> Callable[[dict[str, Any]], None]:
    """``command`` run on a plan with one item of each section; ``arguments`` (a command's keyword arguments) are
    ``None`` when left out of the body, as a route passes them."""
    def run(body: dict[str, Any]) -> None:
        plan, ids = _plan()
        if body.get("barrier_ids") == [BARRIER]:
            body["barrier_ids"] = [ids["barriers"]]
        if body.get("event_id") == PROVISION_AGREED:
            body["event_id"] = plan.records[ids["provisions"]][0]["event_id"]
        command(plan, ids, {**dict.fromkeys(arguments), **body})
    return run


def _decision(body: dict[str, Any]) -> dict[str, Any]:
    """A command's ``agreed_on`` and ``reason``, taken out of ``body``."""
    return {"agreed_on": body.pop("agreed_on", None), "reason": body.pop("reason", None)}


def _add(section: str) -> Command:
    return lambda plan, _, body: plan.add_item(BY, section, body, **_decision(body))


def _amend(section: str) -> Command:
    return lambda plan, ids, body: plan.amend_item(BY, section, ids[section], body, **_decision(body))


def _resume(plan: Plan, ids: dict[str, str], body: dict[str, Any]) -> None:
    plan.pause_item(BY, "provisions", ids["provisions"], reason="TA on leave", agreed_on="2026-11-02")
    plan.resume_item(BY, "provisions", ids["provisions"], **body)


def _open(body: dict[str, Any]) -> None:
    Plan.open(BY, **{"setting_urn": None, "tier": None, **body, "pupil": body.get("pupil", {})})


def _session(body: dict[str, Any]) -> None:
    errors = []
    for check in (lambda: delivery.clean_entries(body.get("entries")),
                  lambda: delivery.clean_session({k: v for k, v in body.items() if k != "entries"}, "2026-11-20")):
        try:
            check()
        except InvalidInput as e:
            errors += e.errors
    if errors:
        raise InvalidInput(errors)


def _group(body: dict[str, Any]) -> None:
    groups.clean_group(body.get("name"), body.get("members"), body.get("led_by"))


def _group_session(body: dict[str, Any]) -> None:
    """A group's register, then the session's shared fields (as ``Groups.log_session`` checks them)."""
    errors = []
    shared = {name: body.get(name) for name in ("date", "starts_at", "minutes", "note", "delivered_by")}
    member = (uuid.UUID(ENTRY["plan_id"]), ENTRY["provision_id"])
    for check in (lambda: groups.register([member], body.get("attended"), body.get("absent_reason")),
                  lambda: delivery.clean_session({**shared, "status": "delivered"}, "2026-11-20")):
        try:
            check()
        except InvalidInput as e:
            errors += e.errors
    if errors:
        raise InvalidInput(errors)


def _setting(body: dict[str, Any]) -> None:
    fields.clean_setting_details(body.get("name"), body.get("local_authority"))


def _calendar(body: dict[str, Any]) -> None:
    clean_calendar(body.get("holidays"), body.get("closures"))


def _new_user(body: dict[str, Any]) -> None:
    check_new_user(**{"name": None, "role": None, "setting_urn": None, **body}, setting_field="setting_urn")


BARRIER = "<a barrier of the plan>"
PROVISION_AGREED = "<the event that agreed the plan's provision>"
ENTRY = {"plan_id": str(uuid.uuid4()), "provision_id": "p-1"}
HOLIDAY = {"start": "2026-12-21", "end": "2027-01-01"}
EXAMPLES = {"barriers": samples.barrier(), "provisions": samples.provision([BARRIER]),
            "adjustments": samples.adjustment([BARRIER]), "outcomes": samples.outcome([BARRIER])}


@dataclass(frozen=True)
class Probe:
    """A body, a valid example of it, and the domain command it is for; ``at`` is where the body sits in the
    command's input, as the domain names fields (``pupil.``, ``entries.0.``)."""

    body: type[BaseModel]
    example: dict[str, Any]
    run: Callable[[dict[str, Any]], None]
    at: str = ""
    alternatives: tuple[str, ...] = ()  # fields of which exactly one is given (each documented as optional)


PROBES = [
    Probe(schemas.PlanCreate, samples.plan_body(), _open),
    Probe(schemas.Pupil, samples.pupil(), lambda b: _open({"pupil": b, "setting_urn": "123456", "tier": "targeted"}),
          "pupil."),
    Probe(schemas.TierChange, {"tier": "targeted_plus", "reason": "More support"},
          _on_plan(lambda plan, _, b: plan.change_tier(BY, **b), "tier", "ehcp_reference", "reason")),
    Probe(schemas.Close, {"reason": "Moved school"}, _on_plan(lambda plan, _, b: plan.close(BY, **b), "reason")),
    Probe(schemas.End, {"reason": "No longer seen"},
          _on_plan(lambda plan, ids, b: plan.end_item(BY, "barriers", ids["barriers"], **b), "reason")),
    Probe(schemas.Pause, {"reason": "TA on leave"},
          _on_plan(lambda plan, ids, b: plan.pause_item(BY, "provisions", ids["provisions"], **b), "reason")),
    Probe(schemas.Resume, {}, _on_plan(_resume)),
    *[Probe(getattr(schemas, f"{s.noun.capitalize()}Create"), EXAMPLES[s.name], _on_plan(_add(s.name)))
      for s in SECTIONS.values()],
    *[Probe(getattr(schemas, f"{s.noun.capitalize()}Patch"), {"description": "Now this"}, _on_plan(_amend(s.name)))
      for s in SECTIONS.values()],
    Probe(schemas.ProgressCreate, {"measured_on": "2026-11-19", "value": 12, "note": "Steady", "source": "check"},
          _on_plan(lambda plan, ids, b: plan.record_progress(BY, ids["outcomes"], b))),
    Probe(schemas.ReviewCreate, samples.review(), _on_plan(lambda plan, _, b: plan.hold_review(BY, b))),
    Probe(specs.Attendee, {"role": "parent", "name": "Pat Parent"},
          _on_plan(lambda plan, _, b: plan.hold_review(BY, samples.review(attendees=[b]))), "attendees.0."),
    Probe(schemas.ContributionCreate, {"kind": "parent_view", "text": "Reading together at home"},
          _on_plan(lambda plan, _, b: plan.record_contribution(BY, b, agreed_on=b.pop("agreed_on", None)))),
    Probe(schemas.AcknowledgementCreate, {"version": 1, "response": "agree"},
          _on_plan(lambda plan, _, b: plan.record_acknowledgement(PARENT, b, agreed_on=b.pop("agreed_on", None)))),
    Probe(schemas.CorrectionCreate, {"event_id": PROVISION_AGREED, "reason": "Typo", "changes": {"group_size": 3}},
          _on_plan(lambda plan, _, b: plan.correct(BY, **b), "event_id", "reason", "changes", "void"),
          alternatives=("changes", "void")),
    Probe(schemas.CorrectionCreate, {"event_id": PROVISION_AGREED, "reason": "Recorded twice", "void": True},
          _on_plan(lambda plan, _, b: plan.correct(BY, **b), "event_id", "reason", "changes", "void"),
          alternatives=("changes", "void")),
    Probe(schemas.DeliveryCreate, {"entries": [ENTRY], "date": "2026-11-19", "status": "delivered"}, _session),
    Probe(schemas.DeliveryEntry, ENTRY, lambda b: _session({"entries": [b], "date": "2026-11-19",
                                                            "status": "delivered"}), "entries.0."),
    Probe(schemas.GroupWrite, {"name": "Year 2 phonics", "members": [ENTRY], "led_by": "Mrs Patel"}, _group),
    Probe(schemas.GroupSessionCreate, {"date": "2026-11-19", "attended": [ENTRY], "absent_reason": "pupil_absent",
                                       "minutes": 20, "note": "CVC words"}, _group_session),
    Probe(schemas.CalendarUpdate, {"holidays": [HOLIDAY], "closures": ["2026-11-27"]}, _calendar),
    Probe(schemas.Holiday, HOLIDAY, lambda b: _calendar({"holidays": [b], "closures": []}), "holidays.0."),
    Probe(schemas.SettingUpdate, {"name": "Hawthorn Road Primary School", "local_authority": "Kent"},
          _setting),
    Probe(schemas.UserCreate, {"name": "Pat Khan", "role": "parent", "email": "pat@example.org"},
          _new_user),
]


def _refused(probe: Probe, body: dict[str, Any]) -> list[str]:
    """The fields the domain names when it refuses ``body``; none when it takes it (or refuses it by a rule)."""
    try:
        probe.run(dict(body))
    except InvalidInput as e:
        return [error.field for error in e.errors]
    except LedgerError:
        pass
    return []


def _names(refused: list[str], path: str) -> bool:
    """Whether a refusal names the field at ``path``, the object that holds it, or a field inside it."""
    return any(path == field or path.startswith(field + ".") or field.startswith(path + ".") for field in refused)


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.body.__name__)
def test_a_documented_field_is_required_exactly_when_the_domain_requires_it(probe: Probe) -> None:
    assert _refused(probe, probe.example) == []
    for name, documented in probe.body.model_fields.items():
        left_out = {k: v for k, v in probe.example.items() if k != name}
        refused = _refused(probe, left_out)
        # One of alternatives is required: leaving out the one given leaves none.
        required = documented.is_required() or (
            name in probe.alternatives and not any(a in left_out for a in probe.alternatives))
        assert _names(refused, probe.at + name) == required, (name, refused)


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.body.__name__)
def test_a_value_outside_the_documented_choices_is_refused_by_the_domain(probe: Probe) -> None:
    properties = probe.body.model_json_schema()["properties"]
    for name in [n for n, schema in properties.items() if "enum" in schema]:
        refused = _refused(probe, {**probe.example, name: "not-one-of-them"})
        assert _names(refused, probe.at + name), (name, refused)


def _bodies() -> Iterator[type[BaseModel]]:
    for value in vars(schemas).values():
        if inspect.isclass(value) and issubclass(value, schemas.Body) and value.model_fields:
            yield value
    yield specs.Attendee


BASES = {schemas.Dated, schemas.Decision, schemas.Reasoned, schemas.Session}  # parts of bodies, not bodies


def test_every_body_the_api_takes_is_probed_against_the_domain() -> None:
    assert {b.__name__ for b in _bodies()} - {b.__name__ for b in BASES} == {p.body.__name__ for p in PROBES}


CODES = {tuple(v) for v in vars(codes).values() if isinstance(v, tuple)}
CHOICES_OUTSIDE_CODES = {delivery.STATUSES, delivery.MISSED_REASONS}  # still kept beside sessions, in the domain


def test_every_documented_choice_is_a_list_the_domain_keeps_never_a_copy() -> None:
    for body in _bodies():
        schema = body.model_json_schema()
        for part in [schema, *schema.get("$defs", {}).values()]:
            for name, documented in part.get("properties", {}).items():
                if "enum" in documented:
                    assert tuple(_choices(documented)) in CODES | CHOICES_OUTSIDE_CODES, (body.__name__, name)
    assert _choices(schemas.PlanCreate.model_json_schema()["properties"]["tier"]) == list(codes.TIERS)
    assert _choices(schemas.End.model_json_schema()["properties"]["outcome"]) == list(codes.OUTCOME_RESULTS)
