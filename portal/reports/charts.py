"""Chart geometry for server-side SVG: no chart library, no script, nothing from a CDN.

The numbers become rectangles and polylines here; templates/reports/_chart.html only draws them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 34     # room for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int          # which colour (CSS class chart-s0, chart-s1, ...)
    title: str           # the tooltip: label and value


@dataclass(frozen=True)
class Line:
    points: str          # "x,y x,y ..." for <polyline>
    series: int
    dots: list[tuple[float, float, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Chart:
    title: str
    legend: list[tuple[int, str]]
    bars: list[Bar]
    lines: list[Line]
    y_ticks: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    empty: bool = False

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM


def nice_ceiling(value: float) -> float:
    """The next 1, 2 or 5 x 10^k at or above `value`: round numbers on the axis."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def grouped_bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                 line: tuple[str, Sequence[float]] | None = None, max_labels: int = 8) -> Chart:
    """Bars per label, one per series side by side, and optionally a line over them (e.g. a
    backlog) on the same scale."""
    legend = [(i, name) for i, (name, _) in enumerate(series)]
    if line:
        legend.append((len(series), line[0]))
    values = [v for _, vs in series for v in vs] + (list(line[1]) if line else [])
    if not labels or not any(values):
        return Chart(title, legend, [], [], [], [], empty=True)
    step = nice_ceiling(max(values) / 4)          # round steps: 0, 2, 4, 6 rather than 0, 1.2, 2.5
    ticks_n = max(1, math.ceil(max(values) / step))
    top = step * ticks_n
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(labels)
    bar_w = max(1.0, slot * 0.8 / max(1, len(series)))

    def y_of(v: float) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    bars = []
    for i, label in enumerate(labels):
        for s, (name, vs) in enumerate(series):
            v = vs[i]
            y = y_of(v)
            bars.append(Bar(round(LEFT + i * slot + slot * 0.1 + s * bar_w, 1), y, round(bar_w, 1),
                            round(TOP + plot_h - y, 1), s, f"{label}: {_fmt(v)} {name.lower()}"))
    lines = []
    if line:
        pts = [(round(LEFT + (i + 0.5) * slot, 1), y_of(v)) for i, v in enumerate(line[1])]
        lines.append(Line(" ".join(f"{x},{y}" for x, y in pts), len(series),
                          [(x, y, f"{labels[i]}: {_fmt(line[1][i])} {line[0].lower()}")
                           for i, (x, y) in enumerate(pts)]))
    ticks = [(y_of(step * k), _fmt(step * k)) for k in range(ticks_n + 1)]
    every = max(1, math.ceil(len(labels) / max_labels))
    x_labels = [(round(LEFT + (i + 0.5) * slot, 1), label) for i, label in enumerate(labels) if i % every == 0]
    return Chart(title, legend, bars, lines, ticks, x_labels)
