"""Concurrent writers on one plan: no lost update, no gap, no duplicate version (CONTRACT.md §2)."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx

from tests.e2e.helpers import Api, assert_problem, assert_written

THREADS = 16
WRITES_PER_THREAD = 10


def test_many_concurrent_writers_lose_nothing(api: Api) -> None:
    plan_id = api.open_plan()
    start = threading.Barrier(THREADS)
    whos = ["senco", "teacher", "admin"]

    def writer(thread: int) -> list[httpx.Response]:
        start.wait(timeout=30)
        responses = []
        for n in range(WRITES_PER_THREAD):
            who = whos[(thread + n) % len(whos)]
            responses.append(api.post(f"/v1/plans/{plan_id}/contributions",
                                      {"kind": "pupil_voice", "text": f"thread {thread} write {n}"}, who))
        return responses

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for batch in pool.map(writer, range(THREADS)) for r in batch]

    total = THREADS * WRITES_PER_THREAD
    written = [assert_written(r, 201, item=True) for r in results]
    assert sorted(w["version"] for w in written) == list(range(2, total + 2))
    assert len({w["event_id"] for w in written}) == total
    assert len({w["item_id"] for w in written}) == total

    events = api.events(plan_id)
    assert [e["version"] for e in events] == list(range(1, total + 2))
    by_version = {w["version"]: w for w in written}
    for event in events[1:]:
        assert event["event_id"] == by_version[event["version"]]["event_id"]
        assert event["data"]["contribution_id"] == by_version[event["version"]]["item_id"]
    for previous, event in itertools.pairwise(events):
        assert event["prev_hash"] == previous["hash"]
        assert event["recorded_at"] > previous["recorded_at"]

    document = api.plan(plan_id)
    assert document["version"] == total + 1
    texts = sorted(c["text"] for c in document["contributions"])
    assert texts == sorted(f"thread {t} write {n}" for t in range(THREADS) for n in range(WRITES_PER_THREAD))

    result = api.verify(plan_id)
    assert (result["ok"], result["events_checked"], result["head_hash"]) == (True, total + 1, events[-1]["hash"])


def test_concurrent_writers_with_the_same_if_match_exactly_one_wins(api: Api) -> None:
    plan_id = api.open_plan()
    api.add_barrier(plan_id)  # version 2
    writers = 12
    start = threading.Barrier(writers)

    def writer(n: int) -> httpx.Response:
        start.wait(timeout=30)
        return api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "parent_view", "text": f"writer {n}"},
                        **{"If-Match": '"2"'})

    with ThreadPoolExecutor(writers) as pool:
        responses = list(pool.map(writer, range(writers)))
    winners = [r for r in responses if r.status_code == 201]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert assert_written(winners[0], item=True)["version"] == 3
    for response in responses:
        if response.status_code != 201:
            assert assert_problem(response, 412)["current_version"] == 3
    assert api.event_count(plan_id) == 3
    [contribution] = api.plan(plan_id)["contributions"]
    assert contribution["id"] == winners[0].json()["item_id"]


def test_concurrent_writers_on_different_plans(api: Api) -> None:
    plans = [api.open_plan() for _ in range(4)]
    start = threading.Barrier(8)

    def writer(n: int) -> list[httpx.Response]:
        start.wait(timeout=30)
        plan_id = plans[n % len(plans)]
        return [api.post(f"/v1/plans/{plan_id}/contributions", {"kind": "pupil_voice", "text": f"{n}-{i}"})
                for i in range(5)]

    with ThreadPoolExecutor(8) as pool:
        responses = [r for batch in pool.map(writer, range(8)) for r in batch]
    assert all(r.status_code == 201 for r in responses)
    for plan_id in plans:
        events = api.events(plan_id)
        assert [e["version"] for e in events] == list(range(1, 12))
        assert api.verify(plan_id)["ok"] is True
