"""The composition root: builds the whole ledger from its settings, once, for every entry point.

The API, the command line, the projector, the demo, the benchmarks and the tests all call :func:`build_ledger`, so the
parts are wired in one place. Run as a module (``./dev serve`` does), it also creates a first administrator on
a new store, so the service can be used at once: nothing happens when any user exists; the token is printed
once, and only its digest is stored.
"""

from __future__ import annotations

import datetime as dt

from eventsourcing.utils import EnvType

from isp_ledger.application import Ledger
from isp_ledger.application.access_log import AccessLog
from isp_ledger.application.accounts import Accounts
from isp_ledger.application.base import Clock, SystemClock
from isp_ledger.application.calendars import Calendars, SettingDetails
from isp_ledger.application.commands import PlanCommands
from isp_ledger.application.grants import ActiveGrants, PlanGrants
from isp_ledger.application.groups import Groups
from isp_ledger.application.history import PlanHistory
from isp_ledger.application.integrity import Integrity
from isp_ledger.application.plans import Plans
from isp_ledger.application.privacy import PlanPrivacy
from isp_ledger.application.signin import SignIn
from isp_ledger.application.writes import WritePath
from isp_ledger.mail import mailer
from isp_ledger.migrate import require_migrated
from isp_ledger.storage.access_log import AccessLogStore
from isp_ledger.storage.grants import GrantIndex
from isp_ledger.storage.groups import GroupStore
from isp_ledger.storage.signin import SignInStore
from isp_ledger.storage.signing import Signer
from isp_ledger.storage.store import PlanStore


def build_ledger(env: EnvType | None = None, *, clock: Clock | None = None, migrated_only: bool = True) -> Ledger:
    """The ledger on the store ``env`` names (by default, the ``ISP_LEDGER_*`` variables of the process).

    A store still holding pupils' data in clear (written before per-pupil encryption) is refused with
    ``StoreNotMigrated``, naming ``isp-ledger migrate``, unless ``migrated_only`` is False (the migration itself)."""
    clock = clock or SystemClock()
    store = PlanStore(env)
    if migrated_only:
        try:
            require_migrated(store)
        except BaseException:
            store.close()
            raise
    settings = store.settings
    plans = Plans(store, settings.plan_cache_size, clock)
    writes = WritePath(store, plans, clock)
    signer = Signer(store.keys)
    calendars = Calendars(store.calendars, clock, settings.late_entry_days)
    access_log = AccessLog(AccessLogStore(store.datastore), plans, clock)
    grant_index = GrantIndex(store.datastore)
    commands = PlanCommands(writes, calendars)
    return Ledger(
        store=store,
        clock=clock,
        signer=signer,
        plans=plans,
        writes=writes,
        commands=commands,
        history=PlanHistory(plans, calendars, clock, access_log),
        integrity=Integrity(plans, signer, clock, access_log),
        calendars=calendars,
        accounts=Accounts(store.accounts, grants=ActiveGrants(grant_index, plans)),
        setting_details=SettingDetails(store.setting_details, clock),
        grants=PlanGrants(writes, store.accounts, grant_index, access_log),
        access_log=access_log,
        privacy=PlanPrivacy(writes),
        sign_in=SignIn(SignInStore(store.datastore), store.keys.secret("sign-in"), mailer(settings), clock,
                       idle=dt.timedelta(minutes=settings.session_idle_minutes),
                       lifetime=dt.timedelta(hours=settings.session_max_hours)),
        groups=Groups(GroupStore(store.datastore), plans, commands, access_log, clock),
    )


def main() -> None:
    ledger = build_ledger()
    try:
        if ledger.accounts.users():
            return
        _user, token = ledger.accounts.add_user(name="Administrator", role="admin")
    finally:
        ledger.close()
    print("No users yet, so an administrator was created. Its token (shown only now):")
    print(f"\n    {token}\n")
    print("Use it as 'Authorization: Bearer <token>'. Add people (with an e-mail address to sign in to the pages at /,")
    print("the one-time code written to this log without ISP_LEDGER_SMTP_URL) with:")
    print("    ./dev isp-ledger users add --name 'Sam Senco' --role senco --setting 123456 "
          "--email sam@school.example.org\n")


if __name__ == "__main__":
    main()
