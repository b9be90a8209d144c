"""A bundle made in 2026 (format 1, before issue 11 changed the delivery section) still checks out offline, its
delivery figures recomputed as format 1 derived them: and an edit of them is still caught. A format this version does
not know is refused rather than misread."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from isp_ledger.bundle.verify import verify_bundle
from tests.integration.test_stored_fixture import fixture_bundle, fixture_rows


def bundle_of_2026() -> dict[str, Any]:
    bundle = fixture_bundle(fixture_rows())
    assert bundle["format_version"] == 1 and "sessions" not in bundle["summary"]
    return bundle


def test_a_format_1_bundle_still_verifies_with_its_own_arithmetic() -> None:
    check = verify_bundle(bundle_of_2026())
    assert check.ok, check.problems


def test_an_edit_of_a_format_1_delivery_section_is_caught() -> None:
    edits: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
        "a missed session's reason": (
            lambda b: b["delivery"]["provisions"][0]["missed"][0].update(missed_reason="pupil_declined"),
            "delivery.provisions[0].missed[0].missed_reason shows \"pupil_declined\""),
        "the figures of a month": (
            lambda b: b["delivery"]["provisions"][0]["by_month"][0].update(unrecorded_sessions=0),
            "delivery.provisions[0].by_month[0].unrecorded_sessions shows 0"),
        "a closure added to the calendar carried": (
            lambda b: b["delivery"]["calendars"]["123456"]["closures"].append("2026-09-07"),
            "planned_sessions"),
    }
    for name, (edit, named) in edits.items():
        bundle = copy.deepcopy(bundle_of_2026())
        edit(bundle)
        check = verify_bundle(bundle)
        assert not check.ok, name
        assert any(named in problem for problem in check.problems), (name, check.problems)


def test_a_format_this_version_does_not_know_is_refused() -> None:
    bundle = bundle_of_2026()
    bundle["format_version"] = 4
    check = verify_bundle(bundle)
    assert not check.ok
    assert "format_version 4 is not one this version of isp-ledger knows (1, 2, 3)" in " ".join(check.problems)
