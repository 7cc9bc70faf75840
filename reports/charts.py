"""Charts drawn on the server as plain SVG: no JavaScript, no chart library, no CDN.

Colours are SVG presentation attributes (fill="..."), which the Content-Security-Policy does not
treat as inline styles. Every chart has role="img", an accessible name and description, and a
<title> on each bar (shown as a tooltip, read by screen readers); the page puts the same numbers
in a table beside it, so the chart is never the only way to read them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _ticks(top: int, count: int = 4) -> list[int]:
    step = max(1, top // count)
    return list(range(0, top + 1, step))


def stacked_bars(
    *, chart_id: str, title: str, description: str, labels: Sequence[str], short_labels: Sequence[str],
    series: Sequence[Series], values: Sequence[dict[str, int]], width: int = 720, height: int = 260,
) -> SafeString:
    """Vertical bars, one per label, each stacked from ``series`` (first at the bottom)."""
    left, right, top, bottom = 40, 8, 10, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((sum(v[s.key] for s in series) for v in values), default=0))
    slot = plot_w / max(1, len(labels))
    bar_w = max(1.0, slot * 0.75)
    label_every = max(1, math.ceil(len(labels) / 10))

    parts: list[str] = []
    for tick in _ticks(top_value):
        y = top + plot_h - plot_h * tick / top_value
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d7de" stroke-width="1"/>'
            '<text class="chart-axis" x="{}" y="{}" text-anchor="end" font-size="11" fill="#57606a">{}</text>',
            left, width - right, f"{y:.1f}", f"{y:.1f}", left - 6, f"{y + 4:.1f}", tick,
        ))
    for i, (label, short, value) in enumerate(zip(labels, short_labels, values)):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        total = sum(value[s.key] for s in series)
        summary = ", ".join(f"{value[s.key]} {s.label.lower()}" for s in series)
        rects = []
        for s in series:
            n = value[s.key]
            if not n:
                continue
            h = plot_h * n / top_value
            y -= h
            rects.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                f"{x:.1f}", f"{y:.1f}", f"{bar_w:.1f}", f"{h:.1f}", s.colour,
            ))
        parts.append(format_html(
            '<g><title>{}: {} asked — {}</title>{}</g>', label, total, summary, mark_safe("".join(rects)),
        ))
        if i % label_every == 0:
            # Every other label is hidden on narrow screens (site.css), where the text is larger.
            parts.append(format_html(
                '<text class="chart-axis{}" x="{}" y="{}" text-anchor="middle" font-size="11" fill="#57606a">{}</text>',
                " chart-axis-alt" if (i // label_every) % 2 else "", f"{x + bar_w / 2:.1f}", height - 6, short,
            ))
    return format_html(
        '<svg class="report-chart" id="{}" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        chart_id, width, height, chart_id, chart_id, chart_id, title, chart_id, description,
        mark_safe("".join(parts)),
    )


def horizontal_bars(
    *, chart_id: str, title: str, description: str, rows: Sequence[tuple[str, int]], colour: str = "#9a3412",
    width: int = 480, bar_height: int = 22,
) -> SafeString:
    """One horizontal bar per (label, value) row, the label above its bar."""
    gap, label_h = 8, 20
    height = max(1, len(rows)) * (bar_height + label_h + gap)
    top_value = max((n for _, n in rows), default=0) or 1
    plot_w = width - 50
    groups = []
    for i, (label, n) in enumerate(rows):
        y = i * (bar_height + label_h + gap)
        w = plot_w * n / top_value
        groups.append(format_html(
            '<g><title>{}: {}</title>'
            '<text class="chart-label" x="0" y="{}" font-size="12" fill="#24292f">{}</text>'
            '<rect x="0" y="{}" width="{}" height="{}" fill="{}"/>'
            '<text class="chart-label" x="{}" y="{}" font-size="12" fill="#24292f">{}</text></g>',
            label, n, y + 16, label, y + label_h, f"{max(w, 1 if n else 0):.1f}", bar_height, colour,
            f"{w + 6:.1f}", y + label_h + bar_height - 6, n,
        ))
    return format_html(
        '<svg class="report-chart report-chart-bars" id="{}" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        chart_id, width, height, chart_id, chart_id, chart_id, title, chart_id, description,
        mark_safe("".join(groups)),
    )


def legend(series: Sequence[Series]) -> SafeString:
    """The colour key as an HTML list; the swatch is a tiny SVG so no style attribute is needed."""
    items = format_html_join(
        "", '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{}"/></svg> {}</li>',
        ((s.colour, s.label) for s in series),
    )
    return format_html('<ul class="report-legend" role="list">{}</ul>', items)
