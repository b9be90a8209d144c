"""``isp-ledger verify BUNDLE.json``: an evidence bundle checked offline with only the bundle and the public key,
on bundles made from both stores. A bundle as made passes; each way of editing it fails, naming what was edited."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from isp_ledger.application import Ledger
from isp_ledger.bundle.build import build_bundle
from isp_ledger.bundle.content import Period, derive, replay
from isp_ledger.bundle.opening import opened_events
from isp_ledger.cli import app
from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.storage.chain import GENESIS_HASH, canonical, seal
from isp_ledger.storage.signing import RECEIPT_FIELDS, UNSIGNED_FIELDS, key_id, public_key_document
from tests.cli import isp_ledger
from tests.conftest import FakeClock, People
from tests.samples import edit_sealed
from tests.school_year import SchoolYear, script_school_year

Bundle = dict[str, Any]


@pytest.fixture
def year(ledger: Ledger, clock: FakeClock, people: People) -> SchoolYear:
    return script_school_year(ledger, clock, people.senco, people.teacher)


@pytest.fixture
def bundle(ledger: Ledger, people: People, year: SchoolYear) -> Bundle:
    made = build_bundle(ledger, people.senco, year.plan_id)
    # As a recipient has it: the JSON the service sent.
    loaded: Bundle = json.loads(json.dumps(made))
    return loaded


@pytest.fixture
def keys_file(ledger: Ledger, tmp_path: Path) -> Path:
    """The service's keys as a recipient saves them from GET /v1/keys."""
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [public_key_document(ledger.signer.public_key)]}))
    return path


def verify(tmp_path: Path, bundle: Bundle, *options: str) -> tuple[int, str]:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = CliRunner().invoke(app, ["verify", str(path), *options], env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_a_bundle_as_made_verifies_offline(tmp_path: Path, bundle: Bundle, keys_file: Path) -> None:
    code, output = verify(tmp_path, bundle)
    assert code == 0, output
    events = len(bundle["events"])
    assert f"OK  {events} events chain unbroken from version 1 to {events}" in output
    assert f"signed by key {bundle['integrity']['public_key']['key_id']}" in output
    assert "exactly what the chained events give" in output
    assert "compare key id" in output  # without --key, the reader is told to check the key

    code, output = verify(tmp_path, bundle, "--key", str(keys_file))
    assert code == 0, output
    assert "compare key id" not in output
    raw_key = bundle["integrity"]["public_key"]["public_key"]
    assert verify(tmp_path, bundle, "--key", raw_key)[0] == 0  # the key itself, as GET /v1/keys shows it


def test_offline_means_offline_no_store_is_opened(tmp_path: Path, bundle: Bundle) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = isp_ledger({"ISP_LEDGER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere", "COLUMNS": "400"},
                        "verify", str(path))
    assert result.returncode == 0, result.stderr
    assert "exactly what the chained events give" in result.stdout


def _edit_event_text(bundle: Bundle) -> int:
    index = next(i for i, e in enumerate(bundle["events"]) if '"type":"ProvisionAgreed"' in e)
    bundle["events"][index] = edit_sealed(bundle["events"][index].encode()).decode()
    return index + 1


def _edit_a_clear_field(bundle: Bundle) -> None:
    index = next(i for i, e in enumerate(bundle["events"]) if '"minutes_per_session":' in e)
    bundle["events"][index] = re.sub(r'"minutes_per_session":(\d+)', lambda m: f'"minutes_per_session":{int(m[1]) + 5}',
                                     bundle["events"][index], count=1)


def _clear_a_backdated_flag(bundle: Bundle) -> int:
    index = next(i for i, c in enumerate(bundle["changes"]) if c["backdated"])
    bundle["changes"][index]["backdated"] = False
    return index


def _blame_a_missed_session_on_the_pupil(bundle: Bundle) -> int:
    sessions = bundle["delivery"]["provisions"][0]["sessions"]
    index = next(i for i, x in enumerate(sessions) if x["missed_reason"] == "staff_absent")
    sessions[index]["missed_reason"] = "pupil_absent"
    return index


def _clear_a_late_flag(bundle: Bundle) -> tuple[int, int]:
    provisions = bundle["delivery"]["provisions"]
    where = next((p, i) for p, provision in enumerate(provisions) for i, x in enumerate(provision["sessions"])
                 if x["late"])
    provisions[where[0]]["sessions"][where[1]]["late"] = False
    return where


def _version_of(text: str) -> int:
    version: int = orjson.loads(text)["event"]["version"]
    return version


TAMPERINGS: dict[str, tuple[Callable[[Bundle], Any], Callable[[Bundle, Any], str]]] = {
    "one character of an event's text": (
        _edit_event_text,
        lambda b, version: f"at version {version}: content does not match its hash"),
    "the plan shown at the end, not the events": (
        lambda b: b["plan_at_end"]["provisions"][0].update(sessions_per_week=3),
        lambda b, _: "The plan at the end of the period was edited: plan_at_end.provisions[0].sessions_per_week "
                     "shows 3, but the events give 2"),
    "the plan shown at the start, not the events": (
        lambda b: b["plan_at_start"]["barriers"][1].update(description="No barrier at all"),
        lambda b, _: "The plan at the start of the period was edited: plan_at_start.barriers[1].description"),
    "an entry of the change log": (
        lambda b: b["changes"].pop(3),
        lambda b, _: "The change log was edited: changes lists 17 entries, but the events give 18"),
    "a back-dated flag": (
        _clear_a_backdated_flag,
        lambda b, index: f"The change log was edited: changes[{index}].backdated shows false, but the events give "
                         "true"),
    "the delivery figures": (
        lambda b: b["delivery"]["provisions"][0].update(delivered_sessions=91),
        lambda b, _: "The planned and delivered provision was edited: delivery.provisions[0].delivered_sessions "
                     "shows 91, but the events give 75"),
    "the delivery rate on the cover": (
        lambda b: b["summary"]["delivery"].update(delivery_rate=1.0),
        # Good Friday (26 March 2027), a bank holiday in term time, is not a school day; two social-skills sessions
        # were typed in late.
        lambda b, _: "The cover summary was edited: summary.delivery.delivery_rate shows 1.0, but the events "
                     "give 0.86"),
    "a review's summary": (
        lambda b: b["reviews"][0].update(summary="Provision to be reduced."),
        lambda b, _: "The reviews were edited: reviews[0].summary shows \"Provision to be reduced.\", but the events "
                     "give \"Good progress; continue provision, review in spring.\""),
    "a parent's response": (
        lambda b: b["parent_responses"]["acknowledgements"][-1].update(response="agree"),
        lambda b, _: "The parent responses were edited: parent_responses.acknowledgements[1].response shows "
                     "\"agree\", but the events give \"disagree\""),
    "a summary of the change log": (
        lambda b: b["changes"][1].update(summary="Barrier to learning identified: none."),
        lambda b, _: "The change log was edited: changes[1].summary shows \"Barrier to learning identified: none.\""),
    "a bundle of today said to be of 2026, to be checked in the words of 2026": (
        lambda b: b.update(format_version=1),
        lambda b, _: "The change log was edited: changes[0].summary shows \"Plan opened for Amara Okafor at the "
                     "Targeted tier;"),
    "a missed session's reason": (
        _blame_a_missed_session_on_the_pupil,
        lambda b, index: f"delivery.provisions[0].sessions[{index}].missed_reason shows \"pupil_absent\", but the "
                         "events give \"staff_absent\""),
    "a late entry's flag": (
        _clear_a_late_flag,
        lambda b, where: f"delivery.provisions[{where[0]}].sessions[{where[1]}].late shows false, but the events "
                         "give true"),
    "the school days after which an entry is late": (
        lambda b: b["delivery"].update(late_entry_days=60),
        lambda b, _: "The cover summary was edited: summary.delivery.late_sessions shows 2, but the events give 0"),
    "an event dropped from the middle": (
        lambda b: _version_of(b["events"].pop(20)),
        lambda b, version: f"at version {version}: version {version} is missing (found {version + 1} next) — an "
                           "event was removed from the bundle"),
    "the last event dropped": (
        lambda b: b["events"].pop(),
        lambda b, _: f"The receipt vouches for version {len(b['events']) + 1}, but the bundle's events end at "
                     f"version {len(b['events'])}: events were removed from the end"),
    "the public key swapped for another": (
        lambda b: b["integrity"].update(public_key=public_key_document(Ed25519PrivateKey.generate().public_key())),
        lambda b, _: f"the receipt was signed with key {b['integrity']['receipt']['key_id']}, not this one"),
    "the signature": (
        lambda b: b["integrity"]["receipt"].update(signature=_flip(b["integrity"]["receipt"]["signature"])),
        lambda b, _: "The receipt's signature does not hold"),
    "the head hash the receipt vouches for": (
        lambda b: b["integrity"]["receipt"].update(head_hash="0" * 64),
        lambda b, _: "The receipt's signature does not hold"),
}


def _flip(signature: str) -> str:
    raw = bytearray(base64.b64decode(signature))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_an_edited_bundle_fails_naming_what_was_edited(tmp_path: Path, bundle: Bundle, tampering: str) -> None:
    edit, message = TAMPERINGS[tampering]
    found = edit(bundle)
    code, output = verify(tmp_path, bundle)
    assert code == 1, output
    assert "does NOT verify" in output
    assert message(bundle, found) in " ".join(output.split()), output


def test_a_bundle_re_signed_with_another_key_passes_alone_but_not_against_the_services_key(
    tmp_path: Path, bundle: Bundle, keys_file: Path
) -> None:
    """Someone who rewrites the events and signs with a key of their own makes a bundle consistent with itself:
    only the service's own key, obtained from the service, exposes it."""
    _edit_a_clear_field(bundle)  # and re-seal the whole chain, recompute what is shown, and re-sign
    forged = _reseal_and_resign(bundle, Ed25519PrivateKey.generate())
    code, output = verify(tmp_path, forged)
    assert code == 0, output
    assert f"signed by key {forged['integrity']['public_key']['key_id']}" in output
    code, output = verify(tmp_path, forged, "--key", str(keys_file))
    assert code == 1
    assert (f"The bundle's public key (key id {forged['integrity']['public_key']['key_id']}) differs from the key you "
            f"gave (key id {bundle['integrity']['public_key']['key_id']})") in " ".join(output.split())


def _reseal_and_resign(bundle: Bundle, private: Ed25519PrivateKey) -> Bundle:
    forged = copy.deepcopy(bundle)
    prev, events = GENESIS_HASH, []
    for text in forged["events"]:
        event = orjson.loads(text)["event"]
        event.pop("prev_hash")
        state, prev = seal(event, prev)
        events.append(state.decode())
    forged["events"] = events
    envelopes = opened_events([e.encode() for e in events], base64.b64decode(forged["integrity"]["data_key"]))
    period = Period(*(dt.date.fromisoformat(forged["period"][k]) for k in ("from", "to")))
    calendars = {u: SchoolCalendar.from_json(c) for u, c in forged["delivery"]["calendars"].items()}
    forged.update(derive(replay(envelopes), period, calendars))
    public = private.public_key()
    receipt = forged["integrity"]["receipt"]
    receipt.update(head_hash=prev, key_id=key_id(public))
    receipt["signature"] = base64.b64encode(private.sign(canonical({f: receipt[f] for f in RECEIPT_FIELDS}))).decode()
    entry = receipt["log_entry"]
    entry.update(head_hash=prev, key_id=key_id(public))
    entry["signature"] = base64.b64encode(
        private.sign(canonical({k: v for k, v in entry.items() if k not in UNSIGNED_FIELDS}))).decode()
    forged["integrity"].update(head_hash=prev, public_key=public_key_document(public))
    return forged


def test_what_is_not_a_bundle_is_refused_and_a_plan_id_is_still_checked_in_the_store(
    tmp_path: Path, env: dict[str, str], year: SchoolYear, ledger: Ledger
) -> None:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"hello": "world"}))
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 2
    assert "not an isp-ledger evidence bundle" in result.output
    assert CliRunner().invoke(app, ["verify", "no-such-thing"]).exit_code == 2
    result = CliRunner().invoke(app, ["verify", str(year.plan_id)], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout[: result.stdout.rindex("}") + 1])["ok"] is True
