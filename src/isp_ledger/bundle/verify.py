"""Checking an evidence bundle offline, with nothing but the bundle and the service's public key.

What holds when the check passes:

1. every event is exactly a sealed event whose content matches its SHA-256 hash, and the events form one chain
   (each names the hash of the one before; versions run 1, 2, 3, ... without a gap) for the bundle's plan;
2. the receipt is signed (Ed25519) by the public key (the bundle's own, or the one given with ``--key``, which the
   bundle's must then be) and vouches for exactly the chain's last version and head hash — so no event was removed
   from the end, and the chain is the one the service had when it signed; the transparency log entry the receipt
   carries (when it carries one) is signed by the same key and records that same head;
3. everything the bundle shows — the cover summary, the plan at the start and at the end, the change log, the
   reviews and parent responses, the planned and delivered figures — is exactly what replaying the chained events
   gives (``content.py``); an edit to any of it is named, with the field, what the bundle says and what the events
   say.

A problem is reported, never raised: an edited bundle is the normal input of this module.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from isp_ledger.bundle.content import (
    DEFAULT_LATE_ENTRY_DAYS,
    DERIVED,
    FORMAT,
    FORMAT_VERSIONS,
    Period,
    ReplayError,
    derive,
    replay,
    shown_section,
    summariser,
)
from isp_ledger.bundle.opening import opened_events
from isp_ledger.domain.calendar import SchoolCalendar
from isp_ledger.domain.wording import in_words, instant_in_words, shorten
from isp_ledger.storage.chain import Verification, verify_chain
from isp_ledger.storage.signing import check_signature, check_statement, key_id, load_public_key

SECTION_NAMES = {
    "summary": "the cover summary",
    "plan_at_start": "the plan at the start of the period",
    "plan_at_end": "the plan at the end of the period",
    "changes": "the change log",
    "reviews": "the reviews",
    "parent_responses": "the parent responses",
    "delivery": "the planned and delivered provision",
    "access": "who was granted access",
}
PLURAL_SECTIONS = frozenset({"reviews", "parent_responses"})  # "The reviews were edited"
_CHAIN_HINTS = (
    ("does not match its hash", "that event's text was edited after it was sealed"),
    ("not in canonical form", "that event's text was edited after it was sealed"),
    ("is missing", "an event was removed from the bundle"),
    ("prev_hash does not match", "an event was removed, reordered or replaced"),
    ("different plan or version", "an event was moved, or taken from another plan"),
    ("not valid JSON", "that event's text was edited after it was sealed"),
)


class NotABundle(ValueError):
    """The input is not an evidence bundle at all (nothing to check)."""


@dataclass
class BundleCheck:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events_checked: int = 0
    head_hash: str | None = None
    key_id: str | None = None

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


def load_bundle(text: str | bytes) -> dict[str, Any]:
    try:
        bundle = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise NotABundle(f"it is not JSON ({e})") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise NotABundle(f"it is not an {FORMAT} (its 'format' is not {FORMAT!r})")
    return bundle


def parse_keys(text: str) -> list[Ed25519PublicKey]:
    """Public keys as published: the JSON of ``GET /v1/keys`` (or one key of it), a PEM key, or a raw key in base64."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return [key]
    try:
        document = json.loads(text)
    except ValueError:
        try:
            return [Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))]
        except (ValueError, binascii.Error):
            raise ValueError("not a key: expected the JSON of GET /v1/keys, a PEM public key, or a base64 "
                             "Ed25519 key") from None
    documents = document.get("keys") if isinstance(document, dict) and "keys" in document else document
    documents = documents if isinstance(documents, list) else [documents]
    if not documents or not all(isinstance(d, dict) for d in documents):
        raise ValueError("the JSON holds no public keys")
    return [load_public_key(d) for d in documents]


def verify_bundle(bundle: dict[str, Any], trusted_keys: list[Ed25519PublicKey] | None = None) -> BundleCheck:
    """Check ``bundle`` offline; ``trusted_keys`` are the service's keys as obtained from it (``--key``)."""
    check = BundleCheck()
    plan_id = str(bundle.get("plan_id"))
    integrity: dict[str, Any] = bundle["integrity"] if isinstance(bundle.get("integrity"), dict) else {}
    chain, rows = _check_chain(check, plan_id, bundle.get("events"))
    key = _choose_key(check, integrity, trusted_keys)
    if _check_receipt(check, plan_id, integrity, chain, key):
        _check_content(check, bundle, rows)
    else:
        check.notes.append("The content shown was not compared with the events, because the events themselves do "
                           "not hold.")
    return check


def _check_chain(check: BundleCheck, plan_id: str, events: Any) -> tuple[Verification, list[tuple[int, bytes]]]:
    if not isinstance(events, list) or not events:
        chain = Verification(False, 0, first_bad_version=1, detail="the bundle carries no events")
        check.fail("The bundle carries no events: there is nothing to check what it shows against.")
        return chain, []
    rows = []
    for index, text in enumerate(events):
        raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else b""
        rows.append((_claimed_version(raw, index + 1), raw))
    chain = verify_chain(plan_id, rows)
    if chain.ok:
        check.events_checked, check.head_hash = chain.events_checked, chain.head_hash
    else:
        hint = next((h for marker, h in _CHAIN_HINTS if marker in chain.detail), "")
        check.fail(f"The chained events do not hold at {chain.detail}" + (f" — {hint}." if hint else "."))
    return chain, rows


def _claimed_version(raw: bytes, position: int) -> int:
    """The version an event says it is (its place in the bundle when it says nothing readable)."""
    try:
        version = orjson.loads(raw)["event"]["version"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return position
    return version if type(version) is int else position


def _choose_key(check: BundleCheck, integrity: dict[str, Any],
                trusted_keys: list[Ed25519PublicKey] | None) -> Ed25519PublicKey | None:
    bundle_key = None
    document = integrity.get("public_key")
    try:
        bundle_key = load_public_key(document if isinstance(document, dict) else {})
    except ValueError as e:
        if trusted_keys is None:
            check.fail(f"The bundle's public key cannot be read ({e}).")
    if trusted_keys is None:
        check.key_id = key_id(bundle_key) if bundle_key is not None else None
        return bundle_key
    trusted = {key_id(k): k for k in trusted_keys}
    if bundle_key is not None and key_id(bundle_key) in trusted:
        check.key_id = key_id(bundle_key)
        return bundle_key
    named = key_id(bundle_key) if bundle_key is not None else "unreadable"
    check.fail(f"The bundle's public key (key id {named}) differs from the key you gave "
               f"(key id {', '.join(trusted)}): the bundle's key was replaced, or the bundle comes from another "
               "service.")
    receipt = integrity.get("receipt")
    named_by_receipt = str(receipt.get("key_id")) if isinstance(receipt, dict) else ""
    chosen = trusted.get(named_by_receipt, trusted_keys[0])
    check.key_id = key_id(chosen)
    return chosen


def _check_receipt(check: BundleCheck, plan_id: str, integrity: dict[str, Any], chain: Verification,
                   key: Ed25519PublicKey | None) -> bool:
    """The receipt and the log entry it carries; whether the chain holds and ends where the receipt says."""
    receipt = integrity.get("receipt")
    if not isinstance(receipt, dict):
        check.fail("The bundle has no signed receipt.")
        return False
    if key is not None:
        signature = check_signature(receipt, key)
        if not signature.ok:
            check.fail(f"The receipt's signature does not hold (key {key_id(key)}): {signature.detail}.")
    if receipt.get("plan_id") != plan_id:
        check.fail(f"The receipt is for plan {receipt.get('plan_id')}, not for this bundle's plan {plan_id}.")
    _check_log_entry(check, receipt, key)
    if not chain.ok:
        return False
    if receipt.get("version") != chain.head_version:
        removed = isinstance(receipt.get("version"), int) and receipt["version"] > (chain.head_version or 0)
        check.fail(f"The receipt vouches for version {receipt.get('version')}, but the bundle's events end at "
                   f"version {chain.head_version}" + (": events were removed from the end." if removed else "."))
        return False
    if receipt.get("head_hash") != chain.head_hash:
        check.fail(f"The receipt vouches for head hash {receipt.get('head_hash')}, but the bundle's events chain to "
                   f"{chain.head_hash}: the history was rewritten.")
        return False
    for name, actual in (("version", chain.head_version), ("head_hash", chain.head_hash),
                         ("events", chain.events_checked)):
        if integrity.get(name) != actual:
            check.fail(f"The integrity section shows {name} {integrity.get(name)!r}, but the events give "
                       f"{actual!r}: the integrity section was edited.")
    return True


def _check_log_entry(check: BundleCheck, receipt: dict[str, Any], key: Ed25519PublicKey | None) -> None:
    """The transparency log's signed entry for the receipt's head, when the receipt carries one."""
    entry = receipt.get("log_entry")
    if entry is None:
        check.notes.append("The receipt carries no transparency log entry (the service had not logged the head).")
        return
    if not isinstance(entry, dict):
        check.fail("The receipt's transparency log entry cannot be read.")
        return
    if key is not None:
        signature = check_statement(entry, key)
        if not signature.ok:
            check.fail(f"The transparency log entry's signature does not hold (key {key_id(key)}): "
                       f"{signature.detail}.")
            return
    wrong = [name for name in ("plan_id", "version", "head_hash") if entry.get(name) != receipt.get(name)]
    if wrong:
        check.fail(f"The transparency log entry records a different {', '.join(wrong)} than the receipt.")
        return
    check.notes.append(f"The service's transparency log recorded this head at position {entry.get('position')} "
                       f"(entry hash {entry.get('entry_hash')}).")


def _check_content(check: BundleCheck, bundle: dict[str, Any], rows: list[tuple[int, bytes]]) -> None:
    try:
        period = Period(dt.date.fromisoformat(bundle["period"]["from"]), dt.date.fromisoformat(bundle["period"]["to"]))
        format_version = bundle.get("format_version")
        if format_version not in FORMAT_VERSIONS:
            raise ValueError(f"format_version {format_version!r} is not one this version of isp-ledger knows "
                             f"({', '.join(map(str, FORMAT_VERSIONS))}); a later version may check it")
        # Format 1 counted no bank holiday the school had not entered.
        bank_holidays: dict[str, Any] = {"bank_holidays": []} if format_version == 1 else {}
        calendars = {urn: SchoolCalendar.from_json({**c, **bank_holidays})
                     for urn, c in bundle["delivery"]["calendars"].items()}
        late_entry_days = bundle["delivery"].get("late_entry_days", DEFAULT_LATE_ENTRY_DAYS)
        if type(late_entry_days) is not int or late_entry_days < 1:
            raise ValueError(f"late_entry_days is {late_entry_days!r}, not a number of school days")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        check.fail(f"The bundle's period or school calendars cannot be read ({e.__class__.__name__}: {e}), so what "
                   "it shows cannot be recomputed.")
        return
    try:
        envelopes = opened_events([raw for _, raw in rows], _data_key(bundle))
        derived = derive(replay(envelopes, summariser(format_version)), period, calendars, late_entry_days,
                         format_version)
    except ReplayError as e:
        check.fail(f"What the bundle shows cannot be recomputed: {e}.")
        return
    for section in DERIVED:
        difference = first_difference(shown_section(bundle, section), shown_section(derived, section), section)
        if difference is not None:
            verb = "were" if section in PLURAL_SECTIONS else "was"
            check.fail(f"{SECTION_NAMES[section].capitalize()} {verb} edited: {difference}.")


def _data_key(bundle: dict[str, Any]) -> bytes | None:
    """The pupil's data key the bundle carries (format 3), if any (``ReplayError`` if it is not one)."""
    encoded = bundle.get("integrity", {}).get("data_key")
    if encoded is None:
        return None
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ReplayError("the bundle's data key is not base64") from None
    if len(key) != 32:
        raise ReplayError("the bundle's data key is not a 256-bit key")
    return key


def first_difference(shown: Any, expected: Any, path: str) -> str | None:
    """Where ``shown`` first differs from ``expected`` (JSON values), in words; ``None`` when they are the same."""
    if isinstance(expected, dict):
        if not isinstance(shown, dict):
            return f"{path} shows {_show(shown)}, but the events give {_show(expected)}"
        for key in expected:
            if key not in shown:
                return f"{path}.{key} is missing (the events give {_show(expected[key])})"
        for key in shown:
            if key not in expected:
                return f"{path}.{key} ({_show(shown[key])}) is not in the chained record"
        for key, value in expected.items():
            found = first_difference(shown[key], value, f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(shown, list):
            return f"{path} shows {_show(shown)}, but the events give a list"
        if len(shown) != len(expected):
            return f"{path} lists {len(shown)} entries, but the events give {len(expected)}"
        for index, (mine, theirs) in enumerate(zip(shown, expected, strict=True)):
            found = first_difference(mine, theirs, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if _same(shown, expected):
        return None
    return f"{path} shows {_show(shown)}, but the events give {_show(expected)}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _show(value: Any) -> str:
    """A value as a problem quotes it: its JSON, shortened at a word when long (never cut mid-word)."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else shorten(text, 80)


def describe(bundle: dict[str, Any], check: BundleCheck, *, key_given: bool) -> list[str]:
    """What a passed check established, in a few lines for the person who ran it."""
    summary, period = bundle["summary"], bundle["period"]
    receipt = bundle["integrity"]["receipt"]
    pupil = summary["pupil"]
    lines = [
        f"Evidence bundle for plan {bundle['plan_id']} ({pupil['given_name']} {pupil['family_name']}), "
        f"from {in_words(period['from'])} to {in_words(period['to'])}.",
        f"OK  {check.events_checked} events chain unbroken from version 1 to {check.events_checked}; "
        f"head hash {check.head_hash}.",
        f"OK  the receipt for that head is signed by key {check.key_id} (Ed25519), recorded at "
        f"{instant_in_words(receipt['recorded_at'])} ({receipt['recorded_at']}).",
        f"OK  the plan at the start and at the end, the {summary['changes']} entries of the change log, the reviews, "
        "the parent responses and the delivery figures are exactly what the chained events give.",
        *(f"    {note}" for note in check.notes),
    ]
    if not key_given:
        lines.append(f"    The key was taken from the bundle itself: compare key id {check.key_id} with the service's "
                     "(GET /v1/keys), or run again with --key.")
    lines.append("    The planned sessions and late entries were counted with the school calendar in the bundle, which "
                 "is not part of the signed record.")
    return lines
