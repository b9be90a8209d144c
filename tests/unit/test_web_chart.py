"""The delivery chart (web/chart.py): bars as long as their figures, labels and a text alternative that states
every figure, and a drawing that scales to any width (a viewBox, no fixed size)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from isp_ledger.web.chart import WIDTH, Bar, bar_chart, description

SVG = "{http://www.w3.org/2000/svg}"


def parsed(bars: list[Bar]) -> ET.Element:
    return ET.fromstring(str(bar_chart(bars, chart_id="c", title="Sessions planned and delivered")))


def bar_widths(svg: ET.Element) -> list[float]:
    return [float(rect.get("width", "0")) for rect in svg.iter(f"{SVG}rect")][2:]  # after the legend's two keys


def test_bars_are_proportional_to_their_figures_and_the_largest_fits_the_width() -> None:
    svg = parsed([Bar("Phonics", 30, 15), Bar("Speech and language", 10, 10)])
    planned_a, delivered_a, planned_b, delivered_b = bar_widths(svg)
    assert delivered_a == pytest.approx(planned_a / 2, abs=0.1)  # drawn to a tenth of a unit
    assert planned_b == pytest.approx(planned_a / 3, abs=0.1) and delivered_b == planned_b
    assert 0 < planned_a <= WIDTH - 100  # room left for the figure written after the bar


def test_the_text_alternative_states_every_figure_and_the_labels_are_drawn() -> None:
    bars = [Bar("Phonics", 35.4, 35), Bar("Nurture group", 1, 0)]
    svg = parsed(bars)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.find(f"{SVG}title").text == "Sessions planned and delivered"  # type: ignore[union-attr]
    desc = svg.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc == description(bars)
    assert desc == ("Phonics: 35.4 sessions planned, 35 delivered. Nurture group: 1 session planned, 0 delivered.")
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Phonics" in texts and "35.4 planned" in texts and "35 delivered" in texts and "0 delivered" in texts


def test_it_scales_to_a_phone_through_its_viewbox_and_long_labels_wrap_then_are_shortened_at_a_word() -> None:
    label = ("Small-group phonics catch-up, following the school's systematic synthetic phonics scheme, daily, "
             "with a trained teaching assistant")
    svg = parsed([Bar(label, 3, 2)])
    assert svg.get("width") == "100%" and svg.get("height") is None
    assert re.fullmatch(rf"0 0 {WIDTH} \d+", svg.get("viewBox", ""))
    drawn = [t.text or "" for t in svg.iter(f"{SVG}text")]
    first = drawn.index("Small-group phonics catch-up, following")
    second = drawn[first + 1]
    assert second.endswith("…") and all(len(line) <= 42 for line in drawn[first:first + 2])
    assert label.startswith(f"{drawn[first]} {second[:-1]}")
    assert drawn[first + 2] == "3 planned"  # two lines at most, then the bars' figures
    for rect in svg.iter(f"{SVG}rect"):
        assert float(rect.get("x", "0")) + float(rect.get("width", "0")) <= WIDTH


def test_no_provision_draws_an_empty_chart_that_says_so_and_labels_are_escaped() -> None:
    assert description([]) == "No provision was in place in this period."
    assert parsed([]).find(f"{SVG}desc").text == "No provision was in place in this period."  # type: ignore[union-attr]
    svg = str(bar_chart([Bar("<script>alert(1)</script> & more", 1, 1)], chart_id="c", title="T"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
