"""Events that evolve, in the manner of eventsourcing's own ``test_upcasting``: events stored by an older class
read back through today's class with the fields it added (``None``), events of today's class round-trip, and a
"deployed" later version upcasts both. Nothing here touches a database: the events go through the ledger's own
sealing and reading (``storage/mapper.py``), as stored bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast
from uuid import uuid4

import orjson
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import JSONTranscoder

from isp_ledger.bundle.content import replay
from isp_ledger.domain import events
from isp_ledger.domain.plan import Plan
from isp_ledger.domain.stamp import Actor, Stamp
from isp_ledger.domain.view import plan_document
from isp_ledger.storage import mapper
from isp_ledger.storage.chain import GENESIS_HASH, seal, unseal
from isp_ledger.storage.mapper import ChainedMapper, event_from_envelope
from isp_ledger.storage.sealing import open_with, seal_with
from tests import samples

SENCO = Stamp(Actor("u-senco", "Sam Senco", "senco"), dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
PARENT = Stamp(Actor("u-parent", "Pat Okafor", "parent"), SENCO.now)  # their own response: no given_by, no method
Envelope = dict[str, Any]


def stored_plan() -> tuple[Plan, list[Envelope]]:
    """A plan with a provision, a session and an acknowledgement, and its events as stored (unsealed)."""
    plan = Plan.open(SENCO, **samples.plan_body(), agreed_on="2026-09-01")
    barrier = plan.add_item(SENCO, "barriers", samples.barrier(), agreed_on="2026-09-01")
    provision = plan.add_item(SENCO, "provisions", samples.provision([barrier], starts_on="2026-09-07"),
                              agreed_on="2026-09-01")
    plan.record_session(SENCO, provision, {"date": "2026-11-16", "status": "delivered", "minutes": 30}, "s-1")
    plan.record_acknowledgement(PARENT, {"version": 3, "response": "agree"})
    return plan, list(sealed(plan.collect_events()))


class OneKeySealer:
    """Seals every plan's personal values under one key (the store gives each plan its own: ``data_keys.py``)."""

    key = AESGCM(bytes(32))

    def seal(self, plan_id: Any, aad: bytes, value: Any) -> str:
        return seal_with(self.key, aad, value)

    def open(self, plan_id: Any, aad: bytes, token: str) -> Any:
        return open_with(self.key, aad, token)


def sealed(pending: Any) -> Iterator[Envelope]:
    """The events as stored, with their personal values opened again (as the store reads them)."""
    head = GENESIS_HASH
    mapper = ChainedMapper(transcoder=JSONTranscoder())
    mapper.sealer = OneKeySealer()  # type: ignore[assignment]
    for event in pending:
        stored, head = mapper.seal(event, head)
        yield mapper.open(unseal(stored.state))


def as_v1(envelope: Envelope, *dropped: str) -> Envelope:
    """The envelope as the first version of its class stored it: no class version, no fields added since."""
    event = {k: v for k, v in envelope.items() if k not in ("hash", "prev_hash", "class_version")}
    event["data"] = {k: v for k, v in envelope["data"].items() if k not in dropped}
    state, _ = seal(event, envelope["prev_hash"])
    return unseal(state)


def of_type(envelopes: list[Envelope], event_type: str) -> Envelope:
    return next(e for e in envelopes if e["type"] == event_type)


def test_events_of_a_first_version_class_are_stored_as_they_always_were() -> None:
    _, envelopes = stored_plan()
    for envelope in envelopes:
        if envelope["type"] in ("SessionRecorded", "AcknowledgementRecorded"):
            assert envelope["class_version"] == 2
        else:
            assert "class_version" not in envelope, envelope["type"]


def test_a_session_stored_before_starts_at_reads_with_starts_at_none() -> None:
    _, envelopes = stored_plan()
    v1 = as_v1(of_type(envelopes, "SessionRecorded"), "starts_at")
    assert "starts_at" not in v1["data"]
    event = cast(events.SessionRecorded, event_from_envelope(v1))
    assert type(event) is Plan.SessionRecorded
    assert event.starts_at is None
    assert event.minutes == 30
    assert "starts_at" not in v1["data"], "reading never changes the envelope it was given"


def test_an_acknowledgement_stored_before_given_by_and_method_reads_with_them_none() -> None:
    _, envelopes = stored_plan()
    v1 = as_v1(of_type(envelopes, "AcknowledgementRecorded"), "given_by", "method")
    event = cast(events.AcknowledgementRecorded, event_from_envelope(v1))
    assert (event.given_by, event.method, event.response) == (None, None, "agree")


def test_a_second_version_event_round_trips() -> None:
    plan, _ = stored_plan()
    plan.trigger_event(
        Plan.SessionRecorded, timestamp=SENCO.now, event_id=str(uuid4()), actor=SENCO.actor.as_dict(),
        agreed_on="2026-11-17", reason=None, session_id="s-2", provision_id=plan.section_items["provisions"][0],
        date="2026-11-17", status="delivered", minutes=None, missed_reason=None, delivered_by=None, note=None,
        starts_at="09:15",
    )
    plan.trigger_event(
        Plan.AcknowledgementRecorded, timestamp=SENCO.now, event_id=str(uuid4()), actor=SENCO.actor.as_dict(),
        agreed_on="2026-11-20", reason=None, acknowledgement_id="a-2", plan_version=5, response="seen",
        comment=None, given_by="Pat Okafor", method="phone",
    )
    session, acknowledgement = sealed(plan.collect_events())
    assert session["class_version"] == 2 and session["data"]["starts_at"] == "09:15"
    assert cast(events.SessionRecorded, event_from_envelope(session)).starts_at == "09:15"
    read = cast(events.AcknowledgementRecorded, event_from_envelope(acknowledgement))
    assert (read.given_by, read.method) == ("Pat Okafor", "phone")


def test_a_plan_of_both_versions_replays_and_its_document_shows_what_was_given() -> None:
    plan, envelopes = stored_plan()
    mixed = [as_v1(e, "starts_at") if e["type"] == "SessionRecorded" else e for e in envelopes]
    replayed = replay(mixed).plan
    document = plan_document(replayed)
    assert document is not None and document == plan_document(plan)
    [acknowledgement] = document["acknowledgements"]
    assert "given_by" not in acknowledgement and "method" not in acknowledgement  # not given: not shown
    assert replayed.facts["sessions"][0]["data"].get("starts_at") is None  # not given: not stored


class V3:
    """A later version "deployed": version 3 of ``SessionRecorded`` adds ``room``."""

    class SessionRecorded(events.SessionRecorded):
        room: str | None = None

        class_version = 3

        @staticmethod
        def upcast_v2_v3(data: dict[str, Any]) -> None:
            data["room"] = None


@pytest.fixture
def deployed_v3(monkeypatch: pytest.MonkeyPatch) -> type[V3.SessionRecorded]:
    monkeypatch.setitem(mapper.EVENT_TYPES, "SessionRecorded", V3.SessionRecorded)
    return V3.SessionRecorded


def test_upcasting_runs_from_the_version_stored_to_the_version_deployed(deployed_v3: type[V3.SessionRecorded]) -> None:
    _, envelopes = stored_plan()
    v2 = of_type(envelopes, "SessionRecorded")
    v1 = as_v1(v2, "starts_at")
    for envelope in (v1, v2):
        read = event_from_envelope(envelope)
        assert isinstance(read, deployed_v3) and type(read) is deployed_v3
        assert read.room is None and read.starts_at is None
    assert orjson.loads(orjson.dumps(v1["data"])) == v1["data"]  # still the stored data, untouched
