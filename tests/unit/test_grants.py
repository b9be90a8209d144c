"""Access grants as the plan's own history (CONTRACT.md §10): the rules of giving and revoking access, when a grant
is in force (to the end of its London date), the plain-English lines a parent reads, and what each grantee may do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from isp_ledger import access
from isp_ledger.access import Action, User
from isp_ledger.domain.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from isp_ledger.domain.grants import Grantee, active_grant, grants_of
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.summaries import summarise
from tests import samples

SENCO = Actor("u-senco", "Sam Senco", "senco")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
PAT = Grantee("u-pat", "Pat Khan", "parent", active=True)
DR = Grantee("u-dr", "Dr Rao", "professional", active=True)
CHRIS = Grantee("u-chris", "Chris Panel", "complaint_handler", active=True)


def at(instant: dt.datetime = NOW) -> Stamp:
    return Stamp(SENCO, instant)


def opened() -> Plan:
    return Plan.open(at(), pupil=samples.pupil(), setting_urn="123456", tier="targeted")


def grant(plan: Plan, grantee: Grantee = PAT, by: Stamp | None = None, **fields: Any) -> str:
    body = {"user_id": grantee.user_id, "relationship": grantee.role, **fields}
    reason = body.pop("reason", None)
    return plan.grant_access(by or at(), body, grantee, reason=reason)


def refusal(plan: Plan, grantee: Grantee | None, **fields: Any) -> Exception:
    body = {"user_id": "u-x", "relationship": "parent", **fields}
    with pytest.raises((InvalidInput, RuleViolation)) as refused:
        plan.grant_access(at(), body, grantee)
    return refused.value


def test_a_grant_is_an_entry_in_the_plans_history_with_who_when_and_why() -> None:
    plan = opened()
    grant_id = grant(plan, reason="Mum, at the first meeting", expires_on="2027-07-31")
    event = plan.pending_events[-1]
    assert type(event).__name__ == "AccessGranted"
    assert event.data() == {"grant_id": grant_id, "user_id": "u-pat", "name": "Pat Khan",  # type: ignore[attr-defined]
                            "relationship": "parent", "expires_on": "2027-07-31"}
    assert event.reason == "Mum, at the first meeting"  # type: ignore[attr-defined]
    assert event.actor == SENCO.as_dict()  # type: ignore[attr-defined]
    assert plan.version == 2
    [held] = grants_of(plan)
    assert (held.grant_id, held.name, held.relationship, held.status_on("2026-11-20")) == (
        grant_id, "Pat Khan", "parent", "active")
    # Not part of the plan document, not a decision about the plan: the plan's own dates are untouched.
    assert plan.latest_agreed("plan") == "2026-11-20" and len(plan.records["plan"]) == 1


def test_a_grant_holds_to_the_end_of_its_london_date_and_a_revocation_at_once() -> None:
    plan = opened()
    grant_id = grant(plan, expires_on="2027-07-31")
    assert active_grant(plan, "u-pat", "2027-07-31") is not None
    assert active_grant(plan, "u-pat", "2027-08-01") is None
    assert active_grant(plan, "u-other", "2026-11-20") is None
    plan.revoke_access(at(NOW + dt.timedelta(minutes=1)), grant_id, reason="Parental responsibility ended")
    [held] = grants_of(plan)
    assert held.status_on("2026-11-20") == "revoked"
    assert held.revoked_reason == "Parental responsibility ended" and held.revoked_by == SENCO.as_dict()
    assert active_grant(plan, "u-pat", "2026-11-20") is None


def test_the_grantee_must_exist_be_active_and_have_the_role_the_relationship_names() -> None:
    plan = opened()
    unknown = refusal(plan, None)
    assert isinstance(unknown, InvalidInput) and unknown.errors[0].field == "user_id"
    teacher = refusal(plan, Grantee("u-t", "Tess Teacher", "teacher", active=True))
    assert isinstance(teacher, RuleViolation) and teacher.rule == "grantee_role_mismatch"
    assert "Tess Teacher has a teacher account" in teacher.detail and "staff see" in teacher.detail
    pro = refusal(plan, DR, user_id="u-dr", relationship="parent")
    assert isinstance(pro, RuleViolation) and pro.rule == "grantee_role_mismatch"
    assert "only a parent account is given access as a parent" in pro.detail
    disabled = refusal(plan, Grantee("u-pat", "Pat Khan", "parent", active=False))
    assert isinstance(disabled, RuleViolation) and disabled.rule == "grantee_disabled"
    assert plan.version == 1, "nothing was recorded"


def test_a_complaint_handlers_access_must_end_and_no_grant_ends_before_today() -> None:
    plan = opened()
    missing = refusal(plan, CHRIS, relationship="complaint_handler")
    assert isinstance(missing, InvalidInput) and [e.field for e in missing.errors] == ["expires_on"]
    past = refusal(plan, PAT, expires_on="2026-11-19")
    assert isinstance(past, InvalidInput) and "must not be before today" in past.errors[0].message
    bad = refusal(plan, PAT, relationship="grandparent", expires_on="someday")
    assert isinstance(bad, InvalidInput) and {e.field for e in bad.errors} == {"relationship", "expires_on"}
    grant(plan, CHRIS, expires_on="2026-11-20")  # today is the last day: allowed
    assert plan.version == 2


def test_one_grant_in_force_per_person_and_revoking_needs_one_in_force() -> None:
    plan = opened()
    first = grant(plan, expires_on="2026-12-31")
    again = refusal(plan, PAT, user_id="u-pat")
    assert isinstance(again, RuleViolation) and again.rule == "already_granted" and first in again.detail
    plan.revoke_access(at(), first)
    with pytest.raises(RuleViolation) as twice:
        plan.revoke_access(at(), first)
    assert twice.value.rule == "grant_already_revoked"
    with pytest.raises(NotFound):
        plan.revoke_access(at(), "no-such-grant")
    second = grant(plan)  # revoked, so access may be given again
    expiring = grant(plan, DR, expires_on="2026-11-20")
    with pytest.raises(RuleViolation) as ended:
        plan.revoke_access(at(NOW + dt.timedelta(days=1)), expiring)
    assert ended.value.rule == "grant_expired" and "20 November 2026" in ended.value.detail
    assert [g.grant_id for g in grants_of(plan)] == [first, second, expiring]


def test_access_can_be_given_on_a_closed_plan_for_a_complaint_about_it() -> None:
    plan = opened()
    plan.close(at(), reason="Moved school")
    grant(plan, CHRIS, expires_on="2027-03-31", reason="Stage 2 complaint")
    assert grants_of(plan)[0].relationship == "complaint_handler"


def test_a_grant_is_never_corrected_nor_struck_out_but_revoked() -> None:
    plan = opened()
    grant_id = grant(plan)
    event_id = plan.pending_events[-1].event_id  # type: ignore[attr-defined]
    plan.revoke_access(at(), grant_id)
    revocation = plan.pending_events[-1].event_id  # type: ignore[attr-defined]
    for target in (event_id, revocation):
        with pytest.raises(RuleViolation) as refused:
            plan.correct(at(), event_id=target, reason="wrong", changes={"reason": "other"})
        assert refused.value.rule == "access_not_corrected"
        with pytest.raises(RuleViolation) as voided:
            plan.void(at(), event_id=target, reason="wrong")
        assert voided.value.rule in ("access_not_corrected", "cannot_void")  # the rules of voids refuse it first
    assert plan.version == 3


def test_the_timeline_says_who_was_given_access_until_when_and_why() -> None:
    plan = opened()
    before = _copy(plan)
    grant_id = grant(plan, reason="Mum; agreed at the plan meeting", expires_on="2027-07-31")
    given = plan.pending_events[-1]
    assert summarise(given, before) == ("Access given to Pat Khan (parent) until 31 July 2027. Reason: Mum; agreed "  # type: ignore[arg-type]
                                        "at the plan meeting.")
    grant(plan, CHRIS, expires_on="2027-01-15")
    assert summarise(plan.pending_events[-1], _copy(plan)) == (  # type: ignore[arg-type]
        "Access given to Chris Panel (complaint handler) until 15 January 2027.")
    before = _copy(plan)
    plan.revoke_access(at(), grant_id)
    assert summarise(plan.pending_events[-1], before) == "Access revoked for Pat Khan (parent)."  # type: ignore[arg-type]


def _copy(plan: Plan) -> Plan:
    """The plan replayed from its events so far (the state a summary is made against)."""
    copy: Plan | None = None
    for event in plan.pending_events:
        copy = event.mutate(copy)
    assert copy is not None
    return copy


def test_a_snapshot_taken_before_grants_existed_reads_as_no_grants() -> None:
    plan = opened()
    plan.facts.pop("access", None)
    assert grants_of(plan) == [] and active_grant(plan, "u-pat", "2026-11-20") is None
    grant(plan)
    assert len(grants_of(plan)) == 1


# ------------------------------------------------------------------ what each grantee may do (access.py)

PARENT, PRO, HANDLER = (User(f"u-{r}", r, r) for r in ("parent", "professional", "complaint_handler"))


class Held:
    def __init__(self, relationship: str) -> None:
        self.relationship = relationship


def allowed(user: User, action: Action, grant: Held | None) -> str:
    try:
        access.require(user, "123456", action, "P", grant)
    except NotFound:
        return "404"
    except Forbidden:
        return "403"
    return "ok"


@pytest.mark.parametrize(("user", "may"), [
    (PARENT, {Action.READ, Action.READ_ACCESS_LOG, Action.RECORD_CONTRIBUTION, Action.ADD_PARENT_VIEW,
              Action.ADD_PUPIL_VOICE, Action.RECORD_ACKNOWLEDGEMENT}),
    (PRO, {Action.READ, Action.RECORD_CONTRIBUTION, Action.ADD_PROFESSIONAL_ADVICE}),
    (HANDLER, {Action.READ}),
])
def test_each_grantee_may_do_what_section_10_says_and_nothing_else(user: User, may: set[Action]) -> None:
    for action in Action:
        assert allowed(user, action, Held(user.role)) == ("ok" if action in may else "403"), action
        assert allowed(user, action, None) == "404", "without a grant the plan is not there"
        other = "parent" if user.role != "parent" else "professional"
        assert allowed(user, action, Held(other)) == "404", "a grant must name the caller's own role"


def test_a_contribution_asks_for_the_right_to_add_that_kind() -> None:
    assert access.contribution_action("parent_view") is Action.ADD_PARENT_VIEW
    assert access.contribution_action("professional_advice") is Action.ADD_PROFESSIONAL_ADVICE
    assert access.contribution_action("gossip") is Action.RECORD_CONTRIBUTION  # the domain refuses the kind: 422
    assert access.contribution_action(None) is Action.RECORD_CONTRIBUTION
    teacher = User("u-t", "Tess", "teacher", "123456")
    for kind in ("parent_view", "pupil_voice", "professional_advice"):
        assert allowed(teacher, access.contribution_action(kind), None) == "ok"
    assert allowed(teacher, Action.READ_ACCESS_LOG, None) == "403"
    assert allowed(teacher, Action.MANAGE_ACCESS, None) == "403"
