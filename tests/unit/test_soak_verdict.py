"""The soak's judgements: which 5xx were allowed, which fetches overlapped, and slopes."""

from __future__ import annotations

from bench.soak.mix import Request, city
from bench.soak.sampler import slope
from bench.soak.stack import LINGER_S
from bench.soak.traffic import NO_ANSWER, Outcome
from bench.soak.verdict import CALM, STALE_TTL_S, Phase, overlaps, unexplained_5xx

T0 = 1_800_000_000.0
OUTAGE = Phase("upstream-500", "upstream", T0 + 100, T0 + 106)
PAUSE = Phase("redis-pause", "pause", T0 + 200, T0 + 205)


def test_a_5xx_is_allowed_only_for_an_uncached_city_while_the_upstream_is_down() -> None:
    boise, topeka = city("Boise"), city("Topeka")
    outcomes = [
        Outcome(T0 + 50, boise, 200, fetched=(T0 + 48,)),
        Outcome(T0 + 101, boise, 503, "upstream_unavailable"),  # it had a copy: lost
        Outcome(T0 + 102, topeka, 503, "upstream_unavailable"),  # nothing cached: allowed
        Outcome(T0 + 106 + LINGER_S - 0.1, topeka, 503),  # the aftermath: allowed
        Outcome(T0 + 106 + LINGER_S + 0.1, topeka, 503),  # after it: lost
        Outcome(T0 + 102, topeka, NO_ANSWER),  # never allowed
    ]
    lost = unexplained_5xx(outcomes, [OUTAGE])
    assert [(round(o.at - T0, 1), o.status) for o in lost] == [
        (101, 503),
        (102, NO_ANSWER),
        (round(106 + LINGER_S + 0.1, 1), 503),
    ]


def test_a_city_counts_as_cached_until_its_entry_s_stale_end_by_the_age_answered() -> None:
    """A stale answer renews nothing: the entry ends STALE_TTL after its fetch, however
    recently it was served (a batch's items the same, each on its own)."""
    boise, tail = city("Boise"), city("Topeka")
    fetched = T0 + 101 - STALE_TTL_S
    batch = Request("batch", "POST", "/weather/batch", ("boise", "topeka"), b"")
    outcomes = [
        Outcome(T0 + 50, boise, 200, "STALE", fetched=(fetched - 0.001,)),
        Outcome(T0 + 51, tail, 200, "HIT", fetched=(fetched + 0.001,)),
        Outcome(T0 + 101, boise, 503, "upstream_unavailable"),  # its entry had ended: allowed
        Outcome(T0 + 101, tail, 503, "upstream_unavailable"),  # 1 ms of it left: lost
        Outcome(T0 + 101.5, batch, 200, "batch", (503, 200), fetched=(None, T0 + 90)),
    ]
    lost = unexplained_5xx(outcomes, [OUTAGE])
    assert [(o.request.keys, o.status) for o in lost] == [(("topeka",), 503)]


def test_overlapping_answered_fetches_are_counted_against_the_fault_of_the_later() -> None:
    rows = [
        ("1,2", T0 + 10, T0 + 10.05, "ok"),
        ("1,2", T0 + 11, T0 + 11.05, "ok"),  # after the first: no overlap
        ("1,2", T0 + 201, T0 + 201.05, "ok"),
        ("1,2", T0 + 201.02, T0 + 201.07, "ok"),  # during the first: an overlap
        ("3,4", T0 + 202, T0 + 203.5, "ok"),  # given up by the service: no fetch
        ("3,4", T0 + 202.5, T0 + 202.55, "ok"),
        ("3,4", T0 + 202.51, T0 + 202.6, "error500"),  # failed: wrote nothing
    ]
    examples: list[list[object]] = []
    found = overlaps(rows, [PAUSE], examples)
    assert found == {CALM: [2, 0], "redis-pause": [3, 1]}
    assert examples == [["redis-pause", rows[2], rows[3]]]


def test_a_slope_is_per_hour_with_its_standard_error() -> None:
    rising = [(T0 + 60 * i, 10.0 + i) for i in range(10)]  # +1 a minute
    fit = slope(rising)
    assert fit is not None
    assert round(fit.per_hour, 6) == 60.0 and fit.stderr_per_hour < 1e-6
    assert fit.above_noise
    flat = slope([(T0 + i, 5.0 + (i % 2)) for i in range(10)])
    assert flat is not None and not flat.above_noise
