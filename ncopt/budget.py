"""A search's time budget and the caller's ``should_stop``/``progress`` callables, in one place.

Every long search of the engine (holes, operations) holds one ``Budget`` and asks
``check(message)`` inside its loop: that reports progress at most ten times a second and
answers whether the caller asked to stop or the time is up.

>>> b = Budget(10.0, should_stop=lambda: True, progress=None)
>>> b.check(), b.stopped
(True, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Budget"]


class Budget:
    """Wall-clock deadline plus the caller's ``should_stop``/``progress`` callables."""

    def __init__(
        self,
        time_limit_s: float,
        should_stop: Callable[[], bool] | None,
        progress: Callable[..., None] | None,
    ) -> None:
        self.start = time.monotonic()
        self.deadline = self.start + max(0.0, time_limit_s)
        self.total_s = max(1e-9, time_limit_s)
        self._should_stop = should_stop
        self._progress = progress
        self._last_report = -1.0
        self.stopped = False

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def check(self, message: str = "sequencing") -> bool:
        """Report progress; True when the caller asked to stop or the time is up."""
        now = time.monotonic()
        if self._progress is not None and now - self._last_report >= 0.1:
            self._last_report = now  # callers may poll often; report ten times a second
            # Keywords: the job horse's progress is (fraction, stage, message, ...), so a
            # positional message would land in ``stage``.
            self._progress(fraction=min(1.0, (now - self.start) / self.total_s), message=message)
        if self._should_stop is not None and not self.stopped and self._should_stop():
            self.stopped = True
        return self.stopped or self.remaining() <= 0.0
