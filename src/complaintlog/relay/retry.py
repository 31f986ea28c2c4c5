"""How long the relay waits before trying a broker again: exponential, capped, jittered."""

from __future__ import annotations

import random

import attrs

__all__ = ["Backoff"]


@attrs.define
class Backoff:
    """``first`` seconds, doubling up to ``cap``, each wait shortened by up to a quarter
    at random so that many relays restarted together do not knock in step."""

    first: float = 0.2
    cap: float = 10.0
    attempts: int = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2**self.attempts)
        self.attempts += 1
        return float(delay * random.uniform(0.75, 1.0))

    def reset(self) -> None:
        self.attempts = 0
