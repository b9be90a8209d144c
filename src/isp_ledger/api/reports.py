"""What the API's listings and a setting's reports answer (CONTRACT.md §6, §8): plans visible to the caller, reviews
due, quality gaps, planned against delivered provision, and the school calendar. Documented, like the plan's own
reads, as ``reads.py`` says.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from isp_ledger.api.reads import Actor, Day, Instant, PupilName, Read, SettingShown, one_of
from isp_ledger.api.schemas import Holiday
from isp_ledger.domain import codes
from isp_ledger.domain.planning import PROVISION_TYPES


class PlanSummary(Read):
    plan_id: str
    pupil: PupilName
    setting_urn: str
    tier: str = one_of(codes.TIERS)
    status: str = Field(description="open or closed")
    next_review_due: Day | None
    opened_on: Day
    version: int


class PlanListing(Read):
    plans: list[PlanSummary] = Field(description="by family name, then given name")
    next_cursor: str | None


class ReviewDue(Read):
    plan_id: str
    pupil: PupilName
    tier: str = one_of(codes.TIERS)
    next_review_due: Day
    last_review_on: Day | None
    overdue: bool
    days_until_due: int = Field(description="negative when overdue")


class ReviewsDue(Read):
    setting_urn: str
    setting: SettingShown
    as_of: Day
    plans: list[ReviewDue] = Field(description="soonest first")


class Gap(Read):
    code: str = one_of(codes.QUALITY_GAPS, "stable: what to fix (listed in this order)")
    message: str = Field(description="what is wrong and what to do, in plain English")
    item_id: str | None = Field(None, description="the item concerned, for a gap of one item")


class PlanGaps(Read):
    plan_id: str
    pupil: PupilName
    tier: str = one_of(codes.TIERS)
    gaps: list[Gap]


class QualityReport(Read):
    setting_urn: str
    setting: SettingShown
    as_of: Day
    plans: list[PlanGaps] = Field(description="open plans with at least one gap")


class Tally(Read):
    """Figures as shown: planned sessions and minutes rounded half up to 2 places month by month, every total the
    sum of its parts as shown; ``planned + extra = delivered + missed + unrecorded``."""

    planned_sessions: float = Field(description="counted on school days up to counted_to")
    delivered_sessions: int
    missed_sessions: int
    missed_by_reason: dict[str, int]
    unrecorded_sessions: float = Field(description="planned but recorded neither delivered nor missed, month by month")
    extra_sessions: float = Field(description="recorded beyond those planned, in months where more were recorded "
                                              "than planned (planned sessions are spread evenly over school days)")
    late_sessions: int = Field(description="sessions recorded more than ISP_LEDGER_LATE_ENTRY_DAYS school days "
                                           "after they happened (counted in delivered or missed too)")
    planned_minutes: float
    delivered_minutes: int
    delivery_rate: float | None = Field(description="delivered over planned sessions; null when none were planned")


class ProvisionDelivery(Tally):
    provision_id: str
    description: str
    delivered_by: str
    location: str = one_of(codes.LOCATIONS)
    provision_type: str = one_of(PROVISION_TYPES, "the area of need of the barriers it addresses")
    status: str


class PlanDelivery(Read):
    plan_id: str
    from_: Day = Field(alias="from")
    to: Day
    counted_to: Day = Field(description="the last day counted: 'to', or today if that is earlier")
    provisions: list[ProvisionDelivery]
    totals: Tally


class TypeDelivery(Tally):
    provision_type: str = one_of(PROVISION_TYPES)


class LocationDelivery(Tally):
    location: str = one_of(codes.LOCATIONS)


class TierDelivery(Tally):
    tier: str = one_of(codes.TIERS)


class PlanDeliveryRow(Tally):
    plan_id: str
    pupil: PupilName
    tier: str = one_of(codes.TIERS)
    status: str


class SettingDelivery(Read):
    setting_urn: str
    setting: SettingShown
    from_: Day = Field(alias="from")
    to: Day
    counted_to: Day = Field(description="the last day counted: 'to', or today if that is earlier")
    totals: Tally
    by_provision_type: list[TypeDelivery]
    by_location: list[LocationDelivery]
    by_tier: list[TierDelivery]
    plans: list[PlanDeliveryRow]
    calendar_version: int


class BankHoliday(Read):
    date: Day
    name: str


class Calendar(Read):
    setting_urn: str
    version: int = Field(description="0 when none was ever set: every weekday is a school day")
    holidays: list[Holiday]
    closures: list[dt.date]
    changed_at: Instant | None
    changed_by: Actor | None
    bank_holidays: list[BankHoliday] | None = Field(
        None, description="England's bank holidays of this school year and the next: never school days, without "
                          "being entered")


class CalendarHistory(Read):
    setting_urn: str
    versions: list[Calendar] = Field(description="newest first")


class SettingDetails(Read):
    setting_urn: str
    version: int = Field(description="0 when none were ever set")
    name: str | None
    local_authority: str | None
    changed_at: Instant | None
    changed_by: Actor | None
    shown_as: str = Field(description="the setting as people are shown it: its name with its URN")


class GroupProvision(Read):
    description: str | None = Field(description="null once the plan is erased")


class GroupPupil(Read):
    given_name: str | None
    family_name: str | None


class GroupMember(Read):
    plan_id: str
    provision_id: str
    visible: bool = Field(description="false when you may no longer see the plan (moved to another setting): it "
                                      "is then shown by its ids alone")
    pupil: GroupPupil | None
    provision: GroupProvision | None
    in_force: bool = Field(description="whether a session can be logged for it today: the plan open and the "
                                       "provision in force (not ended, not paused)")
    not_in_force_because: str | None = Field(description="plan_closed, provision_ended, provision_paused, ...")


class GroupMemberIds(Read):
    plan_id: str
    provision_id: str


class GroupVersion(Read):
    group_id: str
    setting_urn: str
    version: int
    name: str
    led_by: str | None
    retired: bool = Field(description="a retired group is no longer listed or used, but stays readable")
    changed_at: Instant
    changed_by: Actor
    members: list[GroupMemberIds]


class Group(GroupVersion):
    members: list[GroupMember]  # type: ignore[assignment]


class GroupListing(Read):
    setting_urn: str
    groups: list[Group] = Field(description="the setting's live groups, by name")


class GroupHistory(Read):
    group_id: str
    versions: list[GroupVersion] = Field(description="newest first")
