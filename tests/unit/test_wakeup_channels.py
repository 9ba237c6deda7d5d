"""WakeupChannels: a key's channel, and the key read back from it."""

from __future__ import annotations

import pytest

from adapters.redis.wakeup_channels import WakeupChannels

CHANNELS = WakeupChannels.named("skycache:{", "}:released")


def test_a_keys_channel_gives_the_key_back() -> None:
    assert CHANNELS.of("san jose") == b"skycache:{san jose}:released"
    assert CHANNELS.key_in(CHANNELS.of("san jose")) == "san jose"
    assert CHANNELS.key_in(CHANNELS.of("")) == ""  # the shortest channel of ours


@pytest.mark.parametrize(
    "channel",
    [b"other:{san jose}:released", b"skycache:{san jose}:locked", b"skycache:{\xff}:released"],
)
def test_a_channel_of_another_shape_or_not_text_is_not_ours(channel: bytes) -> None:
    assert CHANNELS.key_in(channel) is None


def test_the_pattern_covers_every_key() -> None:
    assert CHANNELS.pattern() == b"skycache:{*}:released"
