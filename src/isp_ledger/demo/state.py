"""What the demo remembers of each plan it writes: the ids the ledger gave back and, for provision, when it is in
force, so that sessions are only logged for a provision on a day it was owed (as a school's register would)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from isp_ledger.demo.catalogue import AREA_OF, Outcome, Provision
from isp_ledger.demo.pupils import Pupil


@dataclass
class ProvisionState:
    kind: Provision
    item_id: str
    event_id: str  # of the entry that agreed it
    agreed_on: dt.date
    starts_on: dt.date
    ends_on: dt.date | None
    sessions_per_week: float
    minutes: int
    need: str  # the need type of the barrier it addresses
    ended_on: dt.date | None = None

    def in_force(self, day: dt.date) -> bool:
        return (self.agreed_on <= day and self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
                and (self.ended_on is None or day < self.ended_on))

    @property
    def running(self) -> bool:
        return self.ended_on is None


@dataclass
class OutcomeState:
    kind: Outcome
    item_id: str
    added_on: dt.date
    value: float
    need: str  # the need type of the barrier it is about
    target_date: dt.date
    achieved: bool = False


@dataclass
class LoggedSession:
    event_id: str
    day: dt.date
    minutes: int | None


@dataclass
class PlanState:
    pupil: Pupil
    tier: str
    plan_id: UUID | None = None
    version: int = 0
    opened_event: str = ""
    first_due: dt.date | None = None
    phone_event: str = ""  # the parent's phone call typed up late (a correction gives it its real date)
    closed_on: dt.date | None = None
    barriers: dict[str, str] = field(default_factory=dict)  # need type -> barrier id
    provisions: list[ProvisionState] = field(default_factory=list)
    adjustments: list[str] = field(default_factory=list)  # their descriptions
    outcomes: list[OutcomeState] = field(default_factory=list)
    reviews_held: int = 0
    escalate_at_review: int | None = None  # Targeted -> Targeted Plus at this review
    ehcp_at_review: int | None = None  # Targeted Plus -> Specialist (an EHC plan issued) at this review
    leaves_on: dt.date | None = None
    last_delivered: LoggedSession | None = None
    last_absent: LoggedSession | None = None

    @property
    def area(self) -> str:
        return AREA_OF[self.pupil.needs[0]]

    @property
    def id(self) -> UUID:
        """The plan's id, once it is opened."""
        assert self.plan_id is not None, "the plan is not opened yet"
        return self.plan_id

    def open_on(self, day: dt.date) -> bool:
        return self.plan_id is not None and (self.closed_on is None or day < self.closed_on)

    def wrote(self, body: dict[str, Any]) -> str:
        """Note a write's answer; return its event id."""
        self.version = int(body["version"])
        return str(body["event_id"])


@dataclass
class Tally:
    """What the demo wrote, for the closing summary."""

    events: int = 0
    sessions: Counter[str] = field(default_factory=Counter)  # "delivered" or a missed reason
    backdated: int = 0
    corrections: int = 0
    reviews: int = 0
    contributions: Counter[str] = field(default_factory=Counter)
    acknowledgements: Counter[str] = field(default_factory=Counter)
    progress: int = 0
    tier_changes: int = 0
    closed: int = 0
    calendar_versions: int = 0

    @property
    def delivered(self) -> int:
        return self.sessions["delivered"]

    @property
    def missed(self) -> int:
        return sum(n for status, n in self.sessions.items() if status != "delivered")
