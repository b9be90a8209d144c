"""Planned against delivered sessions, per provision, as a bar chart in SVG made on the server: no script, and a
text alternative that states the figures (``role="img"`` with ``aria-labelledby`` a ``<title>`` and ``<desc>``).

Written by hand: a chart library would bring a script, or a drawing stack, for two bars a row. The SVG scales to
any width through its ``viewBox`` (``width="100%"``, no fixed pixel size), so it never overflows a phone's screen;
labels sit above their bars, on the full width, so a long description never collides with a bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

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
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="app-chart" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description(bars))}</desc>',
        _legend(),
    ]
    y = 30
    for bar in bars:
        label = wording.shorten(bar.label, LABEL_CHARS)
        parts.append(f'<text x="{LEFT}" y="{y + 15}" font-size="15" font-weight="bold" fill="#0b0c0c">'
                     f'{escape(label)}</text>')
        y += LABEL_HEIGHT
        for value, colour, word in ((bar.planned, PLANNED, "planned"), (bar.delivered, DELIVERED, "delivered")):
            length = round(value * scale, 1)
            parts.append(f'<rect x="{LEFT}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="{colour}"/>')
            parts.append(f'<text x="{LEFT + length + 6}" y="{y + 13}" font-size="14" fill="#0b0c0c">'
                         f'{_figure(value)} {word}</text>')
            y += BAR_HEIGHT + BAR_GAP
        y += ROW_GAP - BAR_GAP
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend() -> str:
    return (f'<rect x="{LEFT}" y="4" width="14" height="14" fill="{PLANNED}"/>'
            f'<text x="{LEFT + 20}" y="16" font-size="14" fill="#0b0c0c">Sessions planned</text>'
            f'<rect x="{LEFT + 170}" y="4" width="14" height="14" fill="{DELIVERED}"/>'
            f'<text x="{LEFT + 190}" y="16" font-size="14" fill="#0b0c0c">Sessions delivered</text>')
