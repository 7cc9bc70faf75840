"""The deflection report page and its CSV. Staff and admins only; everyone else gets 404."""

from __future__ import annotations

import csv
from datetime import timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.views.decorators.http import require_GET

from escalation.permissions import check_can_work_queue
from reports import charts
from reports.forms import ReportForm
from reports.selectors import Report, build_report

OUTCOMES = [
    charts.Series("solved_by_community", "Solved by the community", "#1a7f37"),
    charts.Series("solved_by_staff", "Solved by staff", "#0969da"),
    charts.Series("answered_unsolved", "Answered, not solved", "#bf8700"),
    charts.Series("unanswered", "Unanswered", "#8c959f"),
]


def duration_text(value: timedelta | None) -> str:
    """A duration for people: "3 h 20 min", "2 d 4 h", "45 s"; "—" when there is none."""
    if value is None:
        return "—"
    seconds = int(round(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _hours(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 3600:.2f}"


def _figures(report: Report) -> list[tuple[str, str, str]]:
    """(label, value shown on the page, value written to the CSV)."""
    t = report.totals
    savings = f"{report.savings:.2f}"
    return [
        ("Questions asked", f"{t.asked:,}", str(t.asked)),
        ("Answered by the community", f"{t.answered_by_community:,}", str(t.answered_by_community)),
        ("Solved by the community", f"{t.solved_by_community:,}", str(t.solved_by_community)),
        ("Solved by staff", f"{t.solved_by_staff:,}", str(t.solved_by_staff)),
        ("Escalated to staff", f"{t.escalated:,}", str(t.escalated)),
        ("Tickets past their staff target", f"{report.tickets_past_target:,} of {report.tickets:,}",
         str(report.tickets_past_target)),
        ("Median time to first answer", duration_text(report.first_answer_median), _hours(report.first_answer_median)),
        ("90th percentile time to first answer", duration_text(report.first_answer_p90), _hours(report.first_answer_p90)),
        ("Median time to solution", duration_text(report.solution_median), _hours(report.solution_median)),
        ("90th percentile time to solution", duration_text(report.solution_p90), _hours(report.solution_p90)),
        (f"Estimated savings ({report.currency})", f"{report.currency} {report.savings:,.2f}", savings),
    ]


def _change(now, before, *, better: str, unit: str = "%") -> dict:
    """How a figure moved against the previous period: text ("up 12 %", "down 3.5 points"),
    and whether that is good, bad or flat for the support team (``better`` is "up" or "down")."""
    if now is None or before is None:
        return {"text": "no earlier figure", "tone": "flat", "sr": "no figure for the previous period"}
    if isinstance(now, timedelta):
        now, before = now.total_seconds(), before.total_seconds()
    now, before = float(now), float(before)
    if unit == "points":
        delta = now - before
        amount = f"{abs(delta):.1f} points"
    elif before == 0:
        delta = now
        amount = "from none" if now else ""
    else:
        delta = (now - before) / before * 100
        amount = f"{abs(delta):.0f} %"
    if abs(delta) < 0.05 or not amount:
        return {"text": "no change", "tone": "flat", "sr": "no change from the previous period"}
    direction = "up" if delta > 0 else "down"
    tone = "good" if direction == better else "bad"
    arrow = "▲" if direction == "up" else "▼"
    return {"text": f"{arrow} {amount}", "tone": tone, "sr": f"{direction} {amount} from the previous period"}


def _kpis(report: Report) -> list[dict]:
    """The headline cards, each with its value for the previous period of the same length."""
    before = report.previous
    t, p = report.totals, before.totals if before else None
    rate = report.deflection_rate
    prev_rate = before.deflection_rate if before else None
    return [
        {"label": "Deflection rate", "value": "—" if rate is None else f"{rate:.0f} %", "headline": True,
         "note": "of questions solved by the community, without staff",
         "change": _change(rate, prev_rate, better="up", unit="points")},
        {"label": "Questions asked", "value": f"{t.asked:,}", "change": _change(t.asked, p and p.asked, better="up")},
        {"label": "Solved by the community", "value": f"{t.solved_by_community:,}",
         "change": _change(t.solved_by_community, p and p.solved_by_community, better="up")},
        {"label": "Escalated to staff", "value": f"{t.escalated:,}",
         "change": _change(t.escalated, p and p.escalated, better="down")},
        {"label": "Median time to first answer", "value": duration_text(report.first_answer_median) or "—",
         "change": _change(report.first_answer_median, before and before.first_answer_median, better="down")},
        {"label": "Estimated savings", "value": f"{report.currency} {report.savings:,.2f}",
         "note": f"{t.solved_by_community:,} × {report.currency} {report.cost_per_ticket:,.2f} per ticket",
         "change": _change(report.savings, before and before.savings, better="up")},
    ]


def _day_rows(report: Report) -> list[dict]:
    return [
        {"day": d.day, **{s.key: getattr(d, s.key) for s in OUTCOMES}, "asked": d.asked,
         "answered_by_community": d.answered_by_community, "escalated": d.escalated}
        for d in report.days
    ]


@require_GET
def report(request: HttpRequest) -> HttpResponse:
    check_can_work_queue(request.user)
    form = ReportForm(request.GET or None)
    if not form.is_valid():
        return render(request, "reports/report.html", {"form": form}, status=400)
    result = build_report(period=form.cleaned_data["range"], category=form.cleaned_data["category"])
    days = _day_rows(result)
    span = f"{date_format(result.period.first_day)} to {date_format(result.period.last_day)}"
    previous = result.period.previous()
    where = result.category.name if result.category else "all categories"
    context = {
        "form": form,
        "report": result,
        "figures": _figures(result),
        "previous_figures": [shown for _label, shown, _raw in _figures(result.previous)] if result.previous else [],
        "kpis": _kpis(result),
        "previous_span": f"{date_format(previous.first_day)} to {date_format(previous.last_day)}",
        "days": days,
        "span": span,
        "where": where,
        "csv_query": urlencode(form.query()),
        "outcome_chart": charts.stacked_bars(
            chart_id="chart-outcomes",
            title=f"Questions per day by outcome, {span}",
            description=f"Stacked bars, one per day, for {where}. The table below has the same numbers.",
            labels=[date_format(d["day"], "D j M") for d in days],
            short_labels=[date_format(d["day"], "j M") for d in days],
            series=OUTCOMES,
            values=days,
        ),
        "outcome_legend": charts.legend(OUTCOMES),
        "reason_chart": charts.horizontal_bars(
            chart_id="chart-reasons",
            title=f"Questions escalated, by reason, {span}",
            description="One bar per reason; the table beside it has the same numbers.",
            rows=[(label, n) for _, label, n in result.escalated_by_reason],
        ),
    }
    return render(request, "reports/report.html", context)


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (names start with what their owner chose)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    check_can_work_queue(request.user)
    form = ReportForm(request.GET or None)
    if not form.is_valid():
        reasons = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(f"Bad report filter: {reasons}\n", status=400, content_type="text/plain; charset=utf-8")
    result = build_report(period=form.cleaned_data["range"], category=form.cleaned_data["category"])
    period = result.period
    slug = result.category.slug if result.category else "all"
    filename = f"peerdesk-report-{slug}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(["section", "name", "value"])
    writer.writerow(["period", "from", period.first_day.isoformat()])
    writer.writerow(["period", "to", period.last_day.isoformat()])
    writer.writerow(["period", "category", _cell(result.category.name) if result.category else "All categories"])
    writer.writerow(["settings", "cost_per_ticket", f"{result.cost_per_ticket:.2f}"])
    writer.writerow(["settings", "currency", result.currency])
    keys = ["asked", "answered_by_community", "solved_by_community", "solved_by_staff", "escalated",
            "tickets_past_target", "first_answer_median_hours", "first_answer_p90_hours",
            "solution_median_hours", "solution_p90_hours", "estimated_savings"]
    for key, (_, _, value) in zip(keys, _figures(result)):
        writer.writerow(["figure", key, value])
    writer.writerow(["figure", "tickets", result.tickets])
    for value, _, n in result.escalated_by_reason:
        writer.writerow(["escalated_by_reason", value, n])
    for helper in result.helpers:
        writer.writerow(["top_helper_solutions", _cell(helper.user.username), helper.solutions])
        writer.writerow(["top_helper_answers", _cell(helper.user.username), helper.answers])
    writer.writerow([])
    columns = ["day", "asked", "answered_by_community", "solved_by_community", "solved_by_staff",
               "answered_unsolved", "unanswered", "escalated"]
    writer.writerow(columns)
    for row in _day_rows(result):
        writer.writerow([row["day"].isoformat(), *[row[c] for c in columns[1:]]])
    return response
