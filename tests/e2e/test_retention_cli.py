"""``isp-ledger retention run [--dry-run]`` (CONTRACT.md §1, §11) on both stores, run as its own process beside a
serving one: only closed, unheld plans past date of birth + ISP_LEDGER_RETENTION_YEARS are erased; a dry run erases
nothing; the serving process sees the erasure; a rebuild of every read model keeps it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from isp_ledger.api.app import create_app
from isp_ledger.bootstrap import build_ledger
from tests import samples
from tests.cli import isp_ledger
from tests.e2e.helpers import Api, assert_written

VIEW = "Zq: she asked for the quiet room at lunch"


def plan_of(api: Api, born: str, *, closed: bool = True, held: bool = False) -> str:
    plan = api.open_plan(pupil=samples.pupil(date_of_birth=born))
    assert_written(api.post(f"/v1/plans/{plan}/contributions", {"kind": "parent_view", "text": VIEW}), 201,
                   item=True)
    if closed:
        assert_written(api.post(f"/v1/plans/{plan}/close", {"reason": "Left the school"}), 200)
    if held:
        assert_written(api.post(f"/v1/plans/{plan}/legal-hold", {"reason": "Claim threatened"}, "admin"), 200)
    return plan


def test_retention_erases_only_closed_unheld_plans_past_their_period(api: Api, env: dict[str, str]) -> None:
    settings = {**env, "ISP_LEDGER_RETENTION_YEARS": "8"}  # born 2017: due in 2025; born 2020: due in 2028
    due = plan_of(api, "2017-05-14")
    held = plan_of(api, "2017-06-01", held=True)
    still_open = plan_of(api, "2017-07-01", closed=False)
    not_yet = plan_of(api, "2020-01-01")

    dry = isp_ledger(settings, "retention", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert due in dry.stdout and "would erase" in dry.stdout
    assert held in dry.stdout and "skipped: legal hold" in dry.stdout
    assert still_open not in dry.stdout and not_yet not in dry.stdout
    assert "2025-05-14" in dry.stdout  # the day its retention ended
    assert api.plan(due, "admin")["erased"] is False

    run = isp_ledger(settings, "retention", "run")
    assert run.returncode == 0, run.stderr
    assert due in run.stdout and "erased" in run.stdout and "skipped: legal hold" in run.stdout
    erased = api.plan(due, "admin")  # this process held the plan, and notices another erased it
    assert erased["erased"] is True and erased["pupil"]["given_name"] is None
    assert erased["contributions"][0]["text"] is None
    last = api.events(due)[-1]
    assert last["type"] == "PlanErased" and last["reason"] == "Retention period ended (date of birth + 8 years)"
    assert last["actor"]["role"] == "admin"
    for other in (held, still_open, not_yet):
        document = api.plan(other, "admin")
        assert document["erased"] is False and document["contributions"][0]["text"] == VIEW, other
    assert api.verify(due)["ok"] is True

    again = isp_ledger(settings, "retention", "run")
    assert again.returncode == 0 and due not in again.stdout  # erased already: not due any more

    rebuilt = isp_ledger(settings, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    restarted = build_ledger(settings)  # a service started after the rebuild reads the rebuilt read models
    try:
        with TestClient(create_app(restarted, close_ledger=False)) as client:
            headers = api.people.headers("admin")
            timeline = client.get(f"/v1/plans/{due}/timeline", headers=headers)
            assert timeline.status_code == 200 and VIEW not in timeline.text, timeline.text
            assert client.get(f"/v1/plans/{due}", headers=headers).json()["erased"] is True
            assert VIEW in client.get(f"/v1/plans/{held}/timeline", headers=headers).text
    finally:
        restarted.close()
