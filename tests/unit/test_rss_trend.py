"""The intake bench's verdict on the service's memory (``bench.intake_common.rss_trend``):
growth after the warm-up is reported as a slope and judged against ``FLAT_MB_PER_MIN``, the
warm-up's growth stays in the figures, and a window too short is said to be so."""

from __future__ import annotations

import math
from collections.abc import Callable

from bench.intake_common import FLAT_MB_PER_MIN, rss_trend, rss_verdict


def _samples(seconds: float, mb: Callable[[float], float]) -> list[tuple[float, float]]:
    return [(float(t), mb(float(t))) for t in range(0, int(seconds) + 1, 2)]


def test_a_warm_up_step_then_a_level_is_flat_and_the_step_is_still_reported() -> None:
    trend = rss_trend(_samples(120, lambda t: 140.0 if t < 10 else 170.0), warmup=40)
    assert trend["rss_start_mb"] == 140.0 and trend["rss_warm_mb"] == 170.0
    assert trend["rss_end_mb"] == trend["rss_max_mb"] == 170.0
    assert abs(trend["rss_slope_mb_per_min"]) < 1e-9 and trend["rss_flat"] is True
    line = rss_verdict(trend)
    assert "start 140 MB" in line and "170 MB" in line and ": flat" in line


def test_steady_growth_after_the_warm_up_is_not_flat() -> None:
    per_min = 3 * FLAT_MB_PER_MIN
    trend = rss_trend(_samples(180, lambda t: 150.0 + per_min * t / 60), warmup=60)
    assert math.isclose(trend["rss_slope_mb_per_min"], per_min, rel_tol=1e-6)
    assert trend["rss_flat"] is False
    assert "NOT flat" in rss_verdict(trend)


def test_a_slow_leak_just_under_the_bound_is_flat_and_one_over_is_not() -> None:
    under = rss_trend(_samples(300, lambda t: 150 + 0.9 * FLAT_MB_PER_MIN * t / 60), 100)
    over = rss_trend(_samples(300, lambda t: 150 + 1.1 * FLAT_MB_PER_MIN * t / 60), 100)
    assert under["rss_flat"] is True and over["rss_flat"] is False


def test_a_window_too_short_after_the_warm_up_is_not_judged() -> None:
    trend = rss_trend(_samples(12, lambda t: 150.0 + t), warmup=4)
    assert trend["rss_flat"] is None
    assert "too short to judge" in rss_verdict(trend)
    assert trend["rss_end_mb"] == 162.0  # the growth is still there to read
    assert rss_trend([], warmup=0) == {} and rss_verdict({}) == "no samples"
