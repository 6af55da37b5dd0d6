"""Charts drawn on the server as SVG geometry: no JavaScript library, no network, no
inline styles (the CSP forbids them); the template only places what is computed here.

The daily chart shows money per day as bars (left scale) and the running total as a
line against the goal (right scale). Both scales have the same number of divisions
so they share grid lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date
from babel.numbers import get_currency_precision

from ...formatting import format_money

WIDTH, HEIGHT = 960, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 76, 92, 24, 40
DIVISIONS = 5
MAX_DAY_LABELS = 8


@dataclass(frozen=True, slots=True)
class Tick:
    position: float  # x for the day axis, y for the money axes
    text: str


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: str  # "Nov 16"
    amount: str  # "$250.00"

    @property
    def label(self) -> str:
        return f"{self.day}: {self.amount}"


@dataclass(frozen=True, slots=True)
class DailyChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar]
    line_points: str  # SVG polyline points, "x,y x,y ..."
    line_end: tuple[float, float]
    total_label: str
    goal_y: float
    goal_label: str
    daily_ticks: list[Tick]
    total_ticks: list[Tick]
    day_ticks: list[Tick]
    today_x: float | None
    description: str


def nice_step(largest: int, divisions: int = DIVISIONS, minimum: int = 1) -> int:
    """The smallest 1, 2, 2.5 or 5 times a power of ten step (an integer, at least ``minimum``) with
    which ``divisions`` steps reach ``largest``."""
    raw = max(math.ceil(largest / divisions), minimum, 1)
    magnitude = 10 ** (len(str(raw)) - 1)
    for step in (magnitude, 2 * magnitude, 25 * magnitude // 10, 5 * magnitude):
        if step >= raw:
            return step
    return 10 * magnitude


def _round(value: float) -> float:
    return round(value, 1)


def build_daily_chart(
    daily: list[tuple[date, int]],
    *,
    starts: date,
    ends: date,
    today: date,
    goal: int,
    currency: str,
    locale: str,
) -> DailyChart:
    """Lay out the chart for a drive running ``starts``..``ends`` (local days).

    ``daily`` holds (day, counted minor units) for days with gifts; days outside the
    drive's dates widen the axis rather than being dropped, so the line ends at the
    raised figure.
    """
    by_day = dict(daily)
    first = min([starts, *by_day])
    last = max([ends, *by_day])
    day_count = (last - first).days + 1
    left, right = float(MARGIN_LEFT), float(WIDTH - MARGIN_RIGHT)
    top, bottom = float(MARGIN_TOP), float(HEIGHT - MARGIN_BOTTOM)
    slot = (right - left) / day_count

    def money(amount: int) -> str:
        return format_money(amount, currency, locale, whole=True)

    total = sum(by_day.values())
    # Steps of at least one major unit: no "$0.40" grid lines.
    minor_per_major = 10 ** get_currency_precision(currency)
    daily_step = nice_step(max(by_day.values(), default=0), minimum=minor_per_major)
    total_step = nice_step(max(goal, total), minimum=minor_per_major)
    daily_max, total_max = daily_step * DIVISIONS, total_step * DIVISIONS

    def y_for(amount: int, scale: int) -> float:
        return _round(bottom - amount / scale * (bottom - top))

    bars = []
    for day, amount in sorted(by_day.items()):
        index = (day - first).days
        width = max(slot * 0.7, 1.0)
        y = y_for(amount, daily_max)
        bars.append(
            Bar(
                x=_round(left + index * slot + (slot - width) / 2),
                y=y,
                width=_round(width),
                height=_round(bottom - y),
                day=format_date(day, "MMM d", locale=locale),
                amount=format_money(amount, currency, locale),
            )
        )

    # The running total at the end of each day, up to today (or the last gift).
    line_last = max([min(today, last), *by_day]) if by_day or today >= first else first
    points = [(left, bottom)]
    running = 0
    for index in range((line_last - first).days + 1):
        running += by_day.get(first + timedelta(days=index), 0)
        points.append((_round(left + (index + 1) * slot), y_for(running, total_max)))

    label_every = max(1, math.ceil(day_count / MAX_DAY_LABELS))
    day_ticks = [
        Tick(
            _round(left + (index + 0.5) * slot),
            format_date(first + timedelta(days=index), "MMM d", locale=locale),
        )
        for index in range(0, day_count, label_every)
    ]
    today_x = _round(left + ((today - first).days + 0.5) * slot) if first <= today <= last else None
    description = (
        f"Money received per day from {format_date(first, 'MMM d, y', locale=locale)} "
        f"to {format_date(last, 'MMM d, y', locale=locale)}; {money(total)} in all "
        f"against a goal of {money(goal)}."
    )
    return DailyChart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bars=bars,
        line_points=" ".join(f"{x},{y}" for x, y in points),
        line_end=points[-1],
        total_label=money(total),
        goal_y=y_for(goal, total_max),
        goal_label=f"Goal {money(goal)}",
        daily_ticks=[
            Tick(y_for(i * daily_step, daily_max), money(i * daily_step))
            for i in range(DIVISIONS + 1)
        ],
        total_ticks=[
            Tick(y_for(i * total_step, total_max), money(i * total_step))
            for i in range(DIVISIONS + 1)
        ],
        day_ticks=day_ticks,
        today_x=today_x,
        description=description,
    )
