"""Bar charts drawn on the server as SVG geometry: readable without JavaScript, styled by CSS.

A chart is a list of bars, each with its label above it and its value at its end, so long labels
in any language never collide with the bars on a phone-width screen. The template
`public/_bar_chart.html` draws it; the numbers are also in the table beside every chart.
"""

from dataclasses import dataclass

WIDTH = 600
ROW_HEIGHT = 44
BAR_HEIGHT = 16
LABEL_BASELINE = 16
VALUE_GAP = 6
# Room at the right for the value printed after the longest bar.
VALUE_ROOM = 60


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    label_y: int
    bar_y: int
    width: int
    value_x: int
    value_y: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int


def bar_chart(rows: list[tuple[str, int]]) -> BarChart:
    """Horizontal bars scaled to the largest value; a zero value draws no bar."""
    largest = max((value for _label, value in rows), default=0) or 1
    usable = WIDTH - VALUE_ROOM
    bars = []
    for index, (label, value) in enumerate(rows):
        top = index * ROW_HEIGHT
        width = round(usable * value / largest)
        bars.append(
            Bar(
                label=label,
                value=value,
                label_y=top + LABEL_BASELINE - 2,
                bar_y=top + LABEL_BASELINE + 4,
                width=width,
                value_x=width + VALUE_GAP,
                value_y=top + LABEL_BASELINE + 4 + BAR_HEIGHT - 3,
            )
        )
    return BarChart(bars=bars, width=WIDTH, height=max(len(rows), 1) * ROW_HEIGHT)
