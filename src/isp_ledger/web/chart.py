"""Planned against delivered sessions, per provision, as a bar chart in SVG made on the server: no script, and a
text alternative that states the figures (``role="img"`` with ``aria-labelledby`` a ``<title>`` and ``<desc>``).

Written by hand: a chart library would bring a script, or a drawing stack, for two bars a row. The SVG scales to
any width through its ``viewBox`` (``width="100%"``, no fixed pixel size), so it never overflows a phone's screen;
labels sit above their bars, on the full width, so a long description never collides with a bar.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from markupsafe import Markup

from isp_ledger.domain import wording

WIDTH = 360  # the viewBox's own units, near a phone's width so the words stay legible there when scaled
LABEL_LINE = 18
BAR_HEIGHT = 16
BAR_GAP = 4
ROW_GAP = 18
LEFT = 0
RIGHT_ROOM = 110  # for the figure written after the longer bar
LABEL_CHARS = 42  # a line of a label, at its size, across the width
LABEL_LINES = 2  # a longer description is shortened, at a word (the table below gives it whole)
PLANNED = "#505a5f"  # GOV.UK dark grey
DELIVERED = "#1d70b8"  # GOV.UK blue; both contrast 4.5:1 or more with white, as their text does


@dataclass(frozen=True)
class Bar:
    label: str
    planned: float
    delivered: float


def _figure(value: float) -> str:
    return wording.number(round(value, 1))


def description(bars: list[Bar]) -> str:
    """The chart in words: every figure it draws."""
    if not bars:
        return "No provision was in place in this period."
    return " ".join(
        f"{bar.label}: {_figure(bar.planned)} {wording.plural(bar.planned, 'session')} planned, "
        f"{_figure(bar.delivered)} delivered." for bar in bars)


def bar_chart(bars: list[Bar], *, chart_id: str, title: str) -> Markup:
    """The chart: for each provision, its label, then a bar for the sessions planned and one for those delivered,
    each as long as its figure against the largest figure of the chart."""
    largest = max([max(bar.planned, bar.delivered) for bar in bars] or [0.0]) or 1.0
    scale = (WIDTH - LEFT - RIGHT_ROOM) / largest
    labels = [_label_lines(bar.label) for bar in bars]
    height = sum(LABEL_LINE * len(lines) + 2 * BAR_HEIGHT + BAR_GAP + ROW_GAP for lines in labels) + 40
    parts = [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
               'aria-labelledby="{id}-title {id}-desc" class="app-chart" preserveAspectRatio="xMinYMin meet" '
               'focusable="false">').format(width=WIDTH, height=height, id=chart_id),
        Markup('<title id="{id}-title">{title}</title>').format(id=chart_id, title=title),
        Markup('<desc id="{id}-desc">{text}</desc>').format(id=chart_id, text=description(bars)),
        _legend(),
    ]
    y = 28
    for bar, lines in zip(bars, labels, strict=True):
        for line in lines:
            parts.append(Markup('<text x="{x}" y="{y}" font-size="14" font-weight="bold" fill="#0b0c0c">{label}'
                                '</text>').format(x=LEFT, y=y + 14, label=line))
            y += LABEL_LINE
        for value, colour, word in ((bar.planned, PLANNED, "planned"), (bar.delivered, DELIVERED, "delivered")):
            length = round(value * scale, 1)
            parts.append(Markup('<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}"/>'
                                '<text x="{tx}" y="{ty}" font-size="13" fill="#0b0c0c">{figure} {word}</text>')
                         .format(x=LEFT, y=y, w=length, h=BAR_HEIGHT, colour=colour, tx=LEFT + length + 6, ty=y + 13,
                                 figure=_figure(value), word=word))
            y += BAR_HEIGHT + BAR_GAP
        y += ROW_GAP - BAR_GAP
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _label_lines(label: str) -> list[str]:
    """A label on at most ``LABEL_LINES`` lines, broken at words; the last shortened with an ellipsis if need be."""
    lines = textwrap.wrap(" ".join(label.split()), LABEL_CHARS) or [""]
    if len(lines) > LABEL_LINES:
        rest = " ".join(lines[LABEL_LINES - 1:])
        lines = [*lines[:LABEL_LINES - 1], wording.shorten(rest, LABEL_CHARS)]
    return lines


def _legend() -> Markup:
    return Markup('<rect x="{x}" y="4" width="14" height="14" fill="{planned}"/>'
                  '<text x="{x1}" y="16" font-size="13" fill="#0b0c0c">Sessions planned</text>'
                  '<rect x="{x2}" y="4" width="14" height="14" fill="{delivered}"/>'
                  '<text x="{x3}" y="16" font-size="13" fill="#0b0c0c">Sessions delivered</text>').format(
        x=LEFT, x1=LEFT + 20, x2=LEFT + 160, x3=LEFT + 180, planned=PLANNED, delivered=DELIVERED)
