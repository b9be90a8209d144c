"""Planned against delivered sessions, per provision, as a bar chart in SVG made on the server: no script, and a
text alternative that states the figures (``role="img"`` with ``aria-labelledby`` a ``<title>`` and ``<desc>``).

Written by hand: a chart library would bring a script, or a drawing stack, for two bars a row. The SVG scales to
any width through its ``viewBox`` (``width="100%"``, no fixed pixel size), so it never overflows a phone's screen;
labels sit above their bars, on the full width, so a long description never collides with a bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from isp_ledger.domain import wording

WIDTH = 600  # the viewBox's own units; the browser scales them to the space available
LABEL_HEIGHT = 22
BAR_HEIGHT = 16
BAR_GAP = 4
ROW_GAP = 18
LEFT = 0
RIGHT_ROOM = 120  # for the figure written after the longer bar
LABEL_CHARS = 70  # a description is shortened, at a word, to fit the width at the label's size
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
    row_height = LABEL_HEIGHT + 2 * BAR_HEIGHT + BAR_GAP + ROW_GAP
    height = max(row_height * len(bars), 40) + 30
    parts = [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
               'aria-labelledby="{id}-title {id}-desc" class="app-chart" preserveAspectRatio="xMinYMin meet" '
               'focusable="false">').format(width=WIDTH, height=height, id=chart_id),
        Markup('<title id="{id}-title">{title}</title>').format(id=chart_id, title=title),
        Markup('<desc id="{id}-desc">{text}</desc>').format(id=chart_id, text=description(bars)),
        _legend(),
    ]
    y = 30
    for bar in bars:
        parts.append(Markup('<text x="{x}" y="{y}" font-size="15" font-weight="bold" fill="#0b0c0c">{label}</text>')
                     .format(x=LEFT, y=y + 15, label=wording.shorten(bar.label, LABEL_CHARS)))
        y += LABEL_HEIGHT
        for value, colour, word in ((bar.planned, PLANNED, "planned"), (bar.delivered, DELIVERED, "delivered")):
            length = round(value * scale, 1)
            parts.append(Markup('<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}"/>'
                                '<text x="{tx}" y="{ty}" font-size="14" fill="#0b0c0c">{figure} {word}</text>')
                         .format(x=LEFT, y=y, w=length, h=BAR_HEIGHT, colour=colour, tx=LEFT + length + 6, ty=y + 13,
                                 figure=_figure(value), word=word))
            y += BAR_HEIGHT + BAR_GAP
        y += ROW_GAP - BAR_GAP
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _legend() -> Markup:
    return Markup('<rect x="{x}" y="4" width="14" height="14" fill="{planned}"/>'
                  '<text x="{x1}" y="16" font-size="14" fill="#0b0c0c">Sessions planned</text>'
                  '<rect x="{x2}" y="4" width="14" height="14" fill="{delivered}"/>'
                  '<text x="{x3}" y="16" font-size="14" fill="#0b0c0c">Sessions delivered</text>').format(
        x=LEFT, x1=LEFT + 20, x2=LEFT + 170, x3=LEFT + 190, planned=PLANNED, delivered=DELIVERED)
