"""The server-drawn daily chart's geometry."""

from __future__ import annotations

from datetime import date

import pytest

from donation_drive.admin.overview.charts import DIVISIONS, build_daily_chart, nice_step


@pytest.mark.parametrize(
    ("largest", "minimum", "step"),
    [
        (0, 100, 100),
        (7_500_000, 100, 2_000_000),  # a $75,000 goal: grid lines every $20,000
        (160_000, 100, 50_000),
        (1_000, 1, 200),
        (1_001, 1, 250),
    ],
)
def test_grid_steps_are_round_numbers_that_reach_the_largest_value(largest, minimum, step):
    found = nice_step(largest, minimum=minimum)
    assert found * DIVISIONS >= largest
    assert found >= minimum
    assert int(str(found).rstrip("0")) in (1, 2, 25, 5)
    assert found == step


def chart(daily, today=date(2026, 11, 27), goal=7_500_000):
    return build_daily_chart(
        daily,
        starts=date(2026, 11, 15),
        ends=date(2026, 12, 31),
        today=today,
        goal=goal,
        currency="USD",
        locale="en_US",
    )


def line(c) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in c.line_points.split()]


def test_the_line_climbs_day_by_day_to_the_total_and_stops_at_today():
    c = chart([(date(2026, 11, 16), 10_000), (date(2026, 11, 20), 30_000)])
    points = line(c)
    assert len(points) == 1 + 13  # the origin, then Nov 15 .. Nov 27
    assert points[0] == (c.left, c.bottom)
    ys = [y for _, y in points]
    assert ys == sorted(ys, reverse=True)
    assert c.total_label == "$400"
    assert [b.label for b in c.bars] == ["Nov 16: $100.00", "Nov 20: $300.00"]
    # The taller bar is the bigger day, and the biggest bar fits in the plot.
    assert c.bars[1].height > c.bars[0].height
    assert min(b.y for b in c.bars) >= c.top


def test_goal_line_sits_where_the_right_axis_says_the_goal_is():
    c = chart([(date(2026, 11, 16), 10_000)], goal=7_500_000)
    ticks = {t.text: t.position for t in c.total_ticks}
    assert ticks["$0"] == c.bottom
    top_value = 5 * nice_step(7_500_000, minimum=100)
    expected = c.bottom - 7_500_000 / top_value * (c.bottom - c.top)
    assert c.goal_y == pytest.approx(expected, abs=0.1)


def test_a_gift_received_before_the_drive_began_widens_the_axis_rather_than_vanishing():
    c = chart([(date(2026, 11, 10), 5_000), (date(2026, 11, 16), 5_000)])
    assert c.day_ticks[0].text == "Nov 10"
    assert len(c.bars) == 2
    assert c.total_label == "$100"


def test_a_drive_without_gifts_draws_a_flat_line_and_no_bars():
    c = chart([], today=date(2026, 11, 20))
    assert c.bars == []
    assert {y for _, y in line(c)} == {c.bottom}
    assert c.today_x is not None


def test_a_drive_that_has_not_started_has_no_today_marker_inside_it():
    c = chart([], today=date(2026, 11, 1))
    assert c.today_x is None
    assert len(line(c)) == 2  # the origin and the first day
