"""What the demo built, for the person who ran it: the school, its plans and sessions, the demo users with their
tokens, and a few requests to try at once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from isp_ledger.demo.school import School
from isp_ledger.demo.sharing import email_of, work_email
from isp_ledger.demo.state import Tally

TIER_NAMES = {"targeted": "Targeted", "targeted_plus": "Targeted Plus", "specialist": "Specialist"}
MISSED_NAMES = {"pupil_absent": "pupil absent", "staff_absent": "staff absent", "timetable_clash": "timetable clash",
                "school_closed": "school closed", "pupil_declined": "pupil declined", "other": "other"}
WHO = {"admin": "admin", "senco": "senco", "teacher": "teacher", "ta": "teacher (TA)", "parent": "parent",
       "complaint_handler": "complaint_handler", "professional": "professional"}


@dataclass(frozen=True)
class DemoUser:
    key: str  # admin, senco, teacher, ta, parent, complaint_handler, professional
    user_id: str
    name: str
    role: str
    token: str
    email: str


@dataclass(frozen=True)
class DemoPlan:
    plan_id: UUID
    pupil: str
    tier: str
    open: bool


@dataclass(frozen=True)
class DemoReport:
    school_name: str
    setting_urn: str
    first_day: dt.date
    today: dt.date
    seconds: float
    plans: list[DemoPlan]
    tally: Tally
    users: list[DemoUser]
    parent_plan: DemoPlan | None  # the plan of the demo parent's child

    @classmethod
    def of(cls, school: School, seconds: float) -> DemoReport:
        plans = [DemoPlan(s.plan_id, s.pupil.name, s.tier, s.closed_on is None) for s in school.plans
                 if s.plan_id is not None]
        users = [DemoUser(key, user.user_id, user.name, user.role, school.tokens[key],
                          email_of(school.plans[0].pupil, school.urn) if key == "parent"
                          else work_email(user.name, school.urn))
                 for key, user in school.users.items()]
        first = next((p for p in plans if p.plan_id == school.plans[0].plan_id), None)
        return cls(school.name, school.urn, school.years[0].first_day, school.today, seconds, plans,
                   school.tally, users, first)

    def open_by_tier(self) -> Counter[str]:
        return Counter(p.tier for p in self.plans if p.open)

    def token(self, key: str) -> str:
        return next(u.token for u in self.users if u.key == key)


def describe(report: DemoReport, delivery: dict[str, Any] | None = None) -> list[str]:
    """The closing summary, as lines of rich markup; ``delivery``: the setting's delivery totals for the whole
    history, when the read models were brought up to date."""
    tally = report.tally
    tiers = report.open_by_tier()
    closed = sum(1 for p in report.plans if not p.open)
    recorded = tally.delivered + tally.missed
    missed = ", ".join(f"{MISSED_NAMES[reason]} {tally.sessions[reason]:,}" for reason in MISSED_NAMES
                       if tally.sessions[reason])
    lines = [
        f"[bold]{report.school_name}[/bold] (URN {report.setting_urn}): a school history from "
        f"{report.first_day:%A} {report.first_day.day} {report.first_day:%B %Y} to today, "
        f"{report.today.day} {report.today:%B %Y}, built in {report.seconds:.1f} s.",
        "",
        f"Plans: {len(report.plans)} — {sum(tiers.values())} open ("
        + ", ".join(f"{name} {tiers[tier]}" for tier, name in TIER_NAMES.items()) + f"), {closed} closed.",
        f"Sessions logged: {recorded:,} — delivered {tally.delivered:,}"
        + (f" ({tally.delivered / recorded:.0%} of those logged)" if recorded else "") + f", missed {tally.missed:,}"
        + (f" ({missed})" if missed else "") + ".",
    ]
    if delivery is not None:
        rate = delivery.get("delivery_rate")
        lines.append(f"Against the school calendar: {delivery['planned_sessions']:,} sessions planned, "
                     f"{delivery['unrecorded_sessions']:,} never logged"
                     + (f"; delivery rate {rate:.0%}" if isinstance(rate, (int, float)) else "") + ".")
    contributions, answers = tally.contributions, tally.acknowledgements
    lines += [
        f"Reviews {tally.reviews}; parents' views {contributions['parent_view']}, pupils' voices "
        f"{contributions['pupil_voice']}, professional advice {contributions['professional_advice']}; parents' "
        f"responses {sum(answers.values())} (agree {answers['agree']}, seen {answers['seen']}, disagree "
        f"{answers['disagree']}); progress measured {tally.progress} times.",
        f"Corrections {tally.corrections}; back-dated entries {tally.backdated:,} (typed in after the day they "
        "record: registers typed up next morning, progress checks, signed forms, a plan entered a week after its "
        f"meeting); tier changes {tally.tier_changes}; calendar versions {tally.calendar_versions}; "
        f"{tally.events:,} events in all.",
        f"Shared with {tally.grants['parent']} parents, a professional on {_plans(tally.grants['professional'])} and "
        f"a complaint handler on {_plans(tally.grants['complaint_handler'])}: each grant an entry in its plan's "
        "history.",
        "",
        "[bold]Demo users[/bold] (each token is shown only now; the store keeps a digest):",
    ]
    for user in report.users:
        extra = f"  (setting {report.setting_urn})" if user.role in ("senco", "teacher") else ""
        if user.key == "parent" and report.parent_plan is not None:
            extra = f"  parent of {report.parent_plan.pupil}: their child's plan is shared with them"
        elif user.key == "professional":
            extra = "  speech and language therapist: the Targeted Plus and Specialist plans of this school year"
        elif user.key == "complaint_handler" and report.parent_plan is not None:
            extra = f"  reviewing a complaint about {report.parent_plan.pupil}'s plan"
        lines.append(f"  {WHO[user.key]:<18} {user.name:<18} {user.token}{extra}")
    plan = report.parent_plan.plan_id if report.parent_plan else "PLAN_ID"
    base = "http://127.0.0.1:8000"
    lines += ["", f"[bold]In a browser[/bold] (after [bold]./dev serve[/bold]): open {base}/ and sign in with one of "
                  "these addresses; without ISP_LEDGER_SMTP_URL the one-time code is written in the service's log:"]
    lines += [f"  {WHO[user.key]:<18} {user.email}" for user in report.users]
    lines += [
        "",
        "[bold]Try it[/bold] (run [bold]./dev serve[/bold] in another terminal first), as the SENCO:",
        f"  export TOKEN={report.token('senco')}",
        f'  curl -s "{base}/v1/plans?setting_urn={report.setting_urn}" -H "Authorization: Bearer $TOKEN"',
        f'  curl -s "{base}/v1/plans/{plan}/timeline?limit=10" -H "Authorization: Bearer $TOKEN"',
        f'  curl -s "{base}/v1/settings/{report.setting_urn}/delivery" -H "Authorization: Bearer $TOKEN"',
        "and as the parent: the plans shared with them, their child's plan, and who has looked at it:",
        f"  export PARENT_TOKEN={report.token('parent')}",
        f'  curl -s "{base}/v1/me/plans" -H "Authorization: Bearer $PARENT_TOKEN"',
        f'  curl -s "{base}/v1/plans/{plan}" -H "Authorization: Bearer $PARENT_TOKEN"',
        f'  curl -s "{base}/v1/plans/{plan}/access-log" -H "Authorization: Bearer $PARENT_TOKEN"',
    ]
    return lines


def _plans(count: int) -> str:
    return f"{count} plan{'' if count == 1 else 's'}"
