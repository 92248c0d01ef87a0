"""The one call policy every Spotify request goes through.

spotipy's default session hides retries: it sleeps silently through a `Retry-After` of an hour and
replays POSTs whose first attempt may already have been applied. We hand spotipy a plain
`requests` session (`ObservedSession`, no retry adapter) so every failure surfaces here, and this
module decides, visibly and within bounds:

- pacing: an adaptive `Pacer` shared by all threads; unpaced until the first 429, then paced at
  the rate the server accepted over Spotify's rolling 30 s window, backing off on further 429s and
  speeding up again slowly;
- 429: honour `Retry-After` (announced through `on_wait`), unless it exceeds `--max-wait`, in which
  case we stop with `RateLimitedError` naming the wait; `QUOTA_EXCEEDED` is told apart;
- 5xx, timeouts, connection errors, malformed JSON: bounded retries with full-jitter backoff,
  except after a state-changing request may have reached the server (`LostResponseError`);
- 401: one transparent token refresh, then `AuthError`; 403/404/400 map to their domain errors.
"""

from __future__ import annotations

import collections
import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import requests
from spotipy.exceptions import SpotifyException

from spotify_merger.context import Environment
from spotify_merger.display import shorten
from spotify_merger.errors import (
    AuthError,
    CallCancelled,
    ForbiddenError,
    LostResponseError,
    MergerError,
    NotFoundError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    TokenServerError,
    UsageError,
)
from spotify_merger.redaction import redact
from spotify_merger.spotify._pacer import Pacer
from spotify_merger.spotify._transport import Exchange, MalformedResponseError, http_log

T = TypeVar("T")

Recorder = Callable[[str, str, "int | None", float, int], None]
# on_wait(message, seconds): show `message` for `seconds` (a countdown may replace the number).
WaitCallback = Callable[[str, float], None]

# -- the policy --------------------------------------------------------------------------------------


def _error_text(exc: object) -> str:
    """spotipy's message is "<url>:\\n <message>"; keep the message."""
    msg = str(getattr(exc, "msg", "") or "")
    if ":\n" in msg:
        msg = msg.split(":\n", 1)[1]
    return shorten(redact(msg.strip()), 200) or "no details"


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    try:
        value = headers.get("Retry-After") if headers is not None else None
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _human_seconds(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {(seconds % 3600) // 60} min"


def _never_sent(exc: BaseException) -> bool:
    """True when a connection error happened before the request could reach the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = repr(exc.args[0]) if exc.args else repr(exc)
        return "NewConnectionError" in text or "Connection refused" in text or "NameResolution" in text
    return False


@dataclass
class _Attempt:
    """One call's retry bookkeeping across its attempts."""

    method: str
    endpoint: str
    idempotent: bool
    failures: int = 0  # transient failures so far (5xx, timeouts, connection errors, bad JSON)
    rate_limited: int = 0  # consecutive 429s
    refreshed: bool = False  # the token was refreshed once after a 401
    started: float = 0.0  # the pacer's start time of the current attempt
    started_perf: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.method} {self.endpoint}"


class CallPolicy:
    """Runs each API call under one shared pacing, waiting and retry policy."""

    max_attempts = 6  # attempts for transient failures (5xx, timeouts, connection errors, bad JSON)
    max_rate_limited = 12  # consecutive 429s honoured for one call before giving up
    backoff_base = 0.25
    backoff_cap = 8.0

    def __init__(
        self,
        env: Environment,
        *,
        on_wait: WaitCallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        recorder: Recorder | None = None,
    ) -> None:
        self.env = env
        self.on_wait = on_wait
        self.recorder = recorder
        self._sleep = sleep
        self._clock = clock
        self.cancelled = threading.Event()
        self.pacer = Pacer(clock, self._wait, self.cancelled)
        self.counts: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[int] = collections.Counter()
        self._lock = threading.Lock()
        self._rng = random.Random()
        # Set by SpotifyClient: where to read what the wire saw, and how to force a token refresh.
        self.last_exchange: Callable[[], Exchange | None] | None = None
        self.refresh_token: Callable[[], None] | None = None

    @contextlib.contextmanager
    def observing(
        self, *, on_wait: WaitCallback | None = None, recorder: Recorder | None = None
    ) -> Iterator[CallPolicy]:
        """For the block, announce waits to `on_wait` and record each call with `recorder`.

        The policy is shared by every thread of a client: a phase (fetch, features, write, verify)
        routes its calls into its own progress bars and call log this way, and the previous
        callbacks come back when it ends. None keeps the current callback.
        """
        saved = (self.on_wait, self.recorder)
        if on_wait is not None:
            self.on_wait = on_wait
        if recorder is not None:
            self.recorder = recorder
        try:
            yield self
        finally:
            self.on_wait, self.recorder = saved

    @property
    def min_interval(self) -> float:
        """Seconds the pacer now keeps between call starts (0 until Spotify first rate-limits us)."""
        return self.pacer.interval

    def cancel(self) -> None:
        """Stop every waiting or future call at once (they raise CallCancelled)."""
        self.cancelled.set()

    def _wait(self, seconds: float) -> None:
        # Real waits block on the cancel event, so Ctrl-C never sits out a long Retry-After.
        if self._sleep is time.sleep:
            self.cancelled.wait(seconds)
        else:
            self._sleep(seconds)
        if self.cancelled.is_set():
            raise CallCancelled()

    # -- bookkeeping -------------------------------------------------------------------------------

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def _record(self, method: str, endpoint: str, status: int | None, started_perf: float) -> None:
        exchange = self.last_exchange() if self.last_exchange else None
        ms = exchange.ms if exchange else (time.perf_counter() - started_perf) * 1000
        nbytes = exchange.nbytes if exchange else 0
        if status is None and exchange is not None:
            status = exchange.status
        with self._lock:
            self.counts[f"{method} {endpoint}"] += 1
            if status is not None:
                self.statuses[status] += 1
        if self.recorder is not None:
            self.recorder(method, endpoint, status, ms, nbytes)

    def _announce(self, message: str, seconds: float) -> None:
        if self.on_wait is not None:
            self.on_wait(message, seconds)

    def _backoff(self, failures: int) -> float:
        return self._rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (failures - 1)))

    # -- the call ----------------------------------------------------------------------------------

    def call(self, endpoint: str, fn: Callable[[], T], *, method: str = "GET", idempotent: bool = True) -> T:
        """Run `fn` (one HTTP request) under the policy; `endpoint` is the route template for logs."""
        attempt = _Attempt(method, endpoint, idempotent)
        while True:
            if self.cancelled.is_set():
                raise CallCancelled()
            attempt.started = self.pacer.acquire()
            attempt.started_perf = time.perf_counter()
            try:
                try:
                    result = fn()
                finally:
                    self.pacer.release(time.perf_counter() - attempt.started_perf)
            except SpotifyException as exc:
                self._on_http_error(exc, attempt)  # returns only when the call is to be tried again
                continue
            except (TokenServerError, requests.exceptions.RequestException) as exc:
                self._record(method, endpoint, None, attempt.started_perf)
                self._on_transport_error(exc, attempt)
                continue
            self._record(method, endpoint, None, attempt.started_perf)
            self.pacer.succeeded()
            return result

    def _on_http_error(self, exc: SpotifyException, attempt: _Attempt) -> None:
        """An HTTP error answer: wait and return (try again), or raise the domain error."""
        status = int(exc.http_status) if exc.http_status is not None else None
        self._record(attempt.method, attempt.endpoint, status, attempt.started_perf)
        if status == 429:
            attempt.rate_limited += 1
            self._on_429(exc, attempt.started, attempt.label, attempt.rate_limited)
            return
        if status == 401:
            if not attempt.refreshed and self.refresh_token is not None:
                attempt.refreshed = True
                self.refresh_token()
                return
            raise AuthError(
                f"Spotify rejected the access token ({_error_text(exc)})",
                "re-run `spotify-merger auth` to sign in again",
            ) from None
        if status is not None and status >= 500:
            attempt.failures = self._on_transient(
                attempt.failures, attempt.label, f"HTTP {status}", attempt.idempotent, exc
            )
            return
        raise self._client_error(status, exc, attempt.label) from None

    def _on_transport_error(
        self, exc: TokenServerError | requests.exceptions.RequestException, attempt: _Attempt
    ) -> None:
        """No usable answer (a token refresh failed, a malformed body, a timeout or a dropped
        connection): back off and return, or raise once retrying is unsafe or hopeless."""
        if isinstance(exc, TokenServerError):
            what, safe = exc.message, True
        elif isinstance(exc, MalformedResponseError):
            what, safe = "a malformed (non-JSON) answer", attempt.idempotent
        else:
            what = "a timeout" if isinstance(exc, requests.exceptions.Timeout) else "a connection error"
            safe = attempt.idempotent or _never_sent(exc)
        attempt.failures = self._on_transient(attempt.failures, attempt.label, what, safe, exc)

    def _on_429(self, exc: SpotifyException, started: float, label: str, count: int) -> None:
        if (exc.reason or "").upper() == "QUOTA_EXCEEDED":
            raise QuotaExceededError(
                "this app's Spotify API quota is used up (429 QUOTA_EXCEEDED), "
                "which is not ordinary rate limiting"
            )
        wait = _retry_after(exc.headers)
        if wait is None:
            wait = min(self.backoff_cap, 2.0**count)
        if wait > self.env.max_wait:
            resume_at = datetime.now() + timedelta(seconds=wait)
            raise RateLimitedError(
                f"Spotify asked to wait {_human_seconds(wait)} before the next request "
                f"(more than --max-wait {self.env.max_wait:g} s)",
                f"progress is saved; re-run the same command after {resume_at:%H:%M} "
                f"({resume_at:%Y-%m-%d}), or allow a longer wait with --max-wait",
                retry_after=wait,
            )
        if count > self.max_rate_limited:
            raise RateLimitedError(
                f"Spotify kept rate-limiting {label} ({count} times in a row)",
                "progress is saved; wait a few minutes, then re-run the same command",
                retry_after=wait,
            )
        if self.pacer.rate_limited(started, wait):
            http_log.info("rate limited on %s: resuming in %.1f s", label, wait)
            self._announce(f"rate limited, resuming in {max(1, round(wait))} s", wait)

    def _on_transient(self, failures: int, label: str, what: str, safe: bool, exc: BaseException) -> int:
        if not safe:
            raise LostResponseError(
                f"{label} got {what} after the request may have reached Spotify; not retried blindly"
            ) from exc
        failures += 1
        if failures >= self.max_attempts:
            if isinstance(exc, requests.exceptions.ConnectionError) and _never_sent(exc):
                where, setting = self._unreachable(exc)
                raise ServerError(
                    f"cannot reach {where} (connection refused, {failures} attempts)",
                    f"check your network connection (and {setting} if you set it), then re-run",
                ) from None
            raise ServerError(
                f"Spotify kept failing: {failures} attempts of {label} ended in {what}"
            ) from None
        delay = self._backoff(failures)
        http_log.info("%s failed with %s; retry %d in %.2f s", label, what, failures, delay)
        if delay >= 2:
            self._announce(f"Spotify error ({what}), retrying in {round(delay)} s", delay)
        self._wait(delay)
        return failures

    def _unreachable(self, exc: requests.exceptions.RequestException) -> tuple[str, str]:
        """Which service could not be reached (a token refresh goes to the accounts service)."""
        url = str(getattr(exc.request, "url", None) or "")
        api, accounts = self.env.api_base, self.env.accounts_base
        if accounts and url.startswith(accounts) and not url.startswith(api):
            return f"Spotify's accounts service at {accounts}", "SPOTIFY_ACCOUNTS_BASE"
        return f"Spotify at {api}", "SPOTIFY_API_BASE"

    def _client_error(self, status: int | None, exc: SpotifyException, label: str) -> MergerError:
        text = _error_text(exc)
        if status == 403:
            return ForbiddenError(
                f"Spotify refused {label} (403: {text})",
                "you may not own this resource, or the app lacks a permission: "
                "re-run `spotify-merger auth` to grant the scopes again",
            )
        if status == 404:
            return NotFoundError(f"Spotify found nothing at {label} (404: {text})")
        if status == 400:
            return UsageError(f"Spotify rejected {label} as invalid (400: {text})", "check the ids you gave")
        return MergerError(f"Spotify answered {status} to {label}: {text}", "please report this as a bug")
