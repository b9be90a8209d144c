"""Realistic inputs for tests: valid UPNs and well-formed sections of a plan."""

from __future__ import annotations

import itertools
from typing import Any

from stdnum.gb import upn as stdnum_upn

_serials = itertools.count(1)


def new_upn(la: int = 801, establishment: int = 2000, year: int = 26) -> str:
    """A fresh valid UPN: check letter, LA number, establishment number, year, serial."""
    body = f"{la:03d}{establishment:04d}{year:02d}{next(_serials) % 1000:03d}"
    return stdnum_upn.calc_check_digit(body) + body


def pupil(**overrides: Any) -> dict[str, Any]:
    return {"upn": new_upn(), "given_name": "Amara", "family_name": "Okafor", "date_of_birth": "2017-05-14",
            **overrides}


def plan_body(setting_urn: str = "123456", **overrides: Any) -> dict[str, Any]:
    return {"pupil": pupil(), "setting_urn": setting_urn, "tier": "targeted", **overrides}


def barrier(**overrides: Any) -> dict[str, Any]:
    return {
        "description": "Finds it hard to blend sounds when decoding unfamiliar words",
        "area_of_need": "cognition_and_learning",
        "need_type": "SPLD",
        "evidence": "Phonics screening check, June 2026: 22/40",
        **overrides,
    }


def provision(barrier_ids: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "description": "Small-group phonics with a trained TA",
        "barrier_ids": barrier_ids,
        "delivered_by": "teaching assistant",
        "group_size": 4,
        "sessions_per_week": 3,
        "minutes_per_session": 30,
        "location": "withdrawal",
        "starts_on": "2026-09-07",
        "evidence_basis": "EEF: phonics, high impact for low cost",
        **overrides,
    }


def adjustment(barrier_ids: list[str], **overrides: Any) -> dict[str, Any]:
    return {"description": "Seated near the front, away from the door", "category": "environment",
            "barrier_ids": barrier_ids, **overrides}


def outcome(barrier_ids: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "description": "Reads CVC and CCVC words accurately",
        "success_criteria": "Reads 18 of 20 unseen CVC/CCVC words in a termly check",
        "barrier_ids": barrier_ids,
        "target_date": "2027-07-16",
        "baseline": "9/20",
        "target": "18/20",
        **overrides,
    }


def review(**overrides: Any) -> dict[str, Any]:
    return {
        "held_on": "2026-11-19",
        "attendees": [{"role": "SENCO", "name": "Sam Senco"}, {"role": "parent", "name": "Pat Parent"}],
        "parent_views": "Pleased with progress at home; reading together most nights.",
        "pupil_views": "I like the phonics group.",
        "summary": "Good progress; continue provision, review in spring.",
        "next_review_due": "2027-03-19",
        **overrides,
    }


def edit_sealed(state: bytes, at: int = 20) -> bytes:
    """A stored event with one character of its sealed (encrypted) personal values changed: still valid JSON, as
    an edit in the database would leave it, but no longer what was sealed and hashed."""
    start = state.index(b'"sealed":"') + len(b'"sealed":"') + at
    old = state[start:start + 1]
    return state[:start] + (b"b" if old != b"b" else b"c") + state[start + 1:]
