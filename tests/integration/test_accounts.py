"""Accounts on both stores (CONTRACT.md §10): e-mail addresses, who created whom, disabling, new tokens, the rules
of who manages whom (with the hook grants widen them through), and a store made by the previous release."""

from __future__ import annotations

import json
import threading
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest

from isp_ledger.access import User, token_digest
from isp_ledger.application import Ledger
from isp_ledger.application.accounts import AccountRefused
from isp_ledger.bootstrap import build_ledger
from isp_ledger.domain.errors import Forbidden, InvalidInput, NotFound
from tests.cli import isp_ledger
from tests.conftest import OTHER_SETTING, SETTING, FakeClock, People
from tests.integration.rawstore import RawStore


def test_a_user_may_have_an_email_address_unique_whatever_its_case(ledger: Ledger, store_url: str) -> None:
    user, _ = ledger.accounts.add_user(name="Pat Khan", role="parent", email="Pat.Khan@Example.org")
    assert [a.email for a in ledger.accounts.accounts() if a.user_id == user.user_id] == ["Pat.Khan@Example.org"]
    for same in ("pat.khan@example.org", "PAT.KHAN@EXAMPLE.ORG"):
        with pytest.raises(AccountRefused) as refused:
            ledger.accounts.add_user(name="Someone Else", role="parent", email=same)
        assert refused.value.rule == "email_unique"
    assert RawStore(store_url).count("isp_users") == 1
    ledger.accounts.add_user(name="No Address", role="parent")  # an address is optional, and many have none
    ledger.accounts.add_user(name="Nor Here", role="parent")
    assert RawStore(store_url).count("isp_users") == 3


@pytest.mark.parametrize("email", ["", "pat", "pat@", "@example.org", "pat@example", "pat khan@example.org",
                                   " pat@example.org", "pat@exa_mple.org", "pat..khan@example.org",
                                   "pat@-example.org", "p@1.2.3.4", "x" * 65 + "@example.org"])
def test_an_address_that_is_not_one_is_refused_naming_the_field(ledger: Ledger, store_url: str, email: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ledger.accounts.add_user(name="Pat Khan", role="parent", email=email)
    assert [e.field for e in refused.value.errors] == ["email"]
    assert RawStore(store_url).count("isp_users") == 0


@pytest.mark.parametrize("email", ["pat.khan@example.org", "o'brien+isp@school.sch.uk", "anna@bücher.example"])
def test_addresses_people_have_are_accepted(ledger: Ledger, email: str) -> None:
    ledger.accounts.add_user(name="Pat Khan", role="parent", email=email)


def test_two_users_given_one_address_at_once_only_one_is_created(ledger: Ledger, env: dict[str, str],
                                                                  clock: FakeClock, store_url: str) -> None:
    other = build_ledger(env, clock=clock)  # a second process on the same store
    results: list[str] = []
    barrier = threading.Barrier(2)

    def create(on: Ledger, name: str) -> None:
        barrier.wait()
        try:
            on.accounts.add_user(name=name, role="parent", email="same@example.org")
            results.append("created")
        except AccountRefused as e:
            results.append(e.rule)

    try:
        threads = [threading.Thread(target=create, args=(on, name)) for on, name in ((ledger, "A"), (other, "B"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    assert sorted(results) == ["created", "email_unique"]
    assert RawStore(store_url).count("isp_users") == 1


# ------------------------------------------------------------------------------------------ disabling, tokens


def test_a_disabled_users_token_is_refused_at_once_by_every_process(ledger: Ledger, env: dict[str, str],
                                                                    people: People) -> None:
    token = people.tokens["teacher"]
    assert ledger.accounts.authenticate(token) == people.teacher
    result = isp_ledger(env, "users", "disable", people.teacher.user_id)  # another process
    assert result.returncode == 0, result.stderr
    assert "Disabled teacher Tess Teacher" in result.stdout
    assert ledger.accounts.authenticate(token) is None  # this process holds no cache that could lag
    listed = [json.loads(line) for line in isp_ledger(env, "users", "list", "--json").stdout.splitlines()]
    teacher = next(u for u in listed if u["user_id"] == people.teacher.user_id)
    assert teacher["status"] == "disabled" and teacher["disabled_at"] and teacher["disabled_by"] is None
    assert {u["status"] for u in listed if u["user_id"] != people.teacher.user_id} == {"active"}


def test_a_new_token_replaces_the_old_one(ledger: Ledger, env: dict[str, str], people: People) -> None:
    old = people.tokens["senco"]
    result = isp_ledger(env, "users", "token", people.senco.user_id)
    assert result.returncode == 0, result.stderr
    new = result.stdout.strip()
    assert new.startswith("isp_") and new != old
    assert ledger.accounts.authenticate(old) is None
    assert ledger.accounts.authenticate(new) == people.senco
    assert new not in json.dumps(stored_user_rows(env)), "only the token's digest is stored"


def stored_user_rows(env: dict[str, str]) -> list[list[str]]:
    store = RawStore(env["ISP_LEDGER_DATABASE_URL"])
    return [[str(v) for v in row] for row in store.fetch(f"SELECT * FROM {store.table('isp_users')}")]


def test_a_disabled_user_gets_no_new_token_and_an_unknown_one_is_named(ledger: Ledger, env: dict[str, str],
                                                                       people: People) -> None:
    ledger.accounts.disable(None, people.parent.user_id)
    refused = isp_ledger(env, "users", "token", people.parent.user_id)
    assert refused.returncode == 2 and "disabled" in refused.stderr and "Traceback" not in refused.stderr
    unknown = isp_ledger(env, "users", "disable", "no-such-user")
    assert unknown.returncode == 2 and "No user no-such-user" in unknown.stderr
    with pytest.raises(NotFound):
        ledger.accounts.new_token("no-such-user")


def test_the_last_active_administrator_is_never_disabled(ledger: Ledger, env: dict[str, str]) -> None:
    first, _ = ledger.accounts.add_user(name="Ada Admin", role="admin")
    refused = isp_ledger(env, "users", "disable", first.user_id)
    assert refused.returncode == 2 and "last active administrator" in refused.stderr
    second, _ = ledger.accounts.add_user(name="Bea Admin", role="admin")
    ledger.accounts.disable(None, first.user_id)
    with pytest.raises(AccountRefused) as last:
        ledger.accounts.disable(None, second.user_id)
    assert last.value.rule == "last_active_admin"


def test_two_administrators_disabling_each_other_at_once_leave_one_active(
    ledger: Ledger, env: dict[str, str], clock: FakeClock
) -> None:
    admins = [ledger.accounts.add_user(name=f"Admin {n}", role="admin")[0] for n in (1, 2)]
    other = build_ledger(env, clock=clock)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def disable(on: Ledger, by: User, whom: User) -> None:
        barrier.wait()
        try:
            on.accounts.disable(by, whom.user_id)
            outcomes.append("disabled")
        except AccountRefused as e:
            outcomes.append(e.rule)

    try:
        threads = [threading.Thread(target=disable, args=(ledger, admins[0], admins[1])),
                   threading.Thread(target=disable, args=(other, admins[1], admins[0]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    assert sorted(outcomes) == ["disabled", "last_active_admin"]
    assert sum(a.active for a in ledger.accounts.accounts() if a.role == "admin") == 1


def test_nobody_disables_themselves(ledger: Ledger, people: People) -> None:
    for who in (people.admin, people.senco):
        with pytest.raises(AccountRefused) as refused:
            ledger.accounts.disable(who, who.user_id)
        assert refused.value.rule == "not_yourself"


def test_disabling_twice_changes_nothing(ledger: Ledger, people: People) -> None:
    first = ledger.accounts.disable(people.admin, people.teacher.user_id)
    again = ledger.accounts.disable(people.admin, people.teacher.user_id)
    assert again == first and first.disabled_by == people.admin.user_id


# ------------------------------------------------------------------------------------------ who manages whom


class FakeGrants:
    """Grants as the hook sees them: which users hold grants on which settings' plans."""

    def __init__(self, held: dict[str, set[str]]) -> None:
        self.held = held  # user id -> settings

    def users_granted_on_setting(self, setting_urn: str) -> AbstractSet[str]:
        return {user for user, settings in self.held.items() if setting_urn in settings}

    def settings_granting(self, user_id: str) -> AbstractSet[str]:
        return self.held.get(user_id, set())


def _visible(ledger: Ledger, who: User) -> set[str]:
    return {a.name for a in ledger.accounts.visible_to(who)}


def test_a_senco_sees_their_settings_staff_the_users_they_created_and_those_granted_on_their_plans(
    ledger: Ledger, people: People
) -> None:
    mine, _ = ledger.accounts.create_user(people.senco, name="Pat Mine", role="parent")
    ledger.accounts.create_user(people.other_senco, name="Olu Theirs", role="parent")
    assert mine.created_by == people.senco.user_id
    assert _visible(ledger, people.senco) == {"Sam Senco", "Tess Teacher", "Pat Mine"}
    assert _visible(ledger, people.other_senco) == {"Otto Other", "Olive Other", "Olu Theirs"}
    assert len(_visible(ledger, people.admin)) == len(people.users) + 2
    ledger.accounts.grants = FakeGrants({people.parent.user_id: {SETTING}})
    assert _visible(ledger, people.senco) == {"Sam Senco", "Tess Teacher", "Pat Mine", "Pat Parent"}
    for who in ("teacher", "parent", "professional", "complaint_handler"):
        with pytest.raises(Forbidden):
            ledger.accounts.visible_to(people.users[who])


def test_a_senco_disables_their_staff_and_the_users_they_created_who_hold_no_grant_elsewhere(
    ledger: Ledger, people: People
) -> None:
    mine, _ = ledger.accounts.create_user(people.senco, name="Pat Mine", role="parent")
    also_mine, _ = ledger.accounts.create_user(people.senco, name="Dr Mine", role="professional")
    ledger.accounts.grants = FakeGrants({mine.user_id: {SETTING}, also_mine.user_id: {SETTING, OTHER_SETTING},
                                         people.parent.user_id: {SETTING}})
    assert ledger.accounts.disable(people.senco, people.teacher.user_id).disabled_by == people.senco.user_id
    assert not ledger.accounts.disable(people.senco, mine.user_id).active
    with pytest.raises(Forbidden, match="another setting"):
        ledger.accounts.disable(people.senco, also_mine.user_id)  # granted on another setting's plan too
    with pytest.raises(Forbidden, match="Only an administrator"):
        ledger.accounts.disable(people.senco, people.parent.user_id)  # granted on their plans, made by another
    for stranger in (people.other_teacher, people.professional, people.admin):  # not theirs to see: not found
        with pytest.raises(NotFound):
            ledger.accounts.disable(people.senco, stranger.user_id)
    with pytest.raises(Forbidden):
        ledger.accounts.disable(people.teacher, people.parent.user_id)
    assert not ledger.accounts.disable(people.admin, also_mine.user_id).active


def test_what_a_senco_may_create(ledger: Ledger, people: People) -> None:
    teacher, _ = ledger.accounts.create_user(people.senco, name="New Teacher", role="teacher")
    assert teacher.setting_urn == SETTING
    for role in ("parent", "professional", "complaint_handler"):
        ledger.accounts.create_user(people.senco, name=f"A {role}", role=role)
    for role, setting in (("teacher", OTHER_SETTING), ("senco", SETTING), ("admin", None)):
        with pytest.raises(Forbidden):
            ledger.accounts.create_user(people.senco, name="Nope", role=role, setting_urn=setting)
    for who in ("teacher", "parent", "professional", "complaint_handler"):
        with pytest.raises(Forbidden):
            ledger.accounts.create_user(people.users[who], name="Nope", role="parent")
    with pytest.raises(InvalidInput) as refused:
        ledger.accounts.create_user(people.senco, name="", role="parent", setting_urn=SETTING, email="no")
    assert sorted(e.field for e in refused.value.errors) == ["email", "name", "setting_urn"]


# ------------------------------------------------------------------------------------------ a store of the last release

OLD_USERS = {
    "sqlite": """CREATE TABLE isp_users (user_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
        setting_urn TEXT, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL) WITHOUT ROWID""",
    "postgresql": """CREATE TABLE {table} (user_id text PRIMARY KEY, name text NOT NULL, role text NOT NULL,
        setting_urn text, token_hash text NOT NULL UNIQUE, created_at timestamptz NOT NULL)""",
}


def test_a_store_made_by_the_previous_release_gains_the_new_columns_and_keeps_its_users(
    store_url: str, env: dict[str, str], clock: FakeClock
) -> None:
    raw = RawStore(store_url)
    if raw.kind == "sqlite":
        Path(raw.path).parent.mkdir(parents=True, exist_ok=True)
    raw.execute(OLD_USERS[raw.kind].format(table=raw.table("isp_users")))
    raw.execute(f"INSERT INTO {raw.table('isp_users')} VALUES (?, ?, ?, ?, ?, ?)",
                ("old-admin", "Old Admin", "admin", None, token_digest("isp_old"), "2026-01-05T09:00:00+00:00"))
    for attempt in range(2):  # and a second start finds nothing to do
        ledger = build_ledger(env, clock=clock)
        try:
            if attempt == 0:
                old = ledger.accounts.authenticate("isp_old")
                assert old is not None and old.name == "Old Admin"
                ledger.accounts.add_user(name="New Parent", role="parent", email="new@example.org")
                with pytest.raises(AccountRefused):
                    ledger.accounts.add_user(name="Again", role="parent", email="NEW@example.org")
                ledger.accounts.add_user(name="Second Admin", role="admin")
                ledger.accounts.disable(None, "old-admin")
            assert ledger.accounts.authenticate("isp_old") is None
            accounts = {a.name: a for a in ledger.accounts.accounts()}
            assert accounts["Old Admin"].created_at is not None and accounts["Old Admin"].email is None
            assert accounts["New Parent"].email == "new@example.org"
        finally:
            ledger.close()
