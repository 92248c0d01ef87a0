"""The pacer: spaces request starts across threads and learns Spotify's unpublished rate from 429s."""

from __future__ import annotations

import collections
import logging
import math
import threading
from collections.abc import Callable

from spotify_merger.errors import CallCancelled

debug_log = logging.getLogger("spotify_merger.pacing")  # -vv: why requests wait


class Pacer:
    """Spaces request starts across all threads, learning the server's rate from its 429s.

    Spotify counts calls over a rolling 30 s window and does not publish the limit. We start
    unpaced; on the first 429 we count the calls that started within the window before the
    rejected one (that many were accepted) and pace at that rate with a 5% margin. Further 429s
    back off multiplicatively; a window and a half without one speeds up by 10%, but never past
    the rate the server was seen to accept, so pacing does not creep back into the limit. A 429
    after only a handful of calls tells a hiccup from a limit too poorly to learn from: its
    `Retry-After` is honoured and the pace is left alone.

    It also bounds the requests in flight by Little's law: throughput = in-flight / latency, so
    to sustain `target_rate` calls a second we need about `target_rate × latency` in flight. A
    slow link gets more parallel requests, a fast one fewer; and since every request already in
    flight when an unannounced limit is reached comes back 429, fewer in flight means fewer 429s.
    """

    window = 30.0
    margin = 1.05
    target_rate = 64.0  # calls a second worth aiming for; Spotify's own limit is far lower
    min_in_flight = 2
    # Before the first answer the latency is unknown: a run's opening requests (who is signed in,
    # each source's metadata) are few and all needed at once, so they may all go.
    initial_in_flight = 4
    max_in_flight = 16

    max_interval = 10.0  # never slower than 3 calls a window: a limit below that shows as honoured 429s
    min_evidence = 10  # calls accepted in the window before a 429 for it to reveal the limit

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        cancelled: threading.Event | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._cancelled = cancelled
        self._lock = threading.Lock()
        self._slots = threading.Condition(threading.Lock())
        self.in_flight = 0
        self.latency: float | None = None  # smoothed seconds per request
        self.interval = 0.0
        self.floor = 0.0  # the interval matching the rate the server was seen to accept
        self._next_start = 0.0
        self.paused_until = 0.0
        self._starts: collections.deque[float] = collections.deque()
        self._last_429 = -1e18
        self._last_speedup = -1e18

    def in_flight_limit(self) -> int:
        if self.latency is None:
            return self.initial_in_flight
        wanted = math.ceil(self.latency * self.target_rate)
        return max(self.min_in_flight, min(self.max_in_flight, wanted))

    def acquire(self) -> float:
        """Block until this thread may start a request; returns the start time granted.

        Every `acquire` must be paired with a `release` once the request has an answer (or none).
        """
        with self._slots:
            while self.in_flight >= self.in_flight_limit():
                # A cancelled run must not leave threads queued for a slot: the pool shutdown
                # that follows a Ctrl-C or a failure waits for every one of them.
                if self._cancelled is not None and self._cancelled.is_set():
                    raise CallCancelled()
                self._slots.wait(0.5)
            self.in_flight += 1
        try:
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start, self.paused_until)
                self._next_start = start + self.interval
                self._starts.append(start)
                horizon = start - 2 * self.window
                while self._starts and self._starts[0] < horizon:
                    self._starts.popleft()
            if start > now:
                self._sleep(start - now)
        except BaseException:
            # Cancelled while waiting for its turn: the request never starts, so give the slot back.
            self._free_slot()
            raise
        return start

    def _free_slot(self) -> None:
        with self._slots:
            self.in_flight = max(0, self.in_flight - 1)
            self._slots.notify()

    def release(self, seconds: float) -> None:
        """The request started by `acquire` is over after `seconds`; learn the link's latency."""
        with self._slots:
            self.in_flight = max(0, self.in_flight - 1)
            self.latency = seconds if self.latency is None else 0.8 * self.latency + 0.2 * seconds
            self._slots.notify()

    def rate_limited(self, started: float, retry_after: float) -> bool:
        """Record a 429 for a call started at `started`; returns True if this opened a new pause."""
        with self._lock:
            now = self._clock()
            new_pause = now >= self.paused_until
            self.paused_until = max(self.paused_until, now + retry_after)
            self._next_start = max(self._next_start, self.paused_until)
            if new_pause and retry_after >= 1:
                # "Retry-After: 0" says the window already has room again, so it teaches nothing
                # about the rate; learning from it let sporadic 429s slow pacing to a crawl.
                accepted = sum(1 for s in self._starts if started - self.window <= s < started)
                if accepted >= self.min_evidence:
                    learned = min(self.max_interval, self.window / accepted * self.margin)
                    self.floor = learned
                    self.interval = min(self.max_interval, max(learned, self.interval * 1.5))
                    debug_log.debug(
                        "pacing: %d calls were accepted in the 30 s before this 429; "
                        "one call every %.3f s from now on",
                        accepted,
                        self.interval,
                    )
                else:
                    debug_log.debug(
                        "pacing: a 429 after only %d calls in 30 s; honouring Retry-After %.1f s, pace unchanged",
                        accepted,
                        retry_after,
                    )
                self._last_429 = now
            return new_pause

    def succeeded(self) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = self._clock()
            quiet_since = max(self._last_429, self._last_speedup)
            if now - quiet_since >= 1.5 * self.window and self.interval > self.floor:
                self.interval = max(self.floor, self.interval * 0.9)
                self._last_speedup = now
                debug_log.debug("pacing: no 429 for 45 s; one call every %.3f s now", self.interval)
                if self.interval < 0.001:
                    self.interval = 0.0
