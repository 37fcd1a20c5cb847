"""Charts for the HTML report, drawn as inline SVG in Python.

No plotting library and no JavaScript charting: the report must open offline, years later, from an
e-mail attachment, so each chart is a small self-contained ``<svg>`` string. Production is drawn
blue, staging orange, everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from paritygen.profile.values import from_number
from paritygen.verify import measures as m

PRODUCTION = "#3b6fb6"
STAGING = "#e3863b"
GRID = "#e3e6eb"
TEXT = "#39424e"
FONT = "font-family='system-ui, -apple-system, Segoe UI, sans-serif'"


@dataclass(frozen=True)
class Bar:
    """One table's pair of bars."""

    label: str
    production: float | None
    staging: float | None


def _fmt(value: float, unit: str) -> str:
    if unit == "bytes":
        size = float(value)
        for suffix in ("B", "kB", "MB", "GB", "TB"):
            if size < 1024 or suffix == "TB":
                return f"{size:.0f} {suffix}" if suffix == "B" else f"{size:.1f} {suffix}"
            size /= 1024
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    if value >= 1e4:
        return f"{value / 1e3:.1f} k"
    return f"{value:,.0f}"


def bar_chart(bars: Sequence[Bar], *, unit: str, log: bool, title: str) -> str:
    """Horizontal paired bars (production above staging) per table, linear or log10 scale."""
    label_w, value_w, plot_w, bar_h, gap = 190, 90, 560, 11, 12
    top = 34
    height = top + len(bars) * (2 * bar_h + gap) + 30
    width = label_w + plot_w + value_w
    peak = max([b.production or 0 for b in bars] + [b.staging or 0 for b in bars] + [1])

    def scale(value: float) -> float:
        if value <= 0:
            return 0.0
        if log:
            return plot_w * math.log10(value + 1) / math.log10(peak + 1)
        return plot_w * value / peak

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart bars' width='{width}'"
        f" height='{height}' viewBox='0 0 {width} {height}' role='img' {FONT}>",
        f"<title>{escape(title)}</title>",
        f"<text x='0' y='16' font-size='14' font-weight='600' fill='{TEXT}'>{escape(title)}"
        f"{' (log scale)' if log else ''}</text>",
    ]
    # Grid lines at quarters (linear) or powers of ten (log).
    ticks = (
        [10**k for k in range(0, int(math.log10(peak + 1)) + 1)]
        if log
        else [peak * f for f in (0.25, 0.5, 0.75, 1.0)]
    )
    for tick in ticks:
        x = label_w + scale(tick)
        parts.append(
            f"<line x1='{x:.1f}' y1='{top - 6}' x2='{x:.1f}' y2='{height - 24}' stroke='{GRID}'/>"
            f"<text x='{x:.1f}' y='{height - 10}' font-size='10' fill='#7a8491'"
            f" text-anchor='middle'>{escape(_fmt(tick, unit))}</text>"
        )
    y = top
    for bar in bars:
        parts.append(
            f"<text x='{label_w - 8}' y='{y + bar_h + 4}' font-size='12' fill='{TEXT}'"
            f" text-anchor='end'>{escape(bar.label[:28])}</text>"
        )
        for value, color, who in (
            (bar.production, PRODUCTION, "production"),
            (bar.staging, STAGING, "staging"),
        ):
            if value is not None:
                w = max(scale(value), 1.0 if value > 0 else 0.0)
                parts.append(
                    f"<rect class='bar {who}' x='{label_w}' y='{y}' width='{w:.1f}'"
                    f" height='{bar_h}' rx='2' fill='{color}'><title>{escape(bar.label)}"
                    f" {who}: {escape(_fmt(value, unit))}</title></rect>"
                    f"<text x='{label_w + w + 4:.1f}' y='{y + bar_h - 2}' font-size='10'"
                    f" fill='#5b6572'>{escape(_fmt(value, unit))}</text>"
                )
            y += bar_h
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def _axis_label(value: float, logical_type: str) -> str:
    if logical_type in ("date", "datetime", "time"):
        text = str(from_number(value, logical_type))
        return text[:10] if logical_type != "time" else text[:8]
    if logical_type == "integer" and abs(value) < 1e9:
        return f"{value:,.0f}"
    if abs(value) >= 1e5 or (0 < abs(value) < 1e-2):
        return f"{value:.3g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _cdf_points(cdf: m.CDF, xs: np.ndarray) -> np.ndarray:
    """Points of the CDF polyline: both one-sided limits at each breakpoint draw the jumps."""
    left, right = cdf.left(xs), cdf.right(xs)
    return np.column_stack([np.repeat(xs, 2), np.column_stack([left, right]).ravel()])


def cdf_chart(
    production: m.CDF | None,
    staging: m.CDF | None,
    *,
    title: str,
    subtitle: str,
    logical_type: str = "float",
) -> str:
    """Production's and staging's CDFs overlaid on one axis."""
    width, height, left, right, top, bottom = 410, 280, 48, 16, 62, 34
    cdfs = [c for c in (production, staging) if c is not None]
    xs = np.union1d(*(c.breakpoints for c in cdfs)) if len(cdfs) == 2 else cdfs[0].breakpoints
    lo, hi = _robust_range(cdfs, xs)
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.03
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:  # points beyond the range sit on its edge
        return left + (min(max(x, lo), hi) - lo) / (hi - lo) * plot_w

    def py(p: float) -> float:
        return top + (1 - p) * plot_h

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart cdf' width='{width}'"
        f" height='{height}' viewBox='0 0 {width} {height}' role='img' {FONT}>",
        f"<title>{escape(title)}</title>",
        f"<text x='0' y='15' font-size='13' font-weight='600' fill='{TEXT}'>{escape(title)}</text>",
        f"<text x='0' y='31' font-size='11' fill='#6b7480'>{escape(subtitle)}</text>",
    ]
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f"<line x1='{left}' y1='{py(p):.1f}' x2='{width - right}' y2='{py(p):.1f}'"
            f" stroke='{GRID}'/><text x='{left - 6}' y='{py(p) + 3:.1f}' font-size='10'"
            f" fill='#7a8491' text-anchor='end'>{p:.2f}</text>"
        )
    for i in range(5):
        x = lo + (hi - lo) * (0.03 + 0.94 * i / 4)
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(
            f"<text x='{px(x):.1f}' y='{height - bottom + 16}' font-size='10' fill='#7a8491'"
            f" text-anchor='{anchor}'>{escape(_axis_label(x, logical_type))}</text>"
        )
    for cdf, color, who, dash in (
        (production, PRODUCTION, "production", ""),
        (staging, STAGING, "staging", " stroke-dasharray='6 3'"),
    ):
        if cdf is None:
            continue
        pts = _cdf_points(cdf, xs)
        line = [(left, py(0.0))] + [(px(x), py(p)) for x, p in pts] + [(width - right, py(1.0))]
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        parts.append(
            f"<polyline class='line {who}' points='{coords}' fill='none' stroke='{color}'"
            f" stroke-width='2'{dash}/>"
        )
    parts.append(_legend(left, 52))
    parts.append("</svg>")
    return "".join(parts)


def _robust_range(cdfs: list[m.CDF], xs: np.ndarray) -> tuple[float, float]:
    """The x range from the 1st to the 99th percentile of either side (a sketch's resolution):
    one stray value (an orphan key of 999999) must not squash the curves against the axis."""
    lows, highs = [], []
    for cdf in cdfs:
        points = cdf.breakpoints
        levels = cdf.right(points)
        lows.append(float(points[np.searchsorted(levels, 0.01 - 1e-9, side="left")]))
        highs.append(float(points[min(np.searchsorted(levels, 0.99 - 1e-9), points.size - 1)]))
    lo, hi = min(lows), max(highs)
    if hi <= lo:
        return float(xs.min()), float(xs.max())
    return lo, hi


def frequency_chart(
    production: dict[str, float], staging: dict[str, float], *, title: str, subtitle: str
) -> str:
    """Paired horizontal bars of the most frequent values (production's top 12)."""
    keys = sorted(set(production) | set(staging), key=lambda k: -production.get(k, 0.0))[:12]
    width, label_w, plot_w, bar_h, gap, top = 410, 120, 240, 8, 7, 64
    height = top + len(keys) * (2 * bar_h + gap) + 10
    peak = max([production.get(k, 0) for k in keys] + [staging.get(k, 0) for k in keys] + [1e-9])
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart freq' width='{width}'"
        f" height='{height}' viewBox='0 0 {width} {height}' role='img' {FONT}>",
        f"<title>{escape(title)}</title>",
        f"<text x='0' y='15' font-size='13' font-weight='600' fill='{TEXT}'>{escape(title)}</text>",
        f"<text x='0' y='31' font-size='11' fill='#6b7480'>{escape(subtitle)}</text>",
        _legend(label_w, 52),
    ]
    y = top
    for key in keys:
        parts.append(
            f"<text x='{label_w - 6}' y='{y + bar_h + 3}' font-size='11' fill='{TEXT}'"
            f" text-anchor='end'>{escape(str(key)[:18])}</text>"
        )
        pair = ((production.get(key, 0.0), PRODUCTION), (staging.get(key, 0.0), STAGING))
        for share, color in pair:
            w = plot_w * share / peak
            parts.append(
                f"<rect x='{label_w}' y='{y}' width='{w:.1f}' height='{bar_h}' fill='{color}'/>"
                f"<text x='{label_w + w + 4:.1f}' y='{y + bar_h - 1}' font-size='9'"
                f" fill='#5b6572'>{share:.1%}</text>"
            )
            y += bar_h
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def _legend(x: float, y: float) -> str:
    return (
        f"<g class='legend' font-size='11' fill='{TEXT}'>"
        f"<rect x='{x}' y='{y - 8}' width='12' height='4' fill='{PRODUCTION}'/>"
        f"<text x='{x + 16}' y='{y - 3}'>production</text>"
        f"<rect x='{x + 88}' y='{y - 8}' width='12' height='4' fill='{STAGING}'/>"
        f"<text x='{x + 104}' y='{y - 3}'>staging</text></g>"
    )


@dataclass(frozen=True)
class TimePoint:
    """One observation of a series: seconds since the epoch, and the value."""

    at: float
    value: float


def growth_chart(
    production: Sequence[TimePoint],
    *,
    staging: TimePoint | None,
    projection: TimePoint | None,
    title: str,
    subtitle: str,
    unit: str = "rows",
) -> str:
    """Production's value over time (blue line and dots), staging's last fill (orange dot) and
    the projected value (dashed, from the last observation to the projection's date)."""
    import datetime as dt

    width, height, left, right, top, bottom = 410, 250, 64, 18, 58, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    every = list(production) + [p for p in (staging, projection) if p is not None]
    t_lo, t_hi = min(p.at for p in every), max(p.at for p in every)
    if t_hi <= t_lo:
        t_lo, t_hi = t_lo - 43_200, t_hi + 43_200  # one run: half a day either side
    v_hi = max(p.value for p in every) * 1.08 or 1.0

    def px(at: float) -> float:
        return left + (at - t_lo) / (t_hi - t_lo) * plot_w

    def py(value: float) -> float:
        return top + (1 - value / v_hi) * plot_h

    def when(at: float) -> str:
        moment = dt.datetime.fromtimestamp(at, dt.UTC)
        return moment.strftime("%Y-%m-%d" if t_hi - t_lo > 3 * 86_400 else "%m-%d %H:%M")

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart growth' width='{width}'"
        f" height='{height}' viewBox='0 0 {width} {height}' role='img' {FONT}>",
        f"<title>{escape(title)}</title>",
        f"<text x='0' y='15' font-size='13' font-weight='600' fill='{TEXT}'>{escape(title)}</text>",
        f"<text x='0' y='31' font-size='11' fill='#6b7480'>{escape(subtitle)}</text>",
        _legend(left, 50),
    ]
    for share in (0.0, 0.5, 1.0):
        value = v_hi * share
        parts.append(
            f"<line x1='{left}' y1='{py(value):.1f}' x2='{width - right}' y2='{py(value):.1f}'"
            f" stroke='{GRID}'/><text x='{left - 6}' y='{py(value) + 3:.1f}' font-size='10'"
            f" fill='#7a8491' text-anchor='end'>{escape(_fmt(value, unit))}</text>"
        )
    for at, anchor in ((t_lo, "start"), (t_hi, "end")):
        parts.append(
            f"<text x='{px(at):.1f}' y='{height - bottom + 16}' font-size='10' fill='#7a8491'"
            f" text-anchor='{anchor}'>{escape(when(at))}</text>"
        )
    ordered = sorted(production, key=lambda p: p.at)
    if projection is not None and ordered:
        last = ordered[-1]
        parts.append(
            f"<line class='projection' x1='{px(last.at):.1f}' y1='{py(last.value):.1f}'"
            f" x2='{px(projection.at):.1f}' y2='{py(projection.value):.1f}' stroke='{PRODUCTION}'"
            f" stroke-width='1.5' stroke-dasharray='5 4'><title>projected"
            f" {escape(when(projection.at))}: {escape(_fmt(projection.value, unit))}</title></line>"
        )
    if len(ordered) > 1:
        coords = " ".join(f"{px(p.at):.1f},{py(p.value):.1f}" for p in ordered)
        parts.append(
            f"<polyline class='line production' points='{coords}' fill='none'"
            f" stroke='{PRODUCTION}' stroke-width='2'/>"
        )
    for point in ordered:
        parts.append(
            f"<circle class='point production' cx='{px(point.at):.1f}' cy='{py(point.value):.1f}'"
            f" r='3' fill='{PRODUCTION}'><title>production {escape(when(point.at))}:"
            f" {escape(_fmt(point.value, unit))}</title></circle>"
        )
    if staging is not None:
        parts.append(
            f"<circle class='point staging' cx='{px(staging.at):.1f}' cy='{py(staging.value):.1f}'"
            f" r='5' fill='none' stroke='{STAGING}' stroke-width='2.5'><title>staging, last fill"
            f" {escape(when(staging.at))}: {escape(_fmt(staging.value, unit))}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
