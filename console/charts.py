"""Server-drawn SVG for /manage/: members per rank (now and after a change) and an escalation
policy's timeline. Colours are SVG presentation attributes, which the CSP does not treat as
inline styles; each chart has role="img" and a name, and the page shows the same numbers as
text beside it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

NOW_COLOUR = "#8c959f"
AFTER_COLOUR = "#1f5fbf"
EDITED_COLOUR = "#bf3989"
TEXT = "#24292f"
MUTED = "#57606a"


def rank_bars(*, title: str, rows, show_after: bool, width: int = 640) -> SafeString:
    """Horizontal bars, one group per rank: members now (grey) and, with ``show_after``,
    after the proposed change (blue; the edited rank in magenta). ``rows`` have label, now,
    after, is_edited. Drawn twice: labels beside the bars for wide screens, and labels above
    them in a narrow drawing for phones (the CSS shows one), so the text stays readable."""
    return format_html(
        '<div class="chart-wide">{}</div><div class="chart-narrow">{}</div>',
        _bars(title=title, rows=rows, show_after=show_after, width=width, compact=False),
        _bars(title=title, rows=rows, show_after=show_after, width=320, compact=True),
    )


def _bars(*, title: str, rows, show_after: bool, width: int, compact: bool) -> SafeString:
    label_w = 0 if compact else (150 if width > 500 else 110)
    label_h = 16 if compact else 0
    right, bar_h, gap = 44, 14, 10
    per_row = label_h + bar_h * (2 if show_after else 1) + gap
    height = max(1, len(rows)) * per_row + 8
    top = max([r.now for r in rows] + ([r.after for r in rows] if show_after else []) + [1])
    span = width - label_w - right
    parts = []
    y = 4
    for row in rows:
        if compact:
            parts.append(format_html(
                '<text x="0" y="{}" font-size="13" fill="{}">{}</text>', y + 12, TEXT, row.label,
            ))
        else:
            parts.append(format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="{}">{}</text>',
                label_w - 8, y + bar_h - 2, TEXT, row.label,
            ))
        y += label_h
        bars = [("now", row.now, NOW_COLOUR)]
        if show_after:
            bars.append(("after the change", row.after, EDITED_COLOUR if row.is_edited else AFTER_COLOUR))
        for j, (what, value, colour) in enumerate(bars):
            by = y + j * bar_h
            w = span * value / top
            parts.append(format_html(
                '<g><title>{}: {} members {}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="{}">{}</text></g>',
                row.label, value, what, label_w, by, f"{max(w, 1):.1f}", bar_h - 2, colour,
                f"{label_w + max(w, 1) + 4:.1f}", by + bar_h - 3, MUTED, value,
            ))
        y += per_row - label_h
    return format_html(
        '<svg class="console-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet">{}</svg>',
        width, height, title, mark_safe("".join(parts)),
    )


def bars_legend(*, show_after: bool) -> SafeString:
    items = [("Members now", "legend-now")]
    if show_after:
        items += [("After the change", "legend-after"), ("The rank you are editing", "legend-edited")]
    return format_html(
        '<ul class="console-legend" role="list">{}</ul>',
        format_html_join("", '<li><span class="swatch {}" aria-hidden="true"></span>{}</li>',
                         ((cls, label) for label, cls in items)),
    )


def humanize_minutes(minutes: int) -> str:
    """4320 -> "3 days", 90 -> "1 hour 30 minutes", 1 -> "1 minute"."""
    minutes = int(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    for n, unit in ((days, "day"), (hours, "hour"), (mins, "minute")):
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts[:2]) or "0 minutes"


@dataclass(frozen=True)
class Segment:
    label: str
    minutes: int
    colour: str


COMMUNITY = "#1a7f37"
EXPERTS = "#8250df"
STAFF = "#bc4c00"


def policy_segments(*, answer_within: int, solve_within: int, staff_response: int,
                    expert_window: int | None = None) -> list[tuple[str, list[Segment]]]:
    """The two timers of a question as lanes of segments. ``expert_window`` is the slot for the
    crowd-experts tier: when that tier exists it passes its window (offered to experts before
    staff); None draws community -> staff."""
    lanes = []
    for name, window in (("No answer", answer_within), ("Not solved", solve_within)):
        segments = [Segment("Community", window, COMMUNITY)]
        if expert_window:
            segments.append(Segment("Experts", expert_window, EXPERTS))
        segments.append(Segment("Staff reply", staff_response, STAFF))
        lanes.append((name, segments))
    return lanes


def timeline(*, lanes, title: str, width: int = 640) -> SafeString:
    """Each lane a row of segments left to right. Widths follow the square root of each
    duration, so a one-hour window beside a three-day one is still visible; every segment is
    labelled with its real duration."""
    label_w, right, lane_h, gap = 100, 4, 30, 22
    total_w = width - label_w - right
    longest = max((sum(s.minutes ** 0.5 for s in segs) for _, segs in lanes), default=1) or 1
    parts = []
    y = 18
    for name, segments in lanes:
        parts.append(format_html(
            '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="{}">{}</text>',
            label_w - 8, y + lane_h / 2 + 4, TEXT, name,
        ))
        x = float(label_w)
        elapsed = 0
        widths = [max(total_w * (seg.minutes ** 0.5) / longest, 70) for seg in segments]
        scale = min(1.0, total_w / sum(widths))
        for seg, w in zip(segments, widths):
            w *= scale
            elapsed += seg.minutes
            parts.append(format_html(
                '<g><title>{}: {} (until {} after asking)</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="3"/>'
                '<text x="{}" y="{}" font-size="11" fill="#ffffff">{}</text>'
                '<text x="{}" y="{}" font-size="11" fill="{}">{}</text></g>',
                seg.label, humanize_minutes(seg.minutes), humanize_minutes(elapsed),
                f"{x:.1f}", y, f"{w - 2:.1f}", lane_h, seg.colour,
                f"{x + 5:.1f}", y + 13, seg.label,
                f"{x + 5:.1f}", y + 26, "#ffffff", humanize_minutes(seg.minutes),
            ))
            x += w
        y += lane_h + gap
    return format_html(
        '<svg class="console-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet">{}</svg>',
        width, y - gap + 8, title, mark_safe("".join(parts)),
    )
