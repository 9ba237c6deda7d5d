"""What each upstream failure tells about its provider: blamed (the breaker counts it) and
transient (one more try may answer), read from the error itself."""

from __future__ import annotations

import pytest

from domain.model.errors import (
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamBudgetSpent,
    UpstreamRateLimited,
    UpstreamRejectedKey,
    UpstreamTimedOut,
    UpstreamUnavailable,
    UpstreamUnreadable,
    WaitTimedOut,
)

KINDS = [
    (UpstreamUnavailable, True, True),  # refused or dropped connections, 5xx
    (UpstreamTimedOut, True, False),  # slow, not flaky: asking again doubles its load
    (UpstreamUnreadable, True, False),  # not JSON: no city's answer looks like that
    (UpstreamRejectedKey, True, False),  # every call fails until the key is fixed
    (UpstreamBadResponse, False, False),  # an answer, if one we cannot use
    (UnusableAnswer, False, False),  # one city's problem
    (UpstreamRateLimited, False, False),  # its own window, apart from the breaker
    (UpstreamBudgetSpent, False, False),  # our own budget: nothing was sent
    (WaitTimedOut, False, False),  # another worker's fetch was late
]


@pytest.mark.parametrize(("kind", "blamed", "transient"), KINDS)
def test_each_failure_says_whether_it_blames_the_provider_and_is_worth_a_retry(
    kind: type[UpstreamUnavailable], blamed: bool, transient: bool
) -> None:
    error = kind("reason")
    assert (error.blames_provider, error.transient) == (blamed, transient)
