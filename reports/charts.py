"""Charts for the annual report, drawn with reportlab.graphics (vector, no image library).

Each function takes plain numbers and labels and returns a ``Drawing`` (a platypus flowable).
Figures on the bars come from the caller's formatter, so the chart shows the same text as the
tables; the drawing itself uses floats, which only place the bars.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors

POSITIVE = colors.HexColor("#2e7d32")
NEGATIVE = colors.HexColor("#c62828")
SERIES = (colors.HexColor("#1565c0"), colors.HexColor("#ef6c00"), colors.HexColor("#6a1b9a"))
GRID = colors.HexColor("#dddddd")


def _nice_range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min([0.0, *values]), max([0.0, *values])
    if low == high:
        high = low + 1.0
    pad = (high - low) * 0.08
    return (low - pad if low < 0 else 0.0), (high + pad if high > 0 else 0.0)


def differences_by_category(labels: Sequence[str], values: Sequence[float], *, width: float, font: str,
                            value_text: Callable[[float], str], title: str = "") -> Drawing:
    """Horizontal bars: the value of the differences of each category (surplus green, shortage red)."""
    n = max(len(labels), 1)
    bar_space = 22
    height = 36 + n * bar_space + (18 if title else 0)
    drawing = Drawing(width, height)
    if title:
        drawing.add(String(0, height - 12, title, fontName=font, fontSize=9))
    chart = HorizontalBarChart()
    label_width = min(190.0, width * 0.36)
    value_width = 80.0
    chart.x, chart.y = label_width, 22
    chart.width, chart.height = width - label_width - value_width, n * bar_space
    chart.data = [list(values) or [0.0]]
    low, high = _nice_range(values)
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, high
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = font, 7
    chart.valueAxis.labelTextFormat = value_text
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.categoryAxis.categoryNames = list(labels) or [""]
    chart.categoryAxis.joinAxisMode = "left"
    chart.categoryAxis.visibleLabels = 0        # drawn below, clear of the bars
    chart.categoryAxis.visibleTicks = False
    chart.categoryAxis.reverseDirection = True      # first category on top, as in the table
    chart.bars.strokeColor = None
    chart.barWidth = 12
    for i, value in enumerate(values):
        chart.bars[(0, i)].fillColor = POSITIVE if value >= 0 else NEGATIVE
    drawing.add(chart)
    # Category names on the left and the figures in a column on the right: never on a bar.
    for i, (name, value) in enumerate(zip(labels, values)):
        y = chart.y + chart.height - (i + 0.5) * (chart.height / n) - 2.5
        drawing.add(String(label_width - 6, y, name, fontName=font, fontSize=7, textAnchor="end"))
        drawing.add(String(width - 2, y, value_text(value), fontName=font, fontSize=7, textAnchor="end",
                           fillColor=POSITIVE if value >= 0 else NEGATIVE))
    # the zero line, so shortages and surpluses read at a glance
    if low < 0 < high:
        x0 = chart.x + chart.width * (0 - low) / (high - low)
        drawing.add(Line(x0, chart.y, x0, chart.y + chart.height, strokeColor=colors.black, strokeWidth=0.6))
    return drawing


def progress_over_time(series: dict[str, Sequence[tuple[float, float]]], *, width: float, font: str,
                       x_text: Callable[[float], str], title: str = "", height: float = 190) -> Drawing:
    """Lines of cumulative counts over time (x in hours from the first count), one per round."""
    drawing = Drawing(width, height)
    top = height - (18 if title else 4)
    if title:
        drawing.add(String(0, height - 12, title, fontName=font, fontSize=9))
    plot = LinePlot()
    plot.x, plot.y = 46, 40
    plot.width, plot.height = width - 60, top - 70
    names = list(series)
    plot.data = [list(points) or [(0.0, 0.0)] for points in series.values()] or [[(0.0, 0.0)]]
    xs = [x for points in plot.data for x, _ in points]
    ys = [y for points in plot.data for _, y in points]
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = min(xs), max(max(xs), min(xs) + 1)
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, max(max(ys), 1) * 1.05
    plot.xValueAxis.labelTextFormat = x_text
    plot.xValueAxis.labels.fontName, plot.xValueAxis.labels.fontSize = font, 7
    plot.xValueAxis.labels.angle, plot.xValueAxis.labels.boxAnchor = 30, "ne"
    plot.yValueAxis.labels.fontName, plot.yValueAxis.labels.fontSize = font, 7
    plot.yValueAxis.labelTextFormat = lambda v: f"{v:,.0f}".replace(",", " ")
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = GRID
    for i in range(len(plot.data)):
        plot.lines[i].strokeColor = SERIES[i % len(SERIES)]
        plot.lines[i].strokeWidth = 1.5
    drawing.add(plot)
    if names:
        legend = LineLegend()
        legend.x, legend.y = plot.x + 4, top - 12
        legend.fontName, legend.fontSize = font, 7
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.deltax = 90
        legend.colorNamePairs = [(SERIES[i % len(SERIES)], name) for i, name in enumerate(names)]
        drawing.add(legend)
    return drawing
