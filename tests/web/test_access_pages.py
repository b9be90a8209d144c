"""The plan's access page (``/plans/{id}/access``): who gets it, giving and taking away access, and inviting a parent
or a professional by email (account and grant in one step, nothing written when either is refused), both stores."""

from __future__ import annotations

import re
from uuid import UUID

import pytest

from isp_ledger.access import User
from isp_ledger.application import Ledger
from tests.web.conftest import Pages
from tests.web.test_pages import open_plan

SETTING, OTHER = "123456", "654321"


@pytest.fixture
def school(ledger: Ledger) -> dict[str, User]:
    people = {}
    for key, role, setting in (("admin", "admin", None), ("senco", "senco", SETTING), ("teacher", "teacher", SETTING),
                               ("other_senco", "senco", OTHER), ("parent", "parent", None),
                               ("stranger", "parent", None), ("professional", "professional", None),
                               ("handler", "complaint_handler", None)):
        people[key], _ = ledger.accounts.add_user(name=f"{key.replace('_', ' ').title()} Person", role=role,
                                                  setting_urn=setting, email=f"{key}@example.org")
    return people


def as_(pages: Pages, key: str) -> Pages:
    pages.client.cookies.clear()
    pages.sign_in(f"{key}@example.org")
    return pages


def form_version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the form sends no version"
    return found.group(1)


def accounts_with(ledger: Ledger, email: str) -> int:
    return sum(1 for a in ledger.accounts.accounts() if (a.email or "").casefold() == email.casefold())


def test_who_gets_the_access_page(pages: Pages, ledger: Ledger, school: dict[str, User]) -> None:
    plan = open_plan(ledger, school["senco"], "Amira", "Khan")
    ledger.grants.grant(school["senco"], plan, user_id=school["parent"].user_id, relationship="parent")
    path = f"/plans/{plan}/access"
    signed_out = pages.client.get(path, follow_redirects=False)
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, f"/sign-in?next={path}")
    expected = {"admin": 200, "senco": 200, "other_senco": 404, "teacher": 403, "parent": 403, "stranger": 404,
                "professional": 404, "handler": 404}
    for key, status in expected.items():
        page = as_(pages, key).client.get(path)
        assert page.status_code == status, (key, page.text)
        assert ("Who has access now" in page.text) == (status == 200), key  # the grants: shown to those only
        if status == 404:
            assert "Page not found" in page.text and "Amira" not in page.text
    [grant] = ledger.grants.plan_grants(school["senco"], plan)["grants"]
    for key, status in (("teacher", 403), ("parent", 403), ("other_senco", 404), ("stranger", 404)):
        as_(pages, key)
        assert pages.post(f"{path}/grant", {"user_id": school["professional"].user_id,
                                            "relationship": "professional"}).status_code == status, key
        assert pages.post(f"{path}/invite", {"invite-name": "New Parent", "invite-email": f"{key}.new@example.org",
                                             "invite-relationship": "parent"}).status_code == status, key
        assert pages.client.get(f"{path}/{grant['grant_id']}/revoke").status_code == status, key
        assert pages.post(f"{path}/{grant['grant_id']}/revoke", {}).status_code == status, key
        assert accounts_with(ledger, f"{key}.new@example.org") == 0
    assert [g["user"]["name"] for g in ledger.grants.plan_grants(school["senco"], plan)["grants"]] == ["Parent Person"]


def test_a_senco_invites_a_parent_who_then_signs_in_and_sees_the_plan(pages: Pages, ledger: Ledger,
                                                                      school: dict[str, User]) -> None:
    plan = open_plan(ledger, school["senco"], "Amira", "Khan")
    page = as_(pages, "senco").client.get(f"/plans/{plan}/access")
    assert "Nobody outside the school has access" in page.text
    sent = pages.post(f"/plans/{plan}/access/invite", {
        "invite-name": "Farah Khan", "invite-email": "farah.khan@example.org", "invite-relationship": "parent",
        "version": form_version(page.text)})
    assert (sent.status_code, sent.headers["location"]) == (303, f"/plans/{plan}/access?done=invitation-sent")
    shown = pages.client.get(sent.headers["location"]).text
    assert "Invitation sent" in shown and "Farah Khan" in shown
    [(to, name, where)] = pages.outbox.invited
    assert (to, name, where) == ("farah.khan@example.org", "Farah Khan", "http://localhost/sign-in")
    assert pages.outbox.sent == [("senco@example.org", pages.outbox.code_for("senco@example.org"))]  # no code
    as_(pages, "farah.khan")  # the new parent signs in with a code, as anyone does
    assert f"/plans/{plan}" in pages.client.get("/").text


def test_an_invitation_refused_leaves_no_account_and_keeps_what_was_typed(pages: Pages, ledger: Ledger,
                                                                          school: dict[str, User]) -> None:
    plan = open_plan(ledger, school["senco"], "Amira", "Khan")
    as_(pages, "senco")
    path = f"/plans/{plan}/access/invite"
    bad = pages.post(path, {"invite-name": "", "invite-email": "farah@example", "invite-relationship": "parent"})
    assert bad.status_code == 422
    assert 'href="#invite-email"' in bad.text and 'href="#invite-name"' in bad.text
    assert 'value="farah@example"' in bad.text
    handler = pages.post(path, {"invite-name": "Chris", "invite-email": "chris@example.org",
                                "invite-relationship": "complaint_handler"})
    assert handler.status_code == 422 and 'href="#invite-relationship"' in handler.text
    assert accounts_with(ledger, "chris@example.org") == 0
    # The address is a teacher's: the grant's rule refuses it, and no second account is made.
    staff = pages.post(path, {"invite-name": "Teacher", "invite-email": "teacher@example.org",
                              "invite-relationship": "parent"})
    assert staff.status_code == 409 and "already belongs to an account that is not a parent" in staff.text
    assert "Teacher Person" not in staff.text.replace("Signed in as", "")
    assert accounts_with(ledger, "teacher@example.org") == 1
    stale = pages.post(path, {"invite-name": "Farah Khan", "invite-email": "farah@example.org",
                              "invite-relationship": "parent", "version": "99"})
    assert stale.status_code == 412 and "The plan changed since you opened this page" in stale.text
    assert 'value="Farah Khan"' in stale.text and accounts_with(ledger, "farah@example.org") == 0
    assert ledger.grants.plan_grants(school["senco"], plan)["grants"] == []


def test_an_address_with_an_account_of_the_right_role_is_given_access(pages: Pages, ledger: Ledger,
                                                                      school: dict[str, User]) -> None:
    plan = open_plan(ledger, school["senco"], "Amira", "Khan")
    as_(pages, "senco")
    sent = pages.post(f"/plans/{plan}/access/invite", {"invite-name": "Whoever", "invite-email": "PARENT@example.org",
                                                       "invite-relationship": "parent"})
    assert sent.status_code == 303
    [grant] = ledger.grants.plan_grants(school["senco"], plan)["grants"]
    assert grant["user"]["user_id"] == school["parent"].user_id and accounts_with(ledger, "parent@example.org") == 1
    assert pages.outbox.invited == [("parent@example.org", "Parent Person", "http://localhost/sign-in")]


def test_a_senco_gives_a_complaint_handler_access_until_a_date_then_takes_it_away(
        pages: Pages, ledger: Ledger, school: dict[str, User], clock: object) -> None:
    plan = open_plan(ledger, school["senco"], "Amira", "Khan")
    as_(pages, "senco")
    handler = school["handler"].user_id
    missing = pages.post(f"/plans/{plan}/access/grant", {"user_id": handler, "relationship": "complaint_handler",
                                                         "reason": "Complaint 42"})
    assert missing.status_code == 422 and 'href="#expires-day"' in missing.text
    assert "Last day of access is required for a complaint handler" in missing.text and "Complaint 42" in missing.text
    unreal = pages.post(f"/plans/{plan}/access/grant", {"user_id": handler, "relationship": "complaint_handler",
                                                        "expires-day": "31", "expires-month": "2",
                                                        "expires-year": "2027"})
    assert unreal.status_code == 422 and "as a real date" in unreal.text and 'value="31"' in unreal.text
    given = pages.post(f"/plans/{plan}/access/grant", {"user_id": handler, "relationship": "complaint_handler",
                                                       "expires-day": "31", "expires-month": "1",
                                                       "expires-year": "2027", "reason": "Complaint 42"})
    assert (given.status_code, given.headers["location"]) == (303, f"/plans/{plan}/access?done=access-granted")
    page = pages.client.get(given.headers["location"]).text
    assert "Access given" in page and "31 Jan 2027" in page
    [grant] = ledger.grants.plan_grants(school["senco"], plan)["grants"]
    confirm = pages.client.get(f"/plans/{plan}/access/{grant['grant_id']}/revoke")
    assert confirm.status_code == 200 and "Take away Handler Person&#39;s access" in confirm.text
    stale = pages.post(f"/plans/{plan}/access/{grant['grant_id']}/revoke", {"reason": "Closed", "version": "1"})
    assert stale.status_code == 412 and 'Closed</textarea>' in stale.text
    taken = pages.post(f"/plans/{plan}/access/{grant['grant_id']}/revoke",
                       {"reason": "Complaint closed", "version": form_version(confirm.text)})
    assert taken.status_code == 303
    page = pages.client.get(taken.headers["location"]).text
    assert "Access taken away" in page and "Access that has ended" in page and "Complaint closed" in page
    assert [g["status"] for g in ledger.grants.plan_grants(school["senco"], plan)["grants"]] == ["revoked"]
    again = pages.client.get(f"/plans/{plan}/access/{grant['grant_id']}/revoke")
    assert again.status_code == 404
    assert isinstance(UUID(str(plan)), UUID)
