"""An evidence bundle for people: an HTML page, and the same page as an A4 PDF (WeasyPrint).

Everything shown is taken from the bundle's JSON, never from the ledger, so the paper version says exactly what the
checked JSON says. The cover states the result of checking the bundle (``verify.py``) as it was rendered. All text
that came from users is escaped (the templates autoescape); the charts are inline SVG drawn from the figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from isp_ledger.bundle.verify import BundleCheck, verify_bundle
from isp_ledger.domain.codes import MISSED_REASONS
from isp_ledger.domain.diff import diff_documents
from isp_ledger.domain.fields import setting_shown_as
from isp_ledger.domain.sections import SECTIONS
from isp_ledger.domain.stamp import LONDON, is_backdated, london_date
from isp_ledger.domain.wording import (
    AREA_NAMES,
    CATEGORY_NAMES,
    CONTRIBUTION_NAMES,
    LOCATION_NAMES,
    NEED_TYPE_NAMES,
    RESPONSE_METHOD_NAMES,
    RESPONSE_VERBS,
    ROLE_NAMES,
    STATUS_NAMES,
    TIER_NAMES,
    in_words,
    instant_in_words,
    shorten,
)
from isp_ledger.domain.wording import MISSED_REASON_NAMES as SESSION_MISSED_REASON_NAMES

# In a table of missed sessions, "other" stands alone: "other reason".
MISSED_REASON_NAMES = {**SESSION_MISSED_REASON_NAMES, "other": "other reason"}
# A parent's response, at the start of a line: "Agreed with version 9".
RESPONSE_NAMES = {response: verb.capitalize() for response, verb in RESPONSE_VERBS.items()}

_environment = Environment(
    loader=PackageLoader("isp_ledger.bundle", "templates"),
    autoescape=select_autoescape(("html", "svg"), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _day(value: str | None, missing: str = "—") -> str:
    if not value:
        return missing
    day = dt.date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def _short_day(value: str | None) -> str:
    if not value:
        return "—"
    day = dt.date.fromisoformat(value)
    return f"{day.day} {day:%b %Y}"


def _instant(value: str | None) -> str:
    """An instant as a London reader would say it: "1 October 2026, 10:00"."""
    if not value:
        return "—"
    local = dt.datetime.fromisoformat(value).astimezone(LONDON)
    return f"{local.day} {local:%b %Y, %H:%M}"


def _long_instant(value: str | None) -> str:
    """An instant inside a sentence: "10:05 on 14 March 2026" (London time)."""
    return instant_in_words(value) if value else "—"


def _instant_day(value: str | None) -> str:
    """The London day of an instant, in words: "14 March 2026"."""
    return in_words(london_date(dt.datetime.fromisoformat(value))) if value else "—"


def _month(value: str) -> str:
    return dt.date.fromisoformat(value + "-01").strftime("%b %Y")


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _shown(value: Any, field: str) -> str:
    """An item's earlier value of ``field``, as the plan would have said it."""
    if value is None or value == "":
        return "not set"
    if field == "location":
        return str(LOCATION_NAMES.get(value, value))
    if field == "need_type":
        return f"{NEED_TYPE_NAMES.get(value, value)} ({value})"
    if field in ("starts_on", "ends_on", "target_date"):
        return _short_day(value)
    if isinstance(value, int | float):
        return _number(value)
    return str(value)


def _weekly(value: float | int) -> str:
    sessions = _number(value)
    return f"{sessions} session{'' if value == 1 else 's'} a week"


_environment.filters.update(
    day=_day, short_day=_short_day, instant=_instant, long_instant=_long_instant, instant_day=_instant_day,
    month=_month, number=_number, percent=_percent,
    weekly=_weekly, shown=_shown,
    tier=lambda v: TIER_NAMES.get(v, v), area=lambda v: AREA_NAMES.get(v, v),
    need=lambda v: NEED_TYPE_NAMES.get(v, v), location=lambda v: LOCATION_NAMES.get(v, v),
    missed_reason=lambda v: MISSED_REASON_NAMES.get(v, v), role=lambda v: ROLE_NAMES.get(v, v),
    status=lambda v: STATUS_NAMES.get(v, v), response=lambda v: RESPONSE_NAMES.get(v, v),
    contribution=lambda v: CONTRIBUTION_NAMES.get(v, v), category=lambda v: CATEGORY_NAMES.get(v, v),
    backdated=is_backdated,
)


def render_html(bundle: dict[str, Any], check: BundleCheck | None = None) -> str:
    """The bundle as one HTML page (for a browser, and for print: A4, numbered pages)."""
    check = check if check is not None else verify_bundle(bundle)
    start, end = bundle["plan_at_start"], bundle["plan_at_end"]
    return _environment.get_template("bundle.html").render(
        b=bundle,
        s=bundle["summary"],
        check=check,
        names=_item_names(start, end),
        marks=_marks(start, end),
        provision_chart=_provision_chart(bundle["delivery"]["provisions"]),
        month_chart=_month_chart(bundle["delivery"]["by_month"]),
        missed_reasons=MISSED_REASONS,
        sections=SECTIONS,
        setting=_settings(bundle),
        response_by=_response_by,
    )


def render_pdf(bundle: dict[str, Any], check: BundleCheck | None = None) -> bytes:
    """The bundle as an A4 PDF, from the same HTML."""
    # Imported when needed: it loads native libraries.
    from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415

    pdf: bytes = HTML(string=render_html(bundle, check)).write_pdf()
    return pdf


def _settings(bundle: dict[str, Any]) -> Any:
    """A setting as people read it, by its URN: its name with the URN, as the bundle's ``settings`` name it (a
    bundle made before settings had names names none), the first letter capitalised to start a line."""
    known = bundle.get("settings") or {}

    def shown(urn: str) -> str:
        text = str(known.get(urn, {}).get("shown_as") or setting_shown_as(urn, None))
        return text[:1].upper() + text[1:]

    return shown


def _response_by(response: dict[str, Any]) -> tuple[str, str]:
    """Whose response to the plan, and how it came to be recorded: ("Pat Okafor (parent)", "In person; recorded
    by Sam Senco (SENCO)")."""
    by = response["recorded_by"]
    if by["role"] == "parent":
        return f"{by['name']} (parent)", "Recorded by them, in their own account"
    method = RESPONSE_METHOD_NAMES.get(response.get("method") or "")
    recorded = f"recorded by {by['name']} ({ROLE_NAMES.get(by['role'], by['role'])})"
    if response.get("given_by"):
        how = f"{method[:1].upper()}{method[1:]}; {recorded}" if method else recorded.capitalize()
        return f"{response['given_by']} (parent)", how
    return "A parent (not named)", recorded[:1].upper() + recorded[1:]


def _item_names(*documents: dict[str, Any] | None) -> dict[str, str]:
    """Each item's description by id, to name the barriers a provision addresses."""
    names: dict[str, str] = {}
    for document in documents:
        for section in SECTIONS:
            for item in (document or {}).get(section, []):
                names[item["id"]] = item["description"]
    return names


def _marks(start: dict[str, Any] | None, end: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """For each item of the plan at the end: new in the period, or changed (with the values it had at the start)."""
    if end is None:
        return {}
    changes = diff_documents(start, end)
    marks: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        for item in changes[section]["added"]:
            marks[item["id"]] = {"new": start is not None, "was": {}}
        for item in changes[section]["amended"]:
            marks[item["id"]] = {"new": False, "was": {k: v["before"] for k, v in item["changes"].items()}}
    return marks


# ------------------------------------------------------------------------------------------------ charts

CHART_WIDTH = 640


def _provision_chart(provisions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Horizontal bars per provision: sessions planned, delivered, missed, on one scale."""
    rows = [p for p in provisions if p["planned_sessions"] or p["delivered_sessions"] or p["missed_sessions"]]
    if not rows:
        return None
    label_width, bar_height, gap = 200, 14, 14
    scale_width = CHART_WIDTH - label_width - 150  # room for the figures after the longest bar
    top = max(max(p["planned_sessions"], p["delivered_sessions"] + p["missed_sessions"]) for p in rows) or 1
    bars = []
    y = 10
    for p in rows:
        bars.append({
            "lines": _wrap(p["description"], 32, 2), "y": y,
            "planned": p["planned_sessions"], "planned_w": scale_width * p["planned_sessions"] / top,
            "delivered": p["delivered_sessions"], "delivered_w": scale_width * p["delivered_sessions"] / top,
            "missed": p["missed_sessions"], "missed_w": scale_width * p["missed_sessions"] / top,
        })
        y += 2 * bar_height + gap
    return {"width": CHART_WIDTH, "height": y - gap + 4, "label_width": label_width, "bar_height": bar_height,
            "bars": bars}


def _month_chart(months: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Columns per month: sessions planned beside sessions delivered, all provisions together."""
    if not months or not any(m["planned_sessions"] or m["delivered_sessions"] for m in months):
        return None
    height, base = 150, 170
    step = _tick_step(max(max(m["planned_sessions"], m["delivered_sessions"]) for m in months))
    top = step * 4
    slot = (CHART_WIDTH - 50) / len(months)
    width = min(18.0, slot / 2 - 2)
    columns = []
    for index, m in enumerate(months):
        x = 45 + index * slot + (slot - 2 * width) / 2
        planned_h = height * m["planned_sessions"] / top
        delivered_h = height * m["delivered_sessions"] / top
        month = dt.date.fromisoformat(m["month"] + "-01")
        # The month under its column, and the year under the first and under each January: labels that fit.
        columns.append({"month": m["month"], "label": f"{month:%b}",
                        "year": str(month.year) if index == 0 or month.month == 1 else "",
                        "x": x, "width": width, "label_x": x + width,
                        "planned": m["planned_sessions"], "planned_h": planned_h, "planned_y": base - planned_h,
                        "delivered": m["delivered_sessions"], "delivered_h": delivered_h,
                        "delivered_y": base - delivered_h})
    ticks = [{"value": step * i, "y": base - height * i / 4} for i in range(5)]
    return {"width": CHART_WIDTH, "height": base + 40, "base": base, "columns": columns, "ticks": ticks}


def _tick_step(largest: float) -> int:
    """A round step (1, 2, 5, 10, 20, 50, ...) such that four steps reach at least ``largest``."""
    step, factor = 1, 1
    while step * 4 < largest:
        for multiple in (2, 5, 10):
            step = multiple * factor
            if step * 4 >= largest:
                break
        factor *= 10
    return step


def _wrap(text: str, width: int, lines: int) -> list[str]:
    """``text`` on at most ``lines`` lines of about ``width`` characters, the last shortened at a word with "…"."""
    words, result, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            result.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    result.append(line)
    if len(result) > lines:
        result = [*result[: lines - 1], " ".join(result[lines - 1 :])]
    return [shorten(r, width) for r in result]
