"""Analytics per day or week: conversations, top topics, fallback rate, red flags by severity,
booking requests and hand-offs, with a bar chart drawn as SVG on the server (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.records.db import in_thread
from assistant.staff import queries
from assistant.staff.web import render, signed_in, zone

bp = Blueprint("analytics")
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    top: int  # the value at the top of the scale
    ticks: list[tuple[float, int]]  # (y, value)
    every: int  # label every n-th bar


def bar_chart(labels: list[str], values: list[int], width: int = 760, height: int = 220) -> Chart:
    left, bottom, top_pad = 40, 40, 10
    top = max(values or [0]) or 1
    step = 10 ** max(0, len(str(top)) - 1)
    top = -(-top // step) * step
    slot = (width - left) / max(1, len(values))
    plot = height - bottom - top_pad
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_height = plot * value / top
        bars.append(
            Bar(
                x=left + index * slot + slot * 0.15,
                y=top_pad + plot - bar_height,
                width=max(1.0, slot * 0.7),
                height=bar_height,
                label=label[5:],  # MM-DD
                value=value,
                title=f"{label}: {value}",
            )
        )
    ticks = [(top_pad + plot - plot * fraction, round(top * fraction)) for fraction in (0, 0.5, 1)]
    return Chart(width, height, bars, top, ticks, max(1, len(values) // 12))


def _range(request: Request) -> tuple[date, date, list[str]]:
    problems = []
    today = datetime.now(zone(request)).date()
    until, since = today, today - timedelta(days=DEFAULT_DAYS - 1)
    for name in ("since", "until"):
        raw = request.args.get(name, "").strip()
        if raw:
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                problems.append(f"'{raw}' is not a date (YYYY-MM-DD).")
                continue
            since, until = (value, until) if name == "since" else (since, value)
    if since > until:
        problems.append("The start is after the end; showing the last 30 days.")
        until, since = today, today - timedelta(days=DEFAULT_DAYS - 1)
    if (until - since).days >= MAX_DAYS:
        problems.append(f"At most {MAX_DAYS} days at a time; showing the last {MAX_DAYS} days of the range.")
        since = until - timedelta(days=MAX_DAYS - 1)
    return since, until, problems


@bp.get("/analytics")
@signed_in()
async def analytics(request: Request) -> HTTPResponse:
    since, until, problems = _range(request)
    weekly = request.args.get("period") == "week"
    figures = await in_thread(queries.analytics, request.app.ctx.engine, since, until, weekly, zone(request))
    chart = bar_chart([p.label for p in figures.periods], [p.conversations for p in figures.periods])
    totals = queries.Period("total")
    for period in figures.periods:
        totals.conversations += period.conversations
        totals.patient_messages += period.patient_messages
        totals.fallbacks += period.fallbacks
        totals.escalations.update(period.escalations)
        totals.bookings += period.bookings
        totals.handoffs += period.handoffs
    return render(
        request,
        "analytics.html",
        figures=figures,
        chart=chart,
        totals=totals,
        since=since,
        until=until,
        weekly=weekly,
        problems=problems,
    )
