import pytest

from domain.model.policy import CachePolicy, Freshness
from domain.model.weather import Weather

WEATHER = Weather(city="Boise", temperature=3.0, humidity=80, description="Fog")
NOW = 1_000_000.0


@pytest.fixture
def policy() -> CachePolicy:
    return CachePolicy(fresh_ttl_s=300, stale_ttl_s=86_400, jitter_max_s=30)


def test_an_entry_is_fresh_until_its_ttl_then_stale_then_expired(policy: CachePolicy) -> None:
    entry = policy.fresh_entry(WEATHER, NOW, jitter_fraction=0.0)
    assert policy.state(entry, NOW) is Freshness.FRESH
    assert policy.state(entry, NOW + 299.999) is Freshness.FRESH
    assert policy.state(entry, NOW + 300) is Freshness.STALE
    assert policy.state(entry, NOW + 86_399.999) is Freshness.STALE
    assert policy.state(entry, NOW + 86_400) is Freshness.EXPIRED


@pytest.mark.parametrize(("fraction", "extra"), [(0.0, 0), (0.5, 15), (1.0, 30), (7.0, 30)])
def test_jitter_stretches_the_fresh_ttl_by_up_to_its_maximum(
    policy: CachePolicy, fraction: float, extra: float
) -> None:
    entry = policy.fresh_entry(WEATHER, NOW, jitter_fraction=fraction)
    assert entry.fresh_until == NOW + 300 + extra


def test_zero_jitter_maximum_turns_jitter_off() -> None:
    entry = CachePolicy(jitter_max_s=0).fresh_entry(WEATHER, NOW, jitter_fraction=0.9)
    assert entry.fresh_until == NOW + 300


def test_a_negative_entry_lives_for_the_negative_ttl_and_never_goes_stale() -> None:
    policy = CachePolicy(negative_ttl_s=600)
    entry = policy.negative_entry(NOW, provider="open-meteo")
    assert entry.weather is None and not entry.is_unusable
    assert policy.state(entry, NOW + 599) is Freshness.FRESH
    assert policy.state(entry, NOW + 600) is Freshness.EXPIRED


def test_failed_refreshes_back_off_exponentially_up_to_the_cap() -> None:
    policy = CachePolicy(backoff_base_s=5, backoff_max_s=30)
    entry = policy.fresh_entry(WEATHER, NOW, jitter_fraction=0)
    delays = []
    for _ in range(5):
        entry = policy.after_failed_refresh(entry, NOW)
        delays.append(entry.retry_after - NOW)
    assert delays == [5, 10, 20, 30, 30]
    assert not policy.may_refresh(entry, NOW + 29.9)
    assert policy.may_refresh(entry, NOW + 30)


def test_a_failed_refresh_never_makes_the_copy_fresh_again(policy: CachePolicy) -> None:
    entry = policy.fresh_entry(WEATHER, NOW, jitter_fraction=0)
    backed_off = policy.after_failed_refresh(entry, NOW + 400)
    assert backed_off.fresh_until == entry.fresh_until
    assert policy.state(backed_off, NOW + 400) is Freshness.STALE


def test_xfetch_is_off_by_default(policy: CachePolicy) -> None:
    entry = policy.fresh_entry(WEATHER, NOW, jitter_fraction=0, fetch_s=1.0)
    assert not policy.wants_early_refresh(entry, NOW + 299, uniform=1e-9)


def test_xfetch_refreshes_early_only_near_expiry() -> None:
    policy = CachePolicy(xfetch_beta=1.0, jitter_max_s=0)
    entry = policy.fresh_entry(WEATHER, NOW, jitter_fraction=0, fetch_s=1.0)
    # -log(0.5) ~ 0.69 s of lead: too early at 290 s, due at 299.5 s.
    assert not policy.wants_early_refresh(entry, NOW + 290, uniform=0.5)
    assert policy.wants_early_refresh(entry, NOW + 299.5, uniform=0.5)


def test_storage_keeps_the_entry_until_its_stale_window_ends(policy: CachePolicy) -> None:
    entry = policy.fresh_entry(WEATHER, NOW, jitter_fraction=0)
    assert policy.storage_ttl_s(entry, NOW + 100) == 86_300
