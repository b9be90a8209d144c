"""``GET /v1/plans?name=``: a search by the pupil's name (issue 11, problem 9), on both stores, a page at a time.

Before, the service ignored ``name`` and answered the first page of every plan, as if that were the search's
answer. Now each word of the search must be found in the pupil's given or family name, whatever its case,
accents or punctuation; the search keeps to the plans the caller may see and to the other filters given.
"""

from __future__ import annotations

from typing import Any

import pytest

from isp_ledger.reading import MAX_NAME_SEARCH
from projections.plan_index import name_key, name_matches
from tests import samples
from tests.conftest import OTHER_SETTING
from tests.e2e.helpers import Api, assert_problem
from tests.e2e.test_read_side_api import walk

PUPILS = [("Zoë", "Okafor-Brontë"), ("Amara", "Okafor"), ("Seán", "O'Neill"), ("Áine", "Murphy"),
          ("Jan", "Kowalski"), ("Tom", "Oakes"), ("Chidi", "Okafor")]


def school(api: Api) -> dict[str, str]:
    """A plan for each of ``PUPILS`` at the test setting, and one for an Okafor at another setting."""
    plans = {f"{given} {family}": api.open_plan(pupil=samples.pupil(given_name=given, family_name=family))
             for given, family in PUPILS}
    api.open_plan("other_senco", pupil=samples.pupil(given_name="Ngozi", family_name="Okafor"),
                  setting_urn=OTHER_SETTING)
    return plans


def names(plans: list[dict[str, Any]]) -> list[str]:
    return [f"{p['pupil']['given_name']} {p['pupil']['family_name']}" for p in plans]


def search(api: Api, who: str = "senco", **params: str) -> list[str]:
    response = api.get("/v1/plans", who, **params)
    assert response.status_code == 200, response.text
    return names(response.json()["plans"])


def test_a_search_by_name_finds_the_pupils_so_named_and_no_others(api: Api) -> None:
    school(api)
    assert search(api, name="okafor") == ["Amara Okafor", "Chidi Okafor", "Zoë Okafor-Brontë"]
    assert search(api, name="OKAFOR brontë") == ["Zoë Okafor-Brontë"]
    assert search(api, name="zoe") == ["Zoë Okafor-Brontë"]  # without the accent
    assert search(api, name="bronte") == ["Zoë Okafor-Brontë"]
    assert search(api, name="oneill") == ["Seán O'Neill"]  # without the apostrophe
    assert search(api, name="O’Neill") == ["Seán O'Neill"]  # with a typographic one
    assert search(api, name="aine") == ["Áine Murphy"]
    assert search(api, name="oka") == ["Amara Okafor", "Chidi Okafor", "Zoë Okafor-Brontë"]  # part of a name
    everyone = search(api)  # in the listing's order (the store's order of names)
    assert search(api, name="o") == [n for n in everyone if "o" in name_key(n)] and len(everyone) == 7
    assert search(api, name="smith") == []
    # The admin sees every setting's Okafors; the other setting's SENCO only theirs.
    assert search(api, "admin", name="okafor") == ["Amara Okafor", "Chidi Okafor", "Ngozi Okafor",
                                                   "Zoë Okafor-Brontë"]
    assert search(api, "other_senco", name="okafor") == ["Ngozi Okafor"]


def test_a_search_keeps_to_the_other_filters(api: Api) -> None:
    plans = school(api)
    closed = plans["Chidi Okafor"]
    response = api.post(f"/v1/plans/{closed}/close", {"reason": "Moved away"})
    assert response.status_code == 200, response.text
    assert search(api, name="okafor", status="open") == ["Amara Okafor", "Zoë Okafor-Brontë"]
    assert search(api, name="okafor", status="closed") == ["Chidi Okafor"]
    assert search(api, name="okafor", setting_urn=OTHER_SETTING) == []
    assert search(api, "admin", name="okafor", setting_urn=OTHER_SETTING) == ["Ngozi Okafor"]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_a_search_goes_page_by_page_to_the_end(api: Api, limit: int) -> None:
    school(api)
    pages = walk(api, "/v1/plans", "plans", name="okafor", limit=str(limit))
    assert [names(page) for page in pages] == [
        p for p in ([["Amara Okafor"], ["Chidi Okafor"], ["Zoë Okafor-Brontë"]] if limit == 1 else
                    [["Amara Okafor", "Chidi Okafor"], ["Zoë Okafor-Brontë"]] if limit == 2 else
                    [["Amara Okafor", "Chidi Okafor", "Zoë Okafor-Brontë"]])]


def test_a_search_reads_past_many_plans_that_do_not_match(api: Api) -> None:
    school(api)
    pages = walk(api, "/v1/plans", "plans", name="o", limit="2")
    found = [name for page in pages for name in names(page)]
    assert found == search(api, name="o") and len(found) == 6


def test_an_empty_or_overlong_search_is_refused(api: Api) -> None:
    for bad in ("", "   ", "'-", "x" * (MAX_NAME_SEARCH + 1)):
        assert_problem(api.get("/v1/plans", name=bad), 422, field="name")


def test_names_are_compared_without_case_accents_or_punctuation() -> None:
    assert name_key("  Zoë  OKAFOR-Brontë ") == "zoe okafor bronte"
    assert name_key("O’Neill") == name_key("O'Neill") == "oneill"
    assert name_matches(["oneill"], "Seán", "O'Neill")
    assert name_matches(["sean", "o", "neill"], "Seán", "O'Neill")
    assert name_matches(["okaforbronte"], "Zoë", "Okafor-Brontë")  # the name's words run together
    assert not name_matches(["okafor", "jan"], "Zoë", "Okafor-Brontë")
