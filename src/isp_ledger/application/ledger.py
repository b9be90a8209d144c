"""The ledger: the application's parts, as the composition root (``isp_ledger.bootstrap``) puts them together.

Each part does one thing a reader comes looking for: ``commands`` change plans, ``history`` answers what a
plan said and when, ``integrity`` verifies and signs, ``calendars``, ``setting_details`` and ``accounts`` keep the
settings' and the people's records, ``grants`` who a plan is shared with,
``groups`` the settings' saved groups and their sessions, ``access_log`` who was shown what, and
``privacy`` erasure and legal holds, ``sign_in`` the web pages' codes and sessions.
``writes`` (the write path) and ``plans`` (loading, the cache, and who may see a plan) serve the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from isp_ledger.application.access_log import AccessLog
from isp_ledger.application.accounts import Accounts
from isp_ledger.application.base import Clock
from isp_ledger.application.calendars import Calendars, SettingDetails
from isp_ledger.application.commands import PlanCommands
from isp_ledger.application.grants import PlanGrants
from isp_ledger.application.groups import Groups
from isp_ledger.application.history import PlanHistory
from isp_ledger.application.integrity import Integrity
from isp_ledger.application.plans import Plans
from isp_ledger.application.privacy import PlanPrivacy
from isp_ledger.application.signin import SignIn
from isp_ledger.application.writes import WritePath
from isp_ledger.config import Settings
from isp_ledger.storage.signing import Signer
from isp_ledger.storage.store import PlanStore


@dataclass(frozen=True)
class Ledger:
    store: PlanStore
    clock: Clock
    signer: Signer
    plans: Plans
    writes: WritePath
    commands: PlanCommands
    history: PlanHistory
    integrity: Integrity
    calendars: Calendars
    accounts: Accounts
    setting_details: SettingDetails
    grants: PlanGrants
    access_log: AccessLog
    privacy: PlanPrivacy
    sign_in: SignIn
    groups: Groups

    @property
    def settings(self) -> Settings:
        return self.store.settings

    def upn_key(self, upn: str) -> str:
        return self.store.upn_key(upn)

    def close(self) -> None:
        self.sign_in.close()
        self.access_log.store.close()
        self.store.close()
