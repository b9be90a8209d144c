"""The permission matrix (CONTRACT.md §10): every operation of ``/openapi.json`` × every kind of caller, on both
stores, each cell asserting the status §10 says it must give, that no refusal carries anything of the plan, and
that every answer showing the plan was logged in its access log (and no refusal was).

The operations come from the OpenAPI document, so a route added later cannot escape: the test fails until the new
route is given a request to send (:data:`REQUESTS`) and the permission it needs (:data:`NEEDS`). What each caller
may do is written once (:data:`MAY`, :func:`expected`), from §10, not from the code under test.

A write a caller may make is sent with a stale ``If-Match`` where the route takes one: it is then refused with 412
after the permission check and before anything changes, so the one plan every cell is about stays as it was.
(What the writes do when they succeed is shown by the tests of each feature.) Writes that take no ``If-Match``
(opening a plan, logging a session, the calendar, users) really happen, and change nothing the other cells rely on.

Callers: the administrator; the SENCO and a teacher of the plan's setting, and of another setting; a parent, a
professional and a complaint handler each with a grant on the plan, without one, with one that expired, and with
one revoked; a disabled user (who held a grant); no token; a garbage token.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx

from isp_ledger.application import Ledger
from tests import samples
from tests.conftest import SETTING
from tests.e2e.grant_helpers import disable, give, revoke
from tests.e2e.helpers import Api, assert_written

PUPIL = {"given_name": "Zebedee", "family_name": "Quixworth-Amberley"}
# Free text of the plan, each a marker no refusal may ever carry.
TEXTS = {
    "barrier": "Zq barrier: struggles to decode multisyllabic words",
    "provision": "Zq provision: precision teaching",
    "adjustment": "Zq adjustment: seated by the window",
    "outcome": "Zq outcome: reads fifty words a minute",
    "view": "Zq view: happier walking to school",
    "evidence": "Zq evidence: WIAT-III 82",
}
STALE = '"0"'  # an If-Match the plan is never at: refused (412) after the permission check, before any change

# ------------------------------------------------------------------------------------------ §10, written once

EVERYTHING = frozenset({"read", "access_log", "manage_access", "edit", "progress", "parent_view", "acknowledge",
                        "correct", "delivery"})
# What each role may do with a plan it can see (staff: their setting's; others: one granted to them).
MAY: dict[str, frozenset[str]] = {
    "admin": EVERYTHING | {"privacy"},  # erasure and legal holds: an administrator's alone (CONTRACT.md §10, §11)
    "senco": EVERYTHING,
    "teacher": frozenset({"read", "progress", "parent_view", "delivery"}),
    "parent": frozenset({"read", "access_log", "parent_view", "acknowledge"}),
    "professional": frozenset({"read"}),  # and professional advice (not a contribution this matrix sends)
    "complaint_handler": frozenset({"read"}),
}


@dataclass(frozen=True)
class Caller:
    key: str
    role: str | None  # None: no valid token
    setting: str | None = None
    sees_plan: bool = False  # by their setting, or by a grant in force


def expected(caller: Caller, need: str, success: int) -> int:
    """The status a caller must get from an operation needing ``need`` (its answer ``success`` when allowed)."""
    if need == "public":
        return success
    if need == "health":  # whether the service is up, to anyone; its detail to an administrator only
        if caller.key == "no_token":
            return success
        return 401 if caller.role is None else success if caller.role == "admin" else 403
    if caller.role is None:
        return 401
    staff_here = caller.role == "admin" or (caller.role in ("senco", "teacher") and caller.setting == SETTING)
    senco_here = caller.role == "admin" or (caller.role == "senco" and caller.setting == SETTING)
    match need:
        case "anyone":
            return success
        case "admin":
            return success if caller.role == "admin" else 403
        case "open_plan" | "setting_manager":
            return success if senco_here else 403
        case "setting_staff":
            return success if staff_here else 403
        case "manage_users":
            return success if caller.role in ("admin", "senco") else 403
        case "disable_user":  # the user was created by the plan's SENCO and holds no grant
            if caller.role == "admin" or (caller.role == "senco" and caller.setting == SETTING):
                return success
            return 404 if caller.role == "senco" else 403
        case "delivery":  # a session names its plans: refused by role before any plan is looked at
            if "delivery" not in MAY[caller.role]:
                return 403
            return success if caller.sees_plan else 404
        case "see_plan":
            return success if caller.sees_plan else 404
    if not caller.sees_plan:
        return 404  # never 403: the plan's existence is not revealed
    return success if need in MAY[caller.role] else 403


# ------------------------------------------------------------------------------------------ the operations


@dataclass
class Plan:
    """The plan every cell is about, and what requests to it need."""

    plan_id: str
    items: dict[str, str]
    event_id: str
    grant_id: str
    receipt: dict[str, Any]
    grantable: str  # a parent holding no grant
    victim: str | None  # a user the SENCO created, to disable (once users are managed over the API)
    upn: str
    group_id: str  # a group of the plan's setting, the plan's provision its member
    school_days: Iterator[dt.date]  # a day of its own for each session a cell logs (one session of a provision a day)


Request = Callable[[Plan], dict[str, Any]]  # -> keyword arguments of httpx's request: params, json, headers


def write(body: dict[str, Any] | Callable[[Plan], dict[str, Any]]) -> Request:
    """A write on the plan that takes If-Match: sent stale."""
    return lambda plan: {"json": body(plan) if callable(body) else body, "headers": {"If-Match": STALE}}


def read(**params: str) -> Request:
    return lambda plan: {"params": params}


def new_plan_body(_plan: Plan) -> dict[str, Any]:
    return {"json": samples.plan_body()}


def session(plan: Plan) -> dict[str, Any]:
    """A session on a school day of its own (one session of a provision a day)."""
    return {"json": {"entries": [{"plan_id": plan.plan_id, "provision_id": plan.items["provision"]}],
                     "date": next(plan.school_days).isoformat(), "status": "delivered"}}


def group_session(plan: Plan) -> dict[str, Any]:
    """A session of the group on a school day of its own, the plan's pupil attending."""
    return {"json": {"date": next(plan.school_days).isoformat(),
                     "attended": [{"plan_id": plan.plan_id, "provision_id": plan.items["provision"]}]}}


def new_group(plan: Plan) -> dict[str, Any]:
    """A group of its own name (names are unique among the setting's live groups)."""
    return {"json": {"name": f"Group {next(_group_numbers)}",
                     "members": [{"plan_id": plan.plan_id, "provision_id": plan.items["provision"]}]}}


_group_numbers = iter(range(1, 10_000))
def school_days() -> Iterator[dt.date]:
    """The weekdays from 7 September (the provision in force) to 20 November (the day before the cells run)."""
    return (day for day in (dt.date(2026, 9, 7) + dt.timedelta(days=n) for n in range(75)) if day.weekday() < 5)

# Each operation: what it needs (a permission of §10, or a kind of route) and the request to send.
NEEDS: dict[tuple[str, str], str] = {}
REQUESTS: dict[tuple[str, str], Request] = {}


def operation(method: str, path: str, need: str, request: Request | None = None) -> None:
    NEEDS[(method, path)] = need
    REQUESTS[(method, path)] = request or read()


P = "/v1/plans/{plan_id}"
for section, body in (("barriers", lambda p: samples.barrier()), ("adjustments", lambda p: samples.adjustment([
        p.items["barrier"]])), ("outcomes", lambda p: samples.outcome([p.items["barrier"]])),
        ("provisions", lambda p: samples.provision([p.items["barrier"]]))):
    operation("post", f"{P}/{section}", "edit", write(body))
    operation("patch", f"{P}/{section}/{{item_id}}", "edit", write({"reason": "r", "description": "changed"}))
    operation("post", f"{P}/{section}/{{item_id}}/end", "edit", write({"reason": "r"}))
operation("post", f"{P}/provisions/{{item_id}}/pause", "edit", write({"reason": "TA on leave"}))
operation("post", f"{P}/provisions/{{item_id}}/resume", "edit", write({}))
operation("post", f"{P}/outcomes/{{item_id}}/progress", "progress",
          write({"measured_on": "2026-11-20", "note": "n", "source": "s"}))
operation("post", f"{P}/tier", "edit", write({"tier": "targeted_plus", "reason": "r"}))
operation("post", f"{P}/close", "edit", write({"reason": "r"}))
operation("post", f"{P}/reviews", "edit", write(samples.review(held_on="2026-11-20")))
operation("post", f"{P}/contributions", "parent_view", write({"kind": "parent_view", "text": "t"}))
operation("post", f"{P}/acknowledgements", "acknowledge", write({"version": 1, "response": "agree"}))
operation("post", f"{P}/corrections", "correct",
          write(lambda p: {"event_id": p.event_id, "reason": "r", "changes": {"reason": "why"}}))
operation("post", f"{P}/grants", "manage_access",
          write(lambda p: {"user_id": p.grantable, "relationship": "parent"}))
operation("get", f"{P}/grants", "manage_access")
operation("delete", f"{P}/grants/{{grant_id}}", "manage_access", write({"reason": "r"}))
operation("get", f"{P}/access-log", "access_log")
operation("post", f"{P}/erase", "privacy", write({"reason": "Retention period ended"}))
operation("post", f"{P}/legal-hold", "privacy", write({"reason": "Claim threatened"}))
operation("delete", f"{P}/legal-hold", "privacy", write({"reason": "Claim withdrawn"}))
for route in ("", "/events", "/timeline", "/diff", "/delivery", "/verify", "/receipt"):
    operation("get", f"{P}{route}", "read")
operation("get", f"{P}/bundle", "read", read(format="json"))
operation("post", "/v1/plans", "open_plan", new_plan_body)
operation("get", "/v1/plans", "anyone", read(limit="200"))
operation("post", "/v1/deliveries", "delivery", session)
operation("post", "/v1/receipts/verify", "see_plan", lambda p: {"json": p.receipt})
operation("get", "/v1/log/head", "anyone")
operation("post", "/v1/log/verify", "admin")
operation("get", "/v1/keys", "anyone")
operation("get", "/v1/me", "anyone")
operation("get", "/v1/me/plans", "anyone")
for report in ("reviews-due", "quality", "calendar", "calendar/history", "delivery"):
    operation("get", f"/v1/settings/{{urn}}/{report}", "setting_staff")
operation("get", "/v1/settings/{urn}", "setting_staff")
operation("put", "/v1/settings/{urn}", "setting_manager",
          lambda p: {"json": {"name": "Zq Primary School", "local_authority": "Zq Council"}})
operation("put", "/v1/settings/{urn}/calendar", "setting_manager",
          lambda p: {"json": {"holidays": [{"start": "2026-12-21", "end": "2027-01-01"}], "closures": []}})
G = "/v1/settings/{urn}/groups"
operation("post", G, "setting_manager", new_group)
operation("get", G, "setting_staff")
operation("get", f"{G}/{{group_id}}", "setting_staff")
operation("get", f"{G}/{{group_id}}/history", "setting_staff")
operation("put", f"{G}/{{group_id}}", "setting_manager", write(lambda p: new_group(p)["json"]))
operation("delete", f"{G}/{{group_id}}", "setting_manager", write({}))
operation("post", f"{G}/{{group_id}}/sessions", "setting_staff", group_session)
operation("get", "/healthz", "health")
operation("get", "/metrics", "public")
# Users over the API (the accounts of CONTRACT.md §10), where the service has them.
operation("post", "/v1/users", "manage_users", lambda p: {"json": {"name": "New Parent", "role": "parent"}})
operation("get", "/v1/users", "manage_users")
operation("post", "/v1/users/{user_id}/disable", "disable_user")

SUCCESS = {"post": 201, "put": 200, "delete": 200}  # what an allowed request answers, unless sent stale (GET: 200)
SUCCESS_OF = {("post", "/v1/receipts/verify"): 200, ("post", "/v1/log/verify"): 200,
              ("post", "/v1/users/{user_id}/disable"): 200}


def success_of(method: str, path: str, request: dict[str, Any]) -> int:
    if request.get("headers", {}).get("If-Match") == STALE:
        return 412
    return SUCCESS_OF.get((method, path), SUCCESS.get(method, 200))


# ------------------------------------------------------------------------------------------ the set-up


def callers_and_plan(api: Api, ledger: Ledger) -> tuple[list[Caller], dict[str, str | None], Plan]:
    """The plan, its grants in every state, and every caller with their token (None: send none)."""
    api.clock.set(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    pupil = samples.pupil(**PUPIL)
    agreed = {"agreed_on": "2026-09-01"}  # the provision is in force from 7 September: sessions may be logged since
    plan_id = api.open_plan(pupil=pupil, next_review_due="2026-12-04", **agreed)
    barrier = api.add(plan_id, "barriers", samples.barrier(description=TEXTS["barrier"], evidence=TEXTS["evidence"],
                                                           **agreed))
    items = {"barrier": barrier,
             "provision": api.add(plan_id, "provisions", samples.provision([barrier], description=TEXTS["provision"],
                                                                           **agreed)),
             "adjustment": api.add(plan_id, "adjustments",
                                   samples.adjustment([barrier], description=TEXTS["adjustment"], **agreed)),
             "outcome": api.add(plan_id, "outcomes", samples.outcome([barrier], description=TEXTS["outcome"],
                                                                     **agreed))}
    assert_written(api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": TEXTS["view"]}),
                   item=True)
    people = api.people
    tokens: dict[str, str | None] = {key: people.tokens[key] for key in people.tokens}
    callers = [Caller("admin", "admin", sees_plan=True), Caller("senco", "senco", SETTING, True),
               Caller("teacher", "teacher", SETTING, True), Caller("other_senco", "senco", "654321"),
               Caller("other_teacher", "teacher", "654321")]
    grant_ids = {}
    for role in ("parent", "professional", "complaint_handler"):
        callers.append(Caller(role, role, sees_plan=True))
        grant_ids[role] = give(api, plan_id, role)["grant_id"]
        for state in ("none", "expired", "revoked"):
            key = f"{role}_{state}"
            user, tokens[key] = ledger.accounts.add_user(name=f"{role.title()} {state.title()}", role=role)
            people.users[key] = user
            callers.append(Caller(key, role))
            if state == "expired":
                give(api, plan_id, key, expires_on="2026-11-20")
            elif state == "revoked":
                revoke(api, plan_id, give(api, plan_id, key)["grant_id"], reason="No longer involved")
    disabled, tokens["disabled"] = ledger.accounts.add_user(name="Dee Disabled", role="parent")
    people.users["disabled"] = disabled
    give(api, plan_id, "disabled")
    disable(ledger, disabled.user_id)
    callers += [Caller("disabled", None), Caller("no_token", None), Caller("garbage", None)]
    tokens["no_token"], tokens["garbage"] = None, "isp_" + "x" * 43
    victim = None
    if any(path == "/v1/users" for path in api.client.get("/openapi.json").json()["paths"]):
        created = api.post("/v1/users", {"name": "Vic Victim", "role": "parent"})
        assert created.status_code == 201, created.text
        victim = created.json()["user_id"]
    receipt = api.get(f"/v1/plans/{plan_id}/receipt", "admin").json()
    group = api.post(f"/v1/settings/{SETTING}/groups", {"name": "Zq phonics", "members": [
        {"plan_id": plan_id, "provision_id": items["provision"]}]})
    assert group.status_code == 201, group.text
    event_id = api.events(plan_id)[0]["event_id"]
    api.clock.set(dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC))  # the expired grants ended at midnight
    plan = Plan(plan_id, items, event_id, grant_ids["professional"], receipt, people.users["parent_none"].user_id,
                victim, pupil["upn"], group.json()["group_id"], school_days())
    return callers, tokens, plan


def url(path: str, plan: Plan) -> str:
    values = {"plan_id": plan.plan_id, "urn": SETTING, "grant_id": plan.grant_id, "user_id": plan.victim or "",
              "group_id": plan.group_id,
              "item_id": plan.items["outcome" if "/outcomes/" in path else "provision" if "/provisions/" in path
                                    else "adjustment" if "/adjustments/" in path else "barrier"]}
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


# ------------------------------------------------------------------------------------------ the matrix


def test_every_route_for_every_caller_gives_what_section_10_says_and_leaks_nothing(api: Api, ledger: Ledger) -> None:
    started = time.monotonic()
    callers, tokens, plan = callers_and_plan(api, ledger)
    document = api.client.get("/openapi.json").json()
    operations = [(method, path) for path, methods in document["paths"].items() for method in methods]
    unknown = [f"{m.upper()} {p}" for m, p in operations if (m, p) not in NEEDS]
    assert not unknown, f"operations the matrix does not know yet (add their need and request): {unknown}"
    plan_uuid = uuid.UUID(plan.plan_id)
    secrets = [PUPIL["given_name"], PUPIL["family_name"], plan.upn, *TEXTS.values()]
    wrong: list[str] = []
    leaks: list[str] = []
    cells = 0
    for method, path in operations:
        for caller in callers:
            request = REQUESTS[(method, path)](plan)
            headers = dict(request.pop("headers", {}))
            token = tokens[caller.key]
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            want = expected(caller, NEEDS[(method, path)], success_of(method, path, {"headers": headers}))
            logged_before = ledger.access_log.store.count(plan_uuid)
            response = api.client.request(method.upper(), url(path, plan), headers=headers, **request)
            cells += 1
            cell = f"{method.upper()} {path} as {caller.key}"
            if response.status_code != want:
                wrong.append(f"{cell}: {response.status_code}, not {want}: {response.text[:160]}")
                if want == 404 and response.status_code == 403:
                    leaks.append(f"{cell}: 403 reveals that the plan exists")
            leaks += [f"{cell}: {leak}" for leak in _leaks(response, caller, plan, secrets)]
            shows_plan = response.is_success and (  # a read of the plan, or a read with the plan among its rows
                (method == "get" and ("{plan_id}" in path or plan.plan_id in response.text))
                or (method, path) == ("post", "/v1/receipts/verify"))
            logged = ledger.access_log.store.count(plan_uuid) - logged_before
            if logged != (1 if shows_plan else 0):
                wrong.append(f"{cell}: {logged} access log entries for an answer that "
                             f"{'showed' if shows_plan else 'did not show'} the plan")
    assert not leaks, f"{len(leaks)} leaks:\n" + "\n".join(leaks)
    assert not wrong, f"{len(wrong)} of {cells} cells wrong:\n" + "\n".join(wrong)
    assert cells == len(operations) * len(callers) >= 50 * 20
    seconds = time.monotonic() - started
    assert seconds < 240, f"the matrix took {seconds:.0f} s on this store; keep it fast"


def _leaks(response: httpx.Response, caller: Caller, plan: Plan, secrets: list[str]) -> list[str]:
    """What a response carries that it must not: anything of the plan in a refusal, and anything of the plan at
    all (its id included, unless echoed in a 404 about it) for a caller who may not see it."""
    text = response.text
    found = [secret for secret in secrets if secret in text]
    if response.status_code >= 400 and found:
        return [f"a {response.status_code} carries {found}"]
    if not caller.sees_plan:
        if found:
            return [f"a caller who may not see the plan was shown {found}"]
        if response.is_success and plan.plan_id in text:
            return ["a caller who may not see the plan was shown its id"]
    return []
