"""A search's time budget and the caller's ``should_stop``/``progress`` callables, in one place.

Every long search of the engine (programs, tool groups, hole sets, operations) holds one
``Budget`` and asks ``check(message)`` inside its loop: that reports progress at most ten
times a second and answers whether the caller asked to stop or the time is up.

Work is split with ``child(weight, of)``: the child gets that share of the time still left
and of the progress still ahead, and its own labels (program, tool, ...) for the reports. So
the "share of the remaining budget" arithmetic lives here once, and the job's progress bar
moves through every level of the search.

The root also keeps the best cycle time known so far (``set_cycle_time``, ``note_saving``):
the searches report what they have saved, and every progress report carries
``best_cycle_time_s`` with ``original_cycle_time_s``.

>>> b = Budget(10.0, should_stop=lambda: True, progress=None)
>>> b.check(), b.stopped
(True, True)
>>> seen = []
>>> root = Budget(10.0, progress=lambda **kw: seen.append(kw), stage="sequence")
>>> first = root.child(1, 4, label="A.nc", program="A.nc")
>>> round(first.total_s, 1), first.span
(2.5, (0.0, 0.25))
>>> first.report(0.5, "half"); seen[-1]["fraction"], seen[-1]["message"], seen[-1]["program"]
(0.125, 'A.nc: half', 'A.nc')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["Budget"]

_REPORT_EVERY_S = 0.1  # callers may poll often; report ten times a second


class _Root:
    """What all budgets of one search share: the caller's progress, the highest fraction
    reported (the bar never moves back), and the cycle times for ``best_cycle_time_s``."""

    def __init__(self, progress: Callable[..., None] | None) -> None:
        self.progress = progress
        self.fraction = 0.0
        self.original_s: float | None = None
        self.best_s: float | None = None  # best known total of what is committed
        self.partial_s = 0.0  # saved so far by the search under way

    def send(self, fraction: float, message: str, extra: dict[str, Any]) -> None:
        if self.progress is None:
            return
        self.fraction = max(self.fraction, min(1.0, fraction))
        if self.best_s is not None:
            extra = {
                **extra,
                "best_cycle_time_s": max(0.0, self.best_s - self.partial_s),
                "original_cycle_time_s": self.original_s,
            }
        # Keywords: the job horse's progress is (fraction, stage, message, ...), so a
        # positional message would land in ``stage``.
        self.progress(fraction=self.fraction, message=message, **extra)


class Budget:
    """Wall-clock deadline plus the caller's ``should_stop``/``progress`` callables.

    ``context`` keys (``stage``, ``program``, ``tool``, ``activity``, ...) go with every
    progress report; ``label`` prefixes its messages.
    """

    def __init__(
        self,
        time_limit_s: float,
        should_stop: Callable[[], bool] | None = None,
        progress: Callable[..., None] | None = None,
        *,
        label: str = "",
        **context: Any,
    ) -> None:
        self.start = time.monotonic()
        self.deadline = self.start + max(0.0, time_limit_s)
        self.total_s = max(1e-9, time_limit_s)
        self._should_stop = should_stop
        self._root = _Root(progress)
        self.span = (0.0, 1.0)
        self._ahead = 0.0  # where the next child's span begins
        self.label = label
        self.context = context
        self._last_report = -1.0
        self.stopped = False

    def child(
        self,
        weight: float,
        of: float,
        *,
        min_share: float = 0.0,
        max_s: float = float("inf"),
        label: str = "",
        **context: Any,
    ) -> Budget:
        """A budget for one part of this one's work: ``weight`` of the ``of`` still to do
        gets that share of the time left (at least ``min_share`` of it, at most ``max_s``)
        and of the progress span still ahead."""
        share = min(1.0, weight / of) if of > 0 else 1.0
        seconds = min(max_s, self.remaining() * max(share, min_share))
        sub = Budget(seconds, self._should_stop, None)
        sub._root = self._root
        lo, hi = self._ahead, self.span[1]
        sub.span = (lo, lo + (hi - lo) * share)
        sub._ahead = lo
        self._ahead = sub.span[1]
        sub.label = ": ".join(part for part in (self.label, label) if part)
        sub.context = {**self.context, **context}
        return sub

    def should_stop(self) -> bool:
        """The caller's stop request (for a search that takes a ``should_stop`` callable)."""
        if self._should_stop is not None and not self.stopped and self._should_stop():
            self.stopped = True
        return self.stopped

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def check(self, message: str = "sequencing") -> bool:
        """Report progress; True when the caller asked to stop or the time is up."""
        now = time.monotonic()
        if self._root.progress is not None and now - self._last_report >= _REPORT_EVERY_S:
            self._last_report = now
            self.report(None, message)
        return self.should_stop() or self.remaining() <= 0.0

    def report(self, fraction: float | None = None, message: str = "", **extra: Any) -> None:
        """Progress from inside this budget's work: ``fraction`` of it done (None: by the time
        spent, or by the children already handed out, whichever is further)."""
        if self._root.progress is None:
            return
        lo, hi = self.span
        if fraction is None:
            fraction = max((self._ahead - lo) / (hi - lo) if hi > lo else 0.0, self._by_time())
        text = ": ".join(part for part in (self.label, message) if part)
        self._root.send(lo + (hi - lo) * min(1.0, max(0.0, fraction)), text, self.context | extra)

    def progress_callable(
        self, best_cost: Callable[[float], None] | None = None
    ) -> Callable[..., None] | None:
        """For a search that takes a ``progress(fraction=, message=, best_cost_s=...)``
        callable rather than a ``Budget``; ``best_cost_s`` goes to ``best_cost``."""
        if self._root.progress is None:
            return None

        def report(
            fraction: float | None = None,
            message: str | None = None,
            best_cost_s: float | None = None,
            **_: Any,
        ) -> None:
            if best_cost is not None and best_cost_s is not None:
                best_cost(best_cost_s)
            self.report(fraction, message or "")

        return report

    def _by_time(self) -> float:
        return min(1.0, self.elapsed() / self.total_s)

    # ----------------------------------------------------------------- best cycle time
    def set_cycle_time(self, original_s: float, best_s: float) -> None:
        """The whole job's original cycle time and the best total known now (no search under
        way)."""
        self._root.original_s, self._root.best_s = original_s, best_s
        self._root.partial_s = 0.0

    def note_partial(self, saved_s: float) -> None:
        """The search under way has found an order ``saved_s`` faster than the program's."""
        self._root.partial_s = max(0.0, saved_s)

    def commit_saving(self, saved_s: float) -> None:
        """A search ended; its saving counts until the program's real new time is known (a
        negative one takes back part of an earlier estimate)."""
        if self._root.best_s is not None:
            self._root.best_s = min(self._root.original_s or 0.0, self._root.best_s - saved_s)
        self._root.partial_s = 0.0
