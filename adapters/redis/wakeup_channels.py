"""The channel a key's wake-ups travel on, `<head><key><tail>`, and back from it to the key."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WakeupChannels:
    head: bytes
    tail: bytes = b""

    @classmethod
    def named(cls, head: str, tail: str = "") -> WakeupChannels:
        return cls(head.encode(), tail.encode())

    def of(self, key: str) -> bytes:
        return self.head + key.encode() + self.tail

    def pattern(self) -> bytes:
        """Every key's channel, for PSUBSCRIBE."""
        return self.head + b"*" + self.tail

    def key_in(self, channel: bytes) -> str | None:
        """None for a channel of another shape, or whose key is not text: not ours."""
        if not (channel.startswith(self.head) and channel.endswith(self.tail)):
            return None
        try:
            return channel[len(self.head) : len(channel) - len(self.tail)].decode()
        except UnicodeDecodeError:
            return None
