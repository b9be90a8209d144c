"""The gaps a SENCO must fix in a plan (CONTRACT.md §6, the setting's quality report).

A plan's gaps are worked out in two steps. :func:`quality_facts` takes from the plan what the report needs (its
items in place, its latest review, the days its parents were met, an unanswered disagreement...) as JSON-native
data, which the quality read model keeps per plan; :func:`find_gaps` turns those facts into gaps *on a given day*,
when the report is read, because most gaps depend on today: a provision past its ``ends_on`` has ended (from the
next day, without anyone recording it), an outcome goes past its target date, a review falls due, the twelve
months in which parents should have been met move on, and delivery is judged over the last six school weeks.

Entries recorded in error (voided, CONTRACT.md §5) count for nothing; ended items, and provision past its
``ends_on``, support nothing.

What counts as meeting the parents (Code of Practice 6.65: at least three times a year for a child on SEN
support): a review they attended, or whose ``parent_views`` are recorded, and a response to the plan they gave in
person or by phone. A written view, an email or a signed form is the parent's voice, but not a meeting. Meetings
on the same day count once.

Each gap has a stable ``code`` (``codes.QUALITY_GAPS``, in the order a report lists them), a ``message`` that
says what is wrong and what to do, and the ``item_id`` of the item concerned when it is about one item.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from isp_ledger.domain import codes
from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.domain.records import Record, is_voided
from isp_ledger.domain.sections import LIVE_STATUSES, SECTION_OF_EVENT, SECTIONS
from isp_ledger.domain.state import PlanState
from isp_ledger.domain.validation import add_months
from isp_ledger.domain.wording import MISSED_REASON_NAMES

Gap = dict[str, Any]
Facts = dict[str, Any]

UNDER_DELIVERED_BELOW = 0.75  # a delivery rate under this over the last six school weeks is a gap
SCHOOL_DAYS_CHECKED = 30  # six school weeks
# Delivery is judged once the window holds at least two weeks of the provision and three sessions (a provision
# that started last week is not yet "under-delivered over six weeks"), and a gap is at least two sessions short (one
# session missed of a fortnightly therapy block is no pattern).
MIN_PLANNED_TO_JUDGE = 3
MIN_WEEKS_TO_JUDGE = 2
MIN_SESSIONS_SHORT = 2
MEETINGS_A_YEAR = 3  # Code of Practice 6.65
MEETING_METHODS = ("in_person", "phone")  # a response given so was a conversation with the parent
SEN_SUPPORT_TIERS = ("targeted", "targeted_plus")  # below an EHC plan: the Code's "SEN support"

# Who, among a review's attendees, is a parent or carer: the role names one, and no professional's role does (a
# "parent support adviser" is school staff).
_PARENT_WORDS = re.compile(r"\b(parents?|carers?|mother|father|mum|mom|dad|guardian|step-?(?:mother|father|parent)|"
                           r"grand(?:parent|mother|father)|foster)\b", re.IGNORECASE)
_STAFF_WORDS = re.compile(r"\b(adviser|advisor|officer|worker|support|liaison|partnership|practitioner|staff)\b",
                          re.IGNORECASE)


def is_parent_role(role: str) -> bool:
    return bool(_PARENT_WORDS.search(role)) and not _STAFF_WORDS.search(role)


def involves_parents(review: Mapping[str, Any]) -> bool:
    """A review involved the parents when one of them was there, or their views are recorded in it."""
    attended = any(is_parent_role(a["role"]) for a in review.get("attendees") or ())
    return attended or bool((review.get("parent_views") or "").strip())


def counts(record: Record) -> bool:
    """Whether an entry still counts: not voided (recorded in error)."""
    return not is_voided(record)


# ------------------------------------------------------------------------------------------------ the facts


def last_review_on(plan: PlanState) -> str | None:
    """The date of the plan's latest review (by date held), if it has had one."""
    held = [r["agreed_on"] for r in plan.facts["reviews"] if counts(r)]
    return max(held) if held else None


def next_review_due(plan: PlanState) -> str | None:
    """When an open plan's next review falls due: as its latest review (by date held, then as recorded) set it, or
    as the plan was opened; a review recorded in error sets nothing."""
    if not plan.is_open:
        return None
    reviews = [r for r in plan.facts["reviews"] if counts(r)]
    if not reviews:
        return str(plan.state["initial_review_due"])
    return str(max(reviews, key=lambda r: (r["agreed_on"], r["version"]))["data"]["next_review_due"])


def quality_facts(plan: PlanState) -> Facts:
    """What the quality report needs of a plan, whatever the day (JSON-native)."""
    state = plan.state
    live = {name: [plan.items[i] for i in plan.section_items[name]
                   if plan.items[i]["status"] in LIVE_STATUSES and counts(plan.records[i][0])]
            for name in SECTIONS}
    facts = {kind: [r for r in plan.facts[kind] if counts(r)] for kind in ("reviews", "contributions",
                                                                          "acknowledgements")}
    reviews = sorted(facts["reviews"], key=lambda r: (r["agreed_on"], r["version"]))
    last = reviews[-1] if reviews else None
    meetings = {r["agreed_on"] for r in reviews if involves_parents(r["data"])}
    meetings |= {r["agreed_on"] for r in facts["acknowledgements"] if r["data"].get("method") in MEETING_METHODS}
    return {
        "open": plan.is_open,
        "tier": state["tier"],
        "opened_on": state["opened_on"],
        "barriers": [{"id": b["id"], "description": b["description"]} for b in live["barriers"]],
        "provisions": [{"id": p["id"], "description": p["description"], "barrier_ids": p["barrier_ids"],
                        "ends_on": p.get("ends_on"), "evidence_basis": bool((p.get("evidence_basis") or "").strip()),
                        "sessions_per_week": p["sessions_per_week"], "owed_from": max(p["starts_on"], p["added_on"])}
                       for p in live["provisions"]],
        "adjustments": [{"id": a["id"], "barrier_ids": a["barrier_ids"]} for a in live["adjustments"]],
        "outcomes": [{"id": o["id"], "description": o["description"], "target_date": o["target_date"],
                      "success_criteria": bool((o.get("success_criteria") or "").strip())} for o in live["outcomes"]],
        "outcomes_closed": sum(1 for i in plan.section_items["outcomes"]
                               if plan.items[i]["status"] not in LIVE_STATUSES and counts(plan.records[i][0])),
        "last_review": None if last is None else {"held_on": last["agreed_on"],
                                                  "parents_involved": involves_parents(last["data"])},
        "next_review_due": next_review_due(plan),
        "parent_meetings": sorted(meetings),
        "disagreement": _unanswered_disagreement(plan, facts["acknowledgements"], reviews),
        "professional_advice": any(r["data"]["kind"] == "professional_advice" for r in facts["contributions"]),
    }


def _unanswered_disagreement(plan: PlanState, acknowledgements: list[Record],
                             reviews: list[Record]) -> dict[str, Any] | None:
    """The parent's latest disagreement, unless the parent agreed since, or a review was held or the plan changed
    after it (by date agreed, and on the same day only if recorded after it)."""
    def after(record: Record, than: Record) -> bool:
        return (record["agreed_on"], record["version"]) > (than["agreed_on"], than["version"])

    disagreements = [r for r in acknowledgements if r["data"]["response"] == "disagree"]
    if not disagreements:
        return None
    latest = max(disagreements, key=lambda r: (r["agreed_on"], r["version"]))
    changes = [r for recs in plan.records.values() for r in recs if counts(r)
               and (r["type"] in SECTION_OF_EVENT or r["type"] == "TierChanged")]
    answered = [r for r in (*acknowledgements, *reviews, *changes)
                if after(r, latest) and (r["type"] != "AcknowledgementRecorded" or r["data"]["response"] == "agree")]
    if answered:
        return None
    parent = latest["data"].get("given_by") or (latest["actor"]["name"] if latest["actor"]["role"] == "parent"
                                                 else None)
    return {"on": latest["agreed_on"], "by": parent, "comment": latest["data"].get("comment")}


# ------------------------------------------------------------------------------------------------ the gaps


def plan_gaps(plan: PlanState, today: dt.date, delivery: Mapping[str, Mapping[str, Any]] | None = None,
              window: tuple[dt.date, dt.date] | None = None) -> list[Gap]:
    """The plan's gaps on ``today`` (see :func:`find_gaps`)."""
    return find_gaps(quality_facts(plan), today, delivery, window)


def find_gaps(facts: Facts, today: dt.date, delivery: Mapping[str, Mapping[str, Any]] | None = None,
              window: tuple[dt.date, dt.date] | None = None) -> list[Gap]:
    """The gaps of an open plan (its :func:`quality_facts`) on ``today``. ``delivery`` is each provision's planned
    against delivered over ``window``, the last six school weeks (the delivery report's figures, by provision id);
    without it, delivery is not judged."""
    if not facts["open"]:
        return []
    today_iso = today.isoformat()
    gaps: list[Gap] = []
    # A provision is in place until the end of its ends_on day, paused or not (a pause still supports a barrier).
    provisions = [p for p in facts["provisions"] if not p["ends_on"] or p["ends_on"] >= today_iso]
    barriers = {b["id"]: b for b in facts["barriers"]}
    supported = {b for p in provisions for b in p["barrier_ids"]} | {
        b for a in facts["adjustments"] for b in a["barrier_ids"]}
    if not facts["outcomes"]:
        gaps.append(_gap("plan_without_outcomes", None, (
            "All of the plan's outcomes are closed. Set the next ones, with success criteria, so that progress "
            "can be reviewed." if facts["outcomes_closed"] else
            "The plan has no intended outcomes. Set at least one, with success criteria, so that progress can be "
            "reviewed.")))
    for barrier in facts["barriers"]:
        if barrier["id"] not in supported:
            gaps.append(_gap("barrier_without_support", barrier["id"], (
                f"No provision or adjustment is in place for the barrier {_quoted(barrier['description'])}. Agree "
                "support for it, or record it as resolved.")))
    for provision in provisions:
        name = _quoted(provision["description"])
        if not any(b in barriers for b in provision["barrier_ids"]):
            gaps.append(_gap("provision_without_barrier", provision["id"], (
                f"The provision {name} addresses no barrier still in the plan. Link it to a current barrier, or "
                "end it.")))
        if facts["tier"] == "targeted" and not provision["evidence_basis"]:
            gaps.append(_gap("targeted_provision_without_evidence", provision["id"], (
                f"The Targeted provision {name} has no evidence basis. Record the evidence it draws on (for "
                "example, an intervention the EEF rates).")))
        figures = (delivery or {}).get(provision["id"])
        if figures is not None and window is not None:
            gap = _delivery_gap(provision, figures, window)
            if gap is not None:
                gaps.append(gap)
    for outcome in facts["outcomes"]:
        name = _quoted(outcome["description"])
        if not outcome["success_criteria"]:
            gaps.append(_gap("outcome_without_success_criteria", outcome["id"], (
                f"The outcome {name} has no success criteria. Say how everyone will know it has been achieved.")))
        if outcome["target_date"] < today_iso:
            gaps.append(_gap("outcome_past_target_date", outcome["id"], (
                f"The outcome {name} was to be achieved by {_day(outcome['target_date'])} and is still open. Record "
                "whether it was achieved, or agree a new target date.")))
    gaps += _review_gaps(facts, today)
    gaps += _parent_gaps(facts, today)
    if facts["tier"] == "targeted_plus" and not facts["professional_advice"]:
        gaps.append(_gap("targeted_plus_without_professional_advice", None, (
            "This Targeted Plus plan has no professional advice recorded. Add the advice of the specialist "
            "involved (for example, a speech and language therapist or an educational psychologist).")))
    order = {code: index for index, code in enumerate(codes.QUALITY_GAPS)}
    return sorted(gaps, key=lambda g: order[g["code"]])  # stable: items keep the plan's order


def _review_gaps(facts: Facts, today: dt.date) -> list[Gap]:
    last = facts["last_review"]
    since = dt.date.fromisoformat(last["held_on"] if last else facts["opened_on"])
    if add_months(since, 12) < today:
        what = (f"the last was on {_day(last['held_on'])}" if last
                else f"it was opened on {_day(facts['opened_on'])} and has never been reviewed")
        return [_gap("no_review_in_12_months", None, (
            f"The plan has not been reviewed in the last 12 months ({what}). Hold a review with the parents."))]
    # A review overdue for a year is the gap above; this is the one that fell due since.
    if facts["next_review_due"] < today.isoformat():
        return [_gap("review_overdue", None, (
            f"The next review was due on {_day(facts['next_review_due'])}. Hold it, with the parents, and record "
            "it."))]
    return []


def _parent_gaps(facts: Facts, today: dt.date) -> list[Gap]:
    gaps = []
    last = facts["last_review"]
    if last is not None and not last["parents_involved"]:
        gaps.append(_gap("parents_not_involved_in_last_review", None, (
            f"The last review ({_day(last['held_on'])}) records no parent among those present and no parent's "
            "views. Record the parents' views, or meet them to go through the plan together.")))
    year_ago = add_months(today, -12).isoformat()
    if facts["tier"] in SEN_SUPPORT_TIERS and facts["opened_on"] < year_ago:  # open more than a year
        met = [day for day in facts["parent_meetings"] if year_ago < day <= today.isoformat()]
        if len(met) < MEETINGS_A_YEAR:
            times = {0: "not met", 1: "met only once", 2: "met only twice"}[len(met)]
            when = f" ({' and '.join(_day(d) for d in met)})" if met else ""
            gaps.append(_gap("too_few_parent_meetings", None, (
                f"The parents were {times} in the last 12 months{when}. The SEND Code of Practice (6.65) expects "
                "schools to meet the parents of a child on SEN support at least three times a year: a review they "
                "attend, or a meeting or call in which they give their response to the plan.")))
    disagreement = facts["disagreement"]
    if disagreement is not None:
        who = disagreement["by"] or "A parent"
        said = f", saying {_quoted(disagreement['comment'])}," if disagreement["comment"] else ""
        gaps.append(_gap("disagreement_unanswered", None, (
            f"{who} disagreed with the plan on {_day(disagreement['on'])}{said} and it has not been reviewed or "
            "changed since. Meet the parents to resolve it, and record what was agreed.")))
    return gaps


def _delivery_gap(provision: Mapping[str, Any], figures: Mapping[str, Any],
                  window: tuple[dt.date, dt.date]) -> Gap | None:
    """Under 75% of the planned sessions delivered over the window, as the delivery report shows the rate (so
    the report and the figures agree), once enough sessions were planned to judge."""
    planned, delivered, rate = figures["planned_sessions"], figures["delivered_sessions"], figures["delivery_rate"]
    enough = max(MIN_PLANNED_TO_JUDGE, MIN_WEEKS_TO_JUDGE * provision["sessions_per_week"])
    if (planned < enough or rate is None or rate >= UNDER_DELIVERED_BELOW
            or planned - delivered < MIN_SESSIONS_SHORT):
        return None
    start, end = window
    when = f"over the last six school weeks ({_day(start.isoformat())} to {_day(end.isoformat())})"
    if provision["owed_from"] > start.isoformat():
        when = f"since it started on {_day(provision['owed_from'])}"
    parts = [f"{delivered} delivered of {_number(planned)} planned"]
    if figures["missed_sessions"]:
        reasons = ", ".join(f"{n} {MISSED_REASON_NAMES[reason]}" for reason, n in figures["missed_by_reason"].items()
                            if n)
        parts.append(f"{figures['missed_sessions']} missed ({reasons})")
    # Over the window as one: the delivery report measures each month apart (a month's sessions logged beyond the
    # plan do not make up another month's), but this sentence must add up as it reads.
    unrecorded = max(0.0, planned - delivered - figures["missed_sessions"])
    if unrecorded:
        parts.append(f"{_number(unrecorded)} not recorded")
    then = ("Find out why, and record any sessions not yet logged." if unrecorded else
            "Find out why, and agree with the parents how the sessions missed will be made up.")
    return _gap("provision_under_delivered", provision["id"], (
        f"The provision {_quoted(provision['description'])} was delivered at {round(rate * 100)}% of its planned "
        f"sessions {when}: {', '.join(parts)}. {then}"))


def delivery_window(calendar: SchoolCalendar, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The last six school weeks before today (today's sessions may not be logged yet): the 30 school days up to
    yesterday by the setting's calendar, looking back at most a year; ``None`` when the year had none."""
    days = calendar.school_days(add_months(today, -12), today - dt.timedelta(days=1))
    if not days:
        return None
    return days[-SCHOOL_DAYS_CHECKED:][0], days[-1]


def _gap(code: str, item_id: str | None, message: str) -> Gap:
    gap: Gap = {"code": code, "message": message}
    if item_id is not None:
        gap["item_id"] = item_id
    return gap


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def _quoted(text: str) -> str:
    return f"“{' '.join(text.split())}”"


def _number(value: float) -> str:
    return f"{value:g}"
