"""Calling back at a time on the simulation clock.

Most of what happens in the model is a single timeout with a callback (a planned
closure, a risk signal and its harm check, a hire, the end of a training), not a
process: cheaper for SimPy, and the state lives in the parts, not in generators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

__all__ = ["call_at"]


def call_at(
    env: simpy.Environment, time: float, callback: Callable[[simpy.Event], None], value: Any
) -> None:
    """Call ``callback(event)`` at ``time`` (at once if it has passed); ``event.value`` is
    ``value``."""
    event = env.timeout(max(time - env.now, 0.0), value)
    event.callbacks.append(callback)
