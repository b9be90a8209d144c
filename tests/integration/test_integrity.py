"""Tampering with the stored record, done directly in the database, on both stores (CONTRACT.md §7).

Each way of tampering (a changed byte, a removed event, two events reordered, a chain rewritten after a
removal but for one link, ...) must be reported by ``verify`` with the first version that does not hold and a
detail saying what is wrong, by the application, over HTTP and by ``isp-ledger verify``; an untouched plan
beside it still verifies; and reading the tampered plan is never answered with a 500.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx2 as httpx
import orjson
import pytest
import rfc8785
from fastapi.testclient import TestClient

from isp_ledger.api.app import create_app
from isp_ledger.application import Ledger
from isp_ledger.bootstrap import build_ledger
from projections import READ_MODELS
from projections.base import View
from projections.rebuild import rebuild
from projections.runner import Projector
from tests.cli import isp_ledger
from tests.conftest import FakeClock, People
from tests.integration.rawstore import RawStore
from tests.integration.read_models import read_model_rows
from tests.integration.test_projections import number_pending
from tests.samples import adjustment, barrier, edit_sealed, outcome, plan_body, provision, review

GENESIS = "0" * 64
EVENTS = 7  # in every plan built by build_plan
MIDDLE = 4  # the event most tampering is done to


def build_plan(ledger: Ledger, people: People, clock: FakeClock) -> UUID:
    """A plan of seven events of different kinds; version 4 is a parent's view."""
    senco = people.senco
    plan_id = UUID(ledger.commands.open_plan(senco, **plan_body()).body["plan_id"])
    clock.advance(minutes=5)
    barrier_id = ledger.commands.add_item(senco, plan_id, "barriers", barrier()).body["item_id"]
    clock.advance(minutes=5)
    ledger.commands.add_item(senco, plan_id, "provisions", provision([barrier_id]))
    clock.advance(minutes=5)
    ledger.commands.record_contribution(senco, plan_id, {"kind": "parent_view", "text": "Reads with us most nights"})
    clock.advance(minutes=5)
    ledger.commands.add_item(senco, plan_id, "adjustments", adjustment([barrier_id]))
    clock.advance(minutes=5)
    ledger.commands.add_item(senco, plan_id, "outcomes", outcome([barrier_id]))
    clock.advance(minutes=5)
    ledger.commands.hold_review(senco, plan_id, review(held_on="2026-11-20", next_review_due="2027-03-19"))
    clock.advance(minutes=5)
    assert ledger.history.plan_document(senco, plan_id)["version"] == EVENTS
    return plan_id


def contract_hash(event: dict[str, Any]) -> str:
    """CONTRACT.md §7, computed here without the ledger's code: SHA-256 of the RFC 8785 form of the event."""
    return hashlib.sha256(rfc8785.dumps(event)).hexdigest()


def contract_seal(event: dict[str, Any]) -> tuple[bytes, str]:
    """The stored form of an event: the canonical JSON of ``{"event": ..., "hash": ...}``."""
    digest = contract_hash(event)
    return rfc8785.dumps({"event": event, "hash": digest}), digest


def stored_event(state: bytes) -> dict[str, Any]:
    event: dict[str, Any] = orjson.loads(state)["event"]
    return event


# ---------------------------------------------------------------- ways of tampering


@dataclass(frozen=True)
class Tampering:
    """Changes a plan in the database; says which version verify must name first, and a word of its detail."""

    name: str
    apply: Callable[[RawStore, UUID, UUID], None]  # (store, plan to tamper with, another plan)
    first_bad_version: int
    detail: str


def flip_content_byte(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    raw.set_state(plan_id, MIDDLE, edit_sealed(raw.states(plan_id)[MIDDLE]))  # its text, as sealed


def flip_structure_byte(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    state = raw.states(plan_id)[MIDDLE]
    at = state.index(b'"data":') + len(b'"data":')  # the object's opening brace
    raw.set_state(plan_id, MIDDLE, state[:at] + bytes([state[at] ^ 0x01]) + state[at + 1 :])  # { becomes z


def flip_hash_byte(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    state = raw.states(plan_id)[MIDDLE]
    at = state.rindex(b'"hash":"') + len(b'"hash":"')
    digit = b"1" if state[at : at + 1] == b"0" else b"0"
    raw.set_state(plan_id, MIDDLE, state[:at] + digit + state[at + 1 :])


def reformat_whitespace(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    """The same JSON value with a space added: only the bytes change, not what they mean."""
    state = raw.states(plan_id)[MIDDLE]
    raw.set_state(plan_id, MIDDLE, state.replace(b'{"event":', b'{"event": ', 1))


def change_topic(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    """The column beside the state that names the event's type: not under the hash, but checked with it."""
    raw.execute(f"UPDATE {raw.table('isp_events')} SET topic = ? WHERE originator_id = ? AND originator_version = ?",
                ("PlanClosed", str(plan_id) if raw.kind == "sqlite" else plan_id, MIDDLE))


def delete_middle(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    raw.delete(plan_id, MIDDLE)


def swap_states(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    states = raw.states(plan_id)
    raw.set_state(plan_id, MIDDLE, states[MIDDLE + 1])
    raw.set_state(plan_id, MIDDLE + 1, states[MIDDLE])


def swap_rows(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    raw.swap_versions(plan_id, MIDDLE, MIDDLE + 1)


def transplant_from_other_plan(raw: RawStore, plan_id: UUID, other: UUID) -> None:
    """A well-sealed event, but of another plan."""
    raw.set_state(plan_id, MIDDLE, raw.states(other)[MIDDLE])


def delete_and_rechain_all_but_one(raw: RawStore, plan_id: UUID, _other: UUID) -> None:
    """Remove version 3 and renumber and re-seal everything after it so the chain holds again, except that
    the event that becomes version 5 keeps its old ``prev_hash``: the first broken link is version 5."""
    states = raw.states(plan_id)
    events = {version: stored_event(state) for version, state in states.items()}
    raw.delete(plan_id, 3)
    prev = orjson.loads(states[2])["hash"]
    for old in range(4, EVENTS + 1):
        new = old - 1
        event = {**events[old], "version": new}
        if new != 5:
            event["prev_hash"] = prev
        state, prev = contract_seal(event)
        raw.execute(
            f"UPDATE {raw.table('isp_events')} SET originator_version = ?, state = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            (new, state, str(plan_id) if raw.kind == "sqlite" else plan_id, old),
        )


TAMPERINGS = [
    Tampering("a byte of an event's content", flip_content_byte, MIDDLE, "does not match its hash"),
    Tampering("a byte of an event's JSON structure", flip_structure_byte, MIDDLE, "not valid JSON"),
    Tampering("a byte of an event's stored hash", flip_hash_byte, MIDDLE, "does not match its hash"),
    Tampering("whitespace added to an event", reformat_whitespace, MIDDLE, "canonical"),
    Tampering("an event's topic column changed", change_topic, MIDDLE, "topic column was changed"),
    Tampering("a middle event deleted", delete_middle, MIDDLE, "missing"),
    Tampering("two events' contents swapped", swap_states, MIDDLE, "different plan or version"),
    Tampering("two events' rows reordered", swap_rows, MIDDLE, "different plan or version"),
    Tampering("an event replaced by another plan's", transplant_from_other_plan, MIDDLE, "different plan"),
    Tampering("an event deleted and the rest re-chained but one link", delete_and_rechain_all_but_one, 5,
              "prev_hash"),
]


@dataclass
class Scene:
    tampered: UUID
    intact: UUID
    tampering: Tampering
    intact_events: list[dict[str, Any]]  # GET .../events of the intact plan


@pytest.fixture(params=TAMPERINGS, ids=[t.name for t in TAMPERINGS])
def scene(request: pytest.FixtureRequest, ledger: Ledger, people: People, clock: FakeClock, store_url: str,
          client: TestClient) -> Scene:
    tampering: Tampering = request.param
    tampered = build_plan(ledger, people, clock)
    intact = build_plan(ledger, people, clock)
    response = client.get(f"/v1/plans/{intact}/events", headers=people.headers("admin"))
    assert response.status_code == 200, response.text
    tampering.apply(RawStore(store_url), tampered, intact)
    return Scene(tampered, intact, tampering, response.json()["events"])


@pytest.fixture
def cold_client(env: dict[str, str], clock: FakeClock) -> Iterator[TestClient]:
    """The API of a second process on the same store, which has never held the plans in memory."""
    ledger = build_ledger({**env, "ISP_LEDGER_PROJECTIONS": "external"}, clock=clock)
    with TestClient(create_app(ledger, close_ledger=True), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_reported(result: dict[str, Any], scene: Scene) -> None:
    expected = scene.tampering.first_bad_version
    assert result["ok"] is False, result
    assert result["first_bad_version"] == expected, result
    assert f"version {expected}" in result["detail"], result
    assert scene.tampering.detail.lower() in result["detail"].lower(), result
    assert "head_hash" not in result or result["head_hash"] is None, result


def assert_not_a_crash(response: httpx.Response, what: str) -> None:
    """A read of a damaged plan may succeed or be refused with a problem, but never as a server crash."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:500]}"
    if response.status_code != 200:
        assert response.headers["content-type"].startswith("application/problem+json"), what
        assert response.json()["detail"], what


# ---------------------------------------------------------------- verify reports every tampering


def test_verify_reports_the_first_bad_version_and_the_intact_plan_still_verifies(
    scene: Scene, ledger: Ledger, client: TestClient, cold_client: TestClient, people: People
) -> None:
    result = ledger.integrity.verify(None, scene.tampered)
    assert_reported(result.as_dict(), scene)
    assert result.events_checked == scene.tampering.first_bad_version - 1

    for api, process in ((client, "the writing process"), (cold_client, "a fresh process")):
        response = api.get(f"/v1/plans/{scene.tampered}/verify", headers=people.headers("admin"))
        assert response.status_code == 200, f"{process}: {response.text}"
        assert_reported(response.json(), scene)

    response = client.get(f"/v1/plans/{scene.intact}/events", headers=people.headers("admin"))
    assert response.status_code == 200, response.text
    intact_events = response.json()["events"]
    assert intact_events == scene.intact_events
    response = client.get(f"/v1/plans/{scene.intact}/verify", headers=people.headers("admin"))
    assert response.status_code == 200, response.text
    result_body = response.json()
    assert result_body["ok"] is True, result_body
    assert result_body["events_checked"] == EVENTS
    assert result_body["head_hash"] == intact_events[-1]["hash"]
    assert "first_bad_version" not in result_body


# ---------------------------------------------------------------- reading a tampered plan is never a 500


def read_paths(scene: Scene) -> list[tuple[str, dict[str, str]]]:
    recorded = [event["recorded_at"] for event in scene.intact_events]  # the plans were built alike, in turn
    after_all = (dt.datetime.fromisoformat(recorded[-1]) + dt.timedelta(days=1)).isoformat()
    path = f"/v1/plans/{scene.tampered}"
    return [
        (f"{path}/events", {}),
        (path, {}),
        (path, {"as_at": after_all}),
        (path, {"as_of": "2026-11-20"}),
        (f"{path}/timeline", {}),
        (f"{path}/diff", {"from": "1", "to": str(EVENTS)}),
    ]


def test_reading_a_tampered_plan_is_never_a_500(
    scene: Scene, client: TestClient, cold_client: TestClient, people: People
) -> None:
    """In the process that wrote the plan (which has it in memory) and in a fresh one; and the plan's own
    SENCO asking to verify it."""
    crashes = []
    requests = [(api, process, "admin", path, params)
                for api, process in ((client, "writing process"), (cold_client, "fresh process"))
                for path, params in read_paths(scene)]
    requests.append((cold_client, "fresh process", "senco", f"/v1/plans/{scene.tampered}/verify", {}))
    for api, process, who, path, params in requests:
        response = api.get(path, params=params, headers=people.headers(who))
        try:
            assert_not_a_crash(response, f"{process}, {who}: GET {path} {params}")
            if path.endswith(("/events", "/verify")):  # the tools to inspect damage must themselves work
                assert response.status_code == 200, f"{process}, {who}: GET {path}: {response.status_code}"
            elif response.status_code == 409:
                assert response.json()["type"].endswith("/record-damaged"), response.text
                assert "/verify" in response.json()["detail"], response.text
        except AssertionError as e:
            crashes.append(str(e).splitlines()[0])
    assert not crashes, "\n".join(crashes)


@contextlib.contextmanager
def projector_of_its_own(ledger: Ledger, generation: int, **options: Any) -> Iterator[Projector]:
    """A projector reading the whole log in the sequence's order, into a generation of its own."""
    projector = Projector(ledger.store, generations=dict.fromkeys(READ_MODELS, generation), **options)
    try:
        yield projector
    finally:
        for model in projector.models.values():
            model.view.drop()


def assert_rebuilt_as_projected(projector: Projector, generations: dict[str, int]) -> None:
    for name, generation in generations.items():
        view = View(projector.sql, name, generation, READ_MODELS[name].tables, sealer=projector.log.sealer)
        rebuilt = read_model_rows(view)
        assert rebuilt == read_model_rows(projector.models[name].view), name


def assert_timeline_holds(projector: Projector, versions: dict[UUID, int]) -> None:
    """Each plan's timeline holds its versions from 1 to ``versions[plan]``."""
    timeline = projector.models["timeline"].view
    for plan_id, last in versions.items():
        rows = timeline.sql.fetch(timeline.q("SELECT version FROM {entries} WHERE plan_id = ? ORDER BY version"),
                                  (str(plan_id),))
        assert [v for (v,) in rows] == list(range(1, last + 1)), plan_id


def forge(raw: RawStore, plan_id: UUID, version: int, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit the plan's event at ``version``, then re-seal it and every later event so that the chain holds."""
    states = raw.states(plan_id)
    prev = orjson.loads(states[version - 1])["hash"]
    for later in range(version, max(states) + 1):
        event = stored_event(states[later])
        if later == version:
            edit(event)
        event["prev_hash"] = prev
        state, prev = contract_seal(event)
        raw.set_state(plan_id, later, state)


def test_a_rebuild_over_a_tampered_log_completes_and_holds_what_projecting_in_sequence_holds(
    scene: Scene, ledger: Ledger
) -> None:
    """A rebuild reads the log plan by plan; a projector follows it in the sequence's order. Over a damaged
    plan both must get past it (the intact plan's rows are all there) and agree on every row."""
    number_pending(ledger)
    with projector_of_its_own(ledger, 900) as in_sequence:
        in_sequence.catch_up()
        assert_rebuilt_as_projected(in_sequence, rebuild(ledger.store))
        assert_timeline_holds(in_sequence, {scene.intact: EVENTS})


def test_a_forged_event_its_plan_cannot_take_stops_the_read_side_for_that_plan_only(
    ledger: Ledger, people: People, clock: FakeClock, store_url: str
) -> None:
    """A forgery re-sealed so that the chain holds: version 6 ends a barrier the plan never had. Decoding it
    and every check made before the read models note it pass; noting it fails. The batch is done again without
    the plan's events from version 6 on, in the sequence's order and in a rebuild's alike, and the plan is
    reported; the other plan is projected in full."""
    forged, intact = build_plan(ledger, people, clock), build_plan(ledger, people, clock)
    forge(RawStore(store_url), forged, 6,
          lambda event: event.update(type="BarrierResolved", data={"item_id": "no-such-barrier"}))
    number_pending(ledger)

    with projector_of_its_own(ledger, 901, batch_size=100) as in_sequence:
        in_sequence.catch_up()
        assert list(in_sequence.damaged) == [str(forged)]
        assert in_sequence.damaged[str(forged)].startswith("version 6: "), in_sequence.damaged
        assert_rebuilt_as_projected(in_sequence, rebuild(ledger.store))
        assert_timeline_holds(in_sequence, {forged: 5, intact: EVENTS})


def test_a_plan_passed_over_in_a_rebuild_stays_passed_over_for_events_written_meanwhile(
    ledger: Ledger, people: People, clock: FakeClock, store_url: str
) -> None:
    """A forgery the plan itself takes but the read models cannot (a parent's view turned into a kind of
    contribution no one knows, the chain re-sealed): the plan still loads, so the ledger takes new events for it.
    One written while a rebuild runs is passed over like the rest of the plan after the damage, as a projector
    reading the whole log in the sequence's order passes over it."""
    forged, intact = build_plan(ledger, people, clock), build_plan(ledger, people, clock)
    forge(RawStore(store_url), forged, 4, lambda event: event["data"].update(kind="gossip"))
    number_pending(ledger)
    written: list[bool] = []

    def write_meanwhile(_done: int, _head: int) -> None:
        if not written:
            for plan_id in (forged, intact):
                ledger.commands.record_contribution(people.senco, plan_id,
                                                    {"kind": "parent_view", "text": "Still reading"})
            written.append(True)

    generations = rebuild(ledger.store, progress=write_meanwhile)
    assert written
    number_pending(ledger)
    with projector_of_its_own(ledger, 902) as in_sequence:
        in_sequence.catch_up()
        assert list(in_sequence.damaged) == [str(forged)]
        assert_rebuilt_as_projected(in_sequence, generations)
        assert_timeline_holds(in_sequence, {forged: 3, intact: EVENTS + 1})


# ---------------------------------------------------------------- the chain is exactly what the contract says


def test_the_stored_chain_is_sha256_of_rfc8785_canonical_json(
    ledger: Ledger, people: People, clock: FakeClock, store_url: str, client: TestClient
) -> None:
    plan_id = build_plan(ledger, people, clock)
    states = RawStore(store_url).states(plan_id)
    assert sorted(states) == list(range(1, EVENTS + 1))
    response = client.get(f"/v1/plans/{plan_id}/events", headers=people.headers("admin"))
    assert response.status_code == 200, response.text
    shown = response.json()["events"]

    prev = GENESIS
    for version, state in states.items():
        sealed = orjson.loads(state)
        assert set(sealed) == {"event", "hash"}
        event = sealed["event"]
        for field in ("prev_hash", "recorded_at", "agreed_on", "actor", "plan_id", "version", "type", "data"):
            assert field in event, (version, field)
        assert event["version"] == version and event["plan_id"] == str(plan_id)
        assert event["prev_hash"] == prev, version
        assert sealed["hash"] == contract_hash(event), version
        assert state == rfc8785.dumps(sealed), "stored bytes are the canonical form"
        assert shown[version - 1]["prev_hash"] == prev and shown[version - 1]["hash"] == sealed["hash"]
        prev = sealed["hash"]

    result = ledger.integrity.verify(None, plan_id)
    assert result.ok and result.events_checked == EVENTS and result.head_hash == prev


# ---------------------------------------------------------------- isp-ledger verify PLAN_ID


def test_the_command_line_verify_exits_0_when_intact_and_non_zero_when_tampered(
    ledger: Ledger, people: People, clock: FakeClock, store_url: str, env: dict[str, str]
) -> None:
    intact = build_plan(ledger, people, clock)
    tampered = build_plan(ledger, people, clock)
    head = orjson.loads(RawStore(store_url).states(intact)[EVENTS])["hash"]
    flip_content_byte(RawStore(store_url), tampered, intact)

    sequencer = getattr(ledger.store.recorder, "sequencer", None)
    if sequencer is not None:  # PostgreSQL: the transparency log records heads as the sequencer numbers them
        sequencer.number_pending()

    ok = isp_ledger(env, "verify", str(intact))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = orjson.loads(ok.stdout)
    assert {k: report.pop(k) for k in ("ok", "events_checked", "head_hash", "head_version")} == {
        "ok": True, "events_checked": EVENTS, "head_hash": head, "head_version": EVENTS}
    assert report.pop("log_version") == EVENTS  # and where the transparency log records that head:
    assert set(report) == {"log_position", "log_entry_hash"}, report

    bad = isp_ledger(env, "verify", str(tampered))
    assert bad.returncode != 0, bad.stdout + bad.stderr
    report = orjson.loads(bad.stdout)
    assert report["ok"] is False and report["first_bad_version"] == MIDDLE, report
    assert f"version {MIDDLE}" in bad.stderr, bad.stderr
