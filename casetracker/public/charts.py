"""Bar charts drawn on the server as SVG: readable without JavaScript, styled by CSS.

A chart is a list of horizontal bars, each with its label above it and its value at its end.
Heights are in pixels and widths in percent of the page column, with no viewBox scaling, so the
text keeps the same size on a phone and on a desk and long labels in any language fit. The
template `public/_bar_chart.html` draws it; the numbers are also in the table beside every chart.
"""

from dataclasses import dataclass

ROW_HEIGHT = 46
BAR_HEIGHT = 16
LABEL_BASELINE = 16
# The longest bar takes this share of the width, leaving room for its value after it.
LONGEST_BAR_PERCENT = 85


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    label_y: int
    bar_y: int
    value_y: int
    # Percentages as strings ("42.5%"): never localised, so "42,5" cannot reach the SVG.
    width: str
    value_x: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    bar_height: int = BAR_HEIGHT


def bar_chart(rows: list[tuple[str, int]]) -> BarChart:
    """Horizontal bars scaled to the largest value; a zero value draws no bar."""
    largest = max((value for _label, value in rows), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(rows):
        top = index * ROW_HEIGHT
        percent = LONGEST_BAR_PERCENT * value / largest
        bar_y = top + LABEL_BASELINE + 6
        bars.append(
            Bar(
                label=label,
                value=value,
                label_y=top + LABEL_BASELINE,
                bar_y=bar_y,
                value_y=bar_y + BAR_HEIGHT - 3,
                width=f"{percent:.1f}%",
                value_x=f"{percent:.1f}%",
            )
        )
    return BarChart(bars=bars, height=max(len(rows), 1) * ROW_HEIGHT)
