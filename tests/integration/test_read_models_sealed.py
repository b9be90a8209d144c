"""Every read model keeps a pupil's personal values only sealed under the pupil's key (CONTRACT.md §11), reads them
back as they were, reads them as ``null`` (structure kept) once the key is destroyed, and rebuilds to the same."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import orjson
import pytest

from isp_ledger.application import Ledger
from isp_ledger.storage.companions import DestroyDataKey
from isp_ledger.storage.sealing import row_aad as storage_row_aad
from projections import current_plan, delivery, plan_index, quality, reviews_due, timeline
from projections.base import View
from projections.log import row_aad
from projections.rebuild import rebuild
from projections.runner import Projector
from tests import samples
from tests.conftest import SETTING, FakeClock, People
from tests.integration.read_models import raw_rows, read_model_rows
from tests.integration.test_projections import number_pending

PUPILS = [("Zephyrine", "Quillfeather", "2015-02-03"), ("Bartholomew", "Nettlestone", "2015-04-05"),
          ("Ottoline", "Ravensworth", "2015-06-07")]


def write_school(ledger: Ledger, people: People, clock: FakeClock) -> list[dict[str, Any]]:
    """Three plans, each with its pupil's distinctive names and sentences in every kind of free text."""
    senco, commands = people.senco, ledger.commands
    clock.set(dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC))
    ledger.calendars.set_calendar(senco, SETTING, holidays=[], closures=[])
    written = []
    for given, family, born in PUPILS:
        upn = samples.new_upn()
        body = samples.plan_body(pupil=samples.pupil(upn=upn, given_name=given, family_name=family,
                                                     date_of_birth=born), next_review_due="2026-09-20")
        plan_id = UUID(commands.open_plan(senco, **body).body["plan_id"])
        sentences = {
            "barrier": f"{given} freezes when asked to read aloud in front of the class",
            "provision": f"Quiet reading with {given} before registration",
            "delivered_by": f"Mrs Hollowbrook for {family}",
            "outcome": f"{given} reads a page aloud to a friend",
            "parent_views": f"{given} now reads to her grandmother on Sundays",
            "void_reason": f"entered on the wrong day for {family}",
            "given_by": f"Mx {family}",
        }
        barrier_id = commands.add_item(senco, plan_id, "barriers",
                                       samples.barrier(description=sentences["barrier"])).body["item_id"]
        provision_id = commands.add_item(senco, plan_id, "provisions", samples.provision(
            [barrier_id], description=sentences["provision"], delivered_by=sentences["delivered_by"],
            starts_on="2026-09-01")).body["item_id"]
        commands.add_item(senco, plan_id, "outcomes", samples.outcome([barrier_id], description=sentences["outcome"],
                                                                      success_criteria=""))
        commands.hold_review(senco, plan_id, samples.review(held_on="2026-09-01", next_review_due="2026-09-25",
                                                            parent_views=sentences["parent_views"]))
        commands.record_acknowledgement(senco, plan_id, {"version": 1, "response": "disagree", "method": "email",
                                                         "given_by": sentences["given_by"]})
        commands.record_session(senco, entries=[{"plan_id": str(plan_id), "provision_id": provision_id}],
                                session={"date": "2026-09-01", "status": "delivered"})
        adjustment = commands.add_item(senco, plan_id, "adjustments", samples.adjustment([barrier_id]))
        events = ledger.history.plan_events(senco, plan_id)
        commands.correct(senco, plan_id, event_id=events[-1]["event_id"], reason=sentences["void_reason"], void=True)
        assert adjustment.body["item_id"]
        written.append({"plan_id": plan_id, "given": given, "family": family, "upn": upn, "born": born,
                        "sentences": sentences, "provision_id": provision_id})
    return written


def secrets_of(plan: dict[str, Any]) -> list[str]:
    return [plan["given"], plan["family"], plan["upn"], plan["born"], *plan["sentences"].values()]


class Reads:
    """What the read models answer, through the read functions the API calls."""

    def __init__(self, ledger: Ledger, views: dict[str, View]) -> None:
        self.ledger, self.views = ledger, views
        self.today = dt.date(2026, 10, 1)

    def document(self, plan_id: UUID) -> dict[str, Any]:
        stored = current_plan.read(self.views["current_plan"], plan_id, self.ledger.history.today())
        assert stored is not None
        document: dict[str, Any] = orjson.loads(stored.json)
        return document

    def timeline(self, plan_id: UUID) -> list[dict[str, Any]]:
        return timeline.entries(self.views["timeline"], plan_id, limit=100)[0]

    def listing(self, **filters: Any) -> list[list[dict[str, Any]]]:
        """Every page of the listing, two plans a page."""
        pages, cursor = [], None
        while True:
            page, cursor = plan_index.search(self.views["plan_index"], setting_urns=None, limit=2, cursor=cursor,
                                             **filters)
            pages.append(page)
            if cursor is None:
                return pages

    def reports(self) -> dict[str, Any]:
        calendars = self.ledger.calendars.school_calendar
        start, end = dt.date(2026, 9, 1), dt.date(2026, 9, 30)
        return {
            "reviews_due": reviews_due.report(self.views["reviews_due"], SETTING, self.today),
            "quality": quality.report(self.views["quality"], SETTING, self.today),
            "delivery": delivery.setting_report(self.views["delivery"], SETTING, start, end, calendars,
                                                today=self.today, late_entry_days=5),
        }

    def plan_delivery(self, plan_id: UUID) -> dict[str, Any]:
        return delivery.plan_report(self.views["delivery"], plan_id, dt.date(2026, 9, 1), dt.date(2026, 9, 30),
                                    self.ledger.calendars.school_calendar, today=self.today, late_entry_days=5)

    def everything(self, plans: list[dict[str, Any]]) -> dict[str, Any]:
        return {"documents": [self.document(p["plan_id"]) for p in plans],
                "timelines": [self.timeline(p["plan_id"]) for p in plans],
                "listing": self.listing(), "search": self.listing(name="quill"), **self.reports(),
                "plan_delivery": [self.plan_delivery(p["plan_id"]) for p in plans]}


@pytest.fixture
def school(ledger: Ledger, people: People, clock: FakeClock) -> tuple[list[dict[str, Any]], Projector]:
    plans = write_school(ledger, people, clock)
    number_pending(ledger)
    projector = Projector(ledger.store)
    projector.catch_up()
    return plans, projector


def views(projector: Projector) -> dict[str, View]:
    return {name: model.view for name, model in projector.models.items()}


def test_no_read_model_table_holds_a_name_upn_date_of_birth_or_sentence_in_clear(
    school: tuple[list[dict[str, Any]], Projector]
) -> None:
    plans, projector = school
    for name, view in views(projector).items():
        stored = repr(raw_rows(view))
        assert len(stored) > 200, name  # the tables hold the plans' rows
        for plan in plans:
            for secret in secrets_of(plan):
                assert secret not in stored, (name, secret)
        opened = repr(read_model_rows(view))
        assert any(secret in opened for plan in plans for secret in secrets_of(plan)), name


def test_the_read_models_read_back_what_was_written(
    ledger: Ledger, people: People, school: tuple[list[dict[str, Any]], Projector]
) -> None:
    plans, projector = school
    reads = Reads(ledger, views(projector))
    for plan in plans:
        document = reads.document(plan["plan_id"])
        assert document == ledger.history.plan_document(people.admin, plan["plan_id"])
        assert document["pupil"]["given_name"] == plan["given"]
        assert document["barriers"][0]["description"] == plan["sentences"]["barrier"]
        entries = reads.timeline(plan["plan_id"])
        assert all(e["summary"] for e in entries)
        voided = [e for e in entries if "voided" in e]
        assert len(voided) == 1 and voided[0]["voided"]["reason"] == plan["sentences"]["void_reason"]
        assert voided[0]["voided"]["actor"]["name"] == "Sam Senco"
        report = reads.plan_delivery(plan["plan_id"])
        assert [(p["description"], p["delivered_by"]) for p in report["provisions"]] == [
            (plan["sentences"]["provision"], plan["sentences"]["delivered_by"])]
    by_name = sorted(plans, key=lambda p: p["family"])
    listed = reads.listing()
    assert [len(page) for page in listed] == [2, 1]
    assert [(p["family_name"], p["given_name"]) for page in listed for p in page] == [
        (p["family"], p["given"]) for p in by_name]
    assert [[p["plan_id"] for p in page] for page in reads.listing(name="quill")] == [[str(plans[0]["plan_id"])]]
    assert plan_index.search(reads.views["plan_index"], setting_urns=None,
                             upn_key=ledger.upn_key(plans[1]["upn"]))[0][0]["family_name"] == "Nettlestone"
    reports = reads.reports()
    assert [p["pupil"]["family_name"] for p in reports["reviews_due"]] == [p["family"] for p in by_name]
    assert [p["pupil"]["family_name"] for p in reports["quality"]] == [p["family"] for p in by_name]
    gaps = {g["code"]: g for g in reports["quality"][0]["gaps"]}
    assert plan_index.name_key("Nettlestone") in plan_index.name_key(gaps["disagreement_unanswered"]["message"])
    assert [p["pupil"]["family_name"] for p in reports["delivery"]["plans"]] == [p["family"] for p in by_name]


def test_a_cursor_carries_no_name_and_continues_after_a_plan_that_left_the_filter(
    ledger: Ledger, people: People, school: tuple[list[dict[str, Any]], Projector]
) -> None:
    plans, projector = school
    view = projector.models["plan_index"].view
    first, cursor = plan_index.search(view, setting_urns=None, status="open", limit=1)
    assert first[0]["family_name"] == "Nettlestone" and cursor is not None
    assert "Nettlestone" not in repr(plan_index.decode_cursor(cursor))
    ledger.commands.close_plan(people.senco, plans[1]["plan_id"], reason="moved away")
    number_pending(ledger)
    projector.catch_up()
    rest, _ = plan_index.search(view, setting_urns=None, status="open", limit=5, cursor=cursor)
    assert [p["family_name"] for p in rest] == ["Quillfeather", "Ravensworth"]
    for bad in ("not-a-cursor", plan_index.encode_cursor(["Nettlestone", "Bartholomew", str(plans[1]["plan_id"])]),
                plan_index.encode_cursor([str(UUID(int=7))])):
        with pytest.raises(ValueError, match="not one this service gave out"):
            plan_index.search(view, setting_urns=None, cursor=bad)


def test_after_a_key_is_destroyed_its_plan_reads_with_nulls_and_structure_and_the_others_fully(
    ledger: Ledger, people: People, school: tuple[list[dict[str, Any]], Projector]
) -> None:
    plans, projector = school
    reads = Reads(ledger, views(projector))
    before = reads.everything(plans)
    erased = plans[0]
    ledger.store.insert([], [DestroyDataKey(erased["plan_id"], "2026-10-01T09:00:00Z")])
    ledger.store.data_keys.forget(erased["plan_id"])

    after = reads.everything(plans)
    document = after["documents"][0]
    assert document["pupil"] == {"upn": None, "given_name": None, "family_name": None, "date_of_birth": None}
    assert (document["plan_id"], document["version"], document["status"], document["tier"]) == (
        str(erased["plan_id"]), before["documents"][0]["version"], "open", "targeted")
    barrier = document["barriers"][0]
    assert barrier["description"] is None
    assert {k: v for k, v in barrier.items() if k != "description" and v is not None} == {
        k: v for k, v in before["documents"][0]["barriers"][0].items() if k in barrier and v is not None
        and k not in ("description", "evidence")} | {"id": barrier["id"]}
    assert document["outcomes"][0]["id"] == before["documents"][0]["outcomes"][0]["id"]
    assert document["reviews"][0]["parent_views"] is None
    entries = after["timelines"][0]
    assert [(e["version"], e["type"], e["recorded_at"]) for e in entries] == [
        (e["version"], e["type"], e["recorded_at"]) for e in before["timelines"][0]]
    assert all(e["summary"] is None for e in entries)
    assert all(e["actor"] == {"user_id": people.senco.user_id, "name": "Sam Senco", "role": "senco"}
               for e in entries)
    voided = next(e for e in entries if "voided" in e)
    assert voided["voided"]["reason"] is None and voided["voided"]["version"] is not None
    assert after["documents"][1:] == before["documents"][1:]
    assert after["timelines"][1:] == before["timelines"][1:]

    listed = [p for page in after["listing"] for p in page]
    gone = next(p for p in listed if p["plan_id"] == str(erased["plan_id"]))
    assert (gone["given_name"], gone["family_name"], gone["status"]) == (None, None, "open")
    assert [p for p in listed if p is not gone] == [p for page in before["listing"] for p in page
                                                    if p["plan_id"] != str(erased["plan_id"])]
    assert after["search"] == [[]]
    assert [p["pupil"] for p in after["reviews_due"]] == [
        {"given_name": None, "family_name": None},
        *(p["pupil"] for p in before["reviews_due"] if p["plan_id"] != str(erased["plan_id"]))]
    assert [p["plan_id"] for p in after["quality"]] == [p["plan_id"] for p in before["quality"]
                                                        if p["plan_id"] != str(erased["plan_id"])]
    assert after["delivery"]["totals"] == before["delivery"]["totals"]
    provision = after["plan_delivery"][0]["provisions"][0]
    assert (provision["description"], provision["delivered_by"]) == (None, None)
    assert {k: v for k, v in provision.items() if k not in ("description", "delivered_by")} == {
        k: v for k, v in before["plan_delivery"][0]["provisions"][0].items()
        if k not in ("description", "delivered_by")}
    assert after["plan_delivery"][1:] == before["plan_delivery"][1:]

    # A rebuild of every read model, with the key gone, reads the same.
    generations = rebuild(ledger.store)
    rebuilt = {name: View(projector.sql, name, generation, projector.models[name].view.tables,
                          sealer=ledger.store.sealer) for name, generation in generations.items()}
    again = Reads(ledger, rebuilt).everything(plans)
    # Folded again from events whose personal values are gone, a part leaves out a field shown only when given
    # (an acknowledgement's ``given_by``) rather than showing it ``null``: the same as a read of the event log.
    assert without_nulls(again.pop("documents")) == without_nulls(after.pop("documents"))
    assert again == after


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def test_a_rebuild_reads_the_same(ledger: Ledger, school: tuple[list[dict[str, Any]], Projector]) -> None:
    plans, projector = school
    before = Reads(ledger, views(projector)).everything(plans)
    generations = rebuild(ledger.store)
    rebuilt = {name: View(projector.sql, name, generation, projector.models[name].view.tables,
                          sealer=ledger.store.sealer) for name, generation in generations.items()}
    assert Reads(ledger, rebuilt).everything(plans) == before


def test_a_sealed_value_moved_to_another_row_does_not_open(school: tuple[list[dict[str, Any]], Projector]) -> None:
    plans, projector = school
    view = projector.models["plan_index"].view
    moved = view.sql.fetch(view.q("SELECT family_name FROM {plans} WHERE plan_id = ?"), (str(plans[0]["plan_id"]),))
    with view.sql.write() as cursor:
        cursor.execute(view.q("UPDATE {plans} SET given_name = ? WHERE plan_id = ?"),
                       (moved[0][0], str(plans[0]["plan_id"])))
    with pytest.raises(ValueError, match="altered or moved"):
        plan_index.search(view, setting_urns=None)


def test_the_read_side_binds_values_as_the_storage_layer_does() -> None:
    plan_id = UUID(int=5)
    assert row_aad(plan_id, "timeline.entries.summary.x") == storage_row_aad(plan_id, "timeline.entries.summary.x")
