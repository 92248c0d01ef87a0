"""HTTP front end: a threading HTTP/1.1 server, the realism knobs, and the request counters.

Knobs apply to Web API requests (``/v1/...``) only; the accounts service is never rate limited or faulted,
so token refreshes stay predictable in tests. The order per request is: latency, quota, rate limit, spurious
429, random 5xx (nothing applied), the handler, then lost-response injection (change applied, answered 502).
"""

from __future__ import annotations

import math
import random
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from spotify_merger.emulator._objects import dumps
from spotify_merger.emulator._routing import ApiError, Handler, OAuthError, Request, Response, Router

WINDOW_S = 30.0
# Requests that keep arriving while a 429 is in force lengthen it, once they exceed this many.
HAMMER_GRACE = 3
_REASONS = {500: "Server error", 502: "Bad gateway", 503: "Service unavailable"}


@dataclass(frozen=True)
class TimedRequest:
    """One answered request, for drivers that measure timing: when it arrived and when its answer
    was ready (`time.perf_counter()` of the emulator's process), with its path and route."""

    method: str
    path: str
    template: str
    status: int
    arrived: float
    answered: float


@dataclass
class Knobs:
    latency_ms: float = 0.0
    rate_limit: int | None = None
    quota: int | None = None
    fault_rate: float = 0.0
    rate_429: float = 0.0
    lost_response_rate: float = 0.0
    retry_after_max: int = 3600
    force_retry_after: int | None = None
    token_ttl: float = 3600.0

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


class Traffic:
    """Rate limiter, quota, fault dice and counters, all behind one lock."""

    def __init__(self, knobs: Knobs, seed: int) -> None:
        self.knobs = knobs
        self.lock = threading.Lock()
        self.rng = random.Random(f"traffic:{seed}")
        self.window: deque[float] = deque()
        self.penalty_until = 0.0
        self.hammered = 0
        self.quota_used = 0
        self.counter: Counter[tuple[str, str, int]] = Counter()
        self.bytes_sent = 0
        self.lost_responses = 0
        # Seams for test drivers (a kill switch, a soak's own fault rules), so none patches methods:
        # each listener hears (method, template, status) once an answer is counted; `extra_refusal`
        # may refuse a Web API request that the knobs admitted.
        self.listeners: list[Callable[[str, str, int], None]] = []
        self.extra_refusal: Callable[[], ApiError | None] | None = None
        # Every answered request with its timing, once a driver asks for it (`Emulator.timings`).
        self.timings: list[TimedRequest] | None = None

    def roll(self) -> float:
        with self.lock:
            return self.rng.random()

    def _too_many(self, wait: float) -> ApiError:
        k = self.knobs
        secs = (
            k.force_retry_after
            if k.force_retry_after is not None
            else min(max(1, math.ceil(wait)), k.retry_after_max)
        )
        return ApiError(429, "API rate limit exceeded", headers={"Retry-After": str(secs)})

    def admit(self) -> ApiError | None:
        """None when the request may proceed, else the 429 (or injected 5xx) to answer."""
        k = self.knobs
        now = time.monotonic()
        with self.lock:
            if k.quota is not None:
                self.quota_used += 1
                if self.quota_used > k.quota:
                    return ApiError(429, "Too many requests", reason="QUOTA_EXCEEDED")
            if k.rate_limit is not None:
                while self.window and self.window[0] <= now - WINDOW_S:
                    self.window.popleft()
                if now < self.penalty_until:
                    self.hammered += 1
                    if self.hammered > HAMMER_GRACE:
                        self.penalty_until = min(self.penalty_until + 1.0, now + k.retry_after_max)
                    return self._too_many(self.penalty_until - now)
                if len(self.window) >= k.rate_limit:
                    wait = self.window[0] + WINDOW_S - now
                    self.penalty_until = now + wait
                    self.hammered = 0
                    return self._too_many(wait)
                self.window.append(now)
            if k.rate_429 and self.rng.random() < k.rate_429:
                secs = k.force_retry_after if k.force_retry_after is not None else self.rng.randint(1, 2)
                return ApiError(429, "API rate limit exceeded", headers={"Retry-After": str(secs)})
            if k.fault_rate and self.rng.random() < k.fault_rate:
                status = self.rng.choice((500, 502, 503))
                return ApiError(status, _REASONS[status])
        return self.extra_refusal() if self.extra_refusal is not None else None

    def loses_answer(self) -> bool:
        """Whether an applied change loses its answer (the lost-response knob), counted."""
        lost = self.roll() < self.knobs.lost_response_rate
        if lost:
            with self.lock:
                self.lost_responses += 1
        return lost

    def record(self, method: str, template: str, status: int, nbytes: int) -> None:
        with self.lock:
            self.counter[(method, template, status)] += 1
            self.bytes_sent += nbytes
        for listener in self.listeners:
            listener(method, template, status)

    def reset(self) -> None:
        with self.lock:
            self.counter.clear()
            self.bytes_sent = 0
            self.lost_responses = 0


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, addr: tuple[str, int], router: Router, traffic: Traffic, verbose: bool = False
    ) -> None:
        super().__init__(addr, _Handler)
        self.router = router
        self.traffic = traffic
        self.verbose = verbose

    def handle_error(self, request: object, client_address: object) -> None:
        # A client killed mid-request (the kill -9 tests do it on purpose) resets its
        # connection; that is the client's business, not a server fault worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def dispatch(self, req: Request) -> tuple[str, Response]:
        try:
            template, handler, params = self.router.match(req.method, req.path)
        except ApiError as e:
            return "<unknown>", e.response()
        req.params = params
        try:
            return template, self._answer(template, handler, req)
        except ApiError as e:
            resp = e.response()
            if e.status == 401:
                resp.headers["WWW-Authenticate"] = (
                    f'Bearer realm="spotify", error="invalid_token", error_description="{e.message}"'
                )
            return template, resp
        except OAuthError as e:
            return template, e.response()
        except Exception:  # a bug in a handler must still answer, in Spotify's error shape
            traceback.print_exc(file=sys.stderr)
            return template, ApiError(500, "Server error").response()

    def _answer(self, template: str, handler: Handler | None, req: Request) -> Response:
        """The route's answer, after the Web API's latency, rate limit and faults (not the accounts')."""
        if handler is None:
            allowed = ", ".join(self.router.allowed(template))
            return ApiError(405, "Method not allowed", headers={"Allow": allowed}).response()
        api = template.startswith("/v1/")
        knobs = self.traffic.knobs
        if api:
            if knobs.latency_ms > 0:
                time.sleep(knobs.latency_ms / 1000.0)
            refusal = self.traffic.admit()
            if refusal is not None:
                return refusal.response()
        resp = handler(req)
        if (
            api
            and resp.lost
            and req.method in ("POST", "DELETE", "PUT")
            and knobs.lost_response_rate
            and self.traffic.loses_answer()
        ):
            # The change is applied; only the answer is lost on the way back.
            return ApiError(502, "Bad gateway").response()
        return resp


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a small body waits for the client's
    # delayed ACK (~40 ms). TCP_NODELAY keeps page latency in the low milliseconds.
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer
    server_version = "emulated-spotify"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # per-request logs only with verbose, in _serve

    def _serve(self) -> None:
        start = time.perf_counter()
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        # HTTP/1.1 clients always send Host; hrefs in answers are built from it, like Spotify's.
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"
        req = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base=f"http://{host}",
        )
        template, resp = self.server.dispatch(req)
        if isinstance(resp.body, (bytes, str)):
            payload = resp.body.encode() if isinstance(resp.body, str) else resp.body
        elif resp.body is None:
            payload = b""
        else:
            payload = dumps(resp.body).encode()
        # Count before answering, so a client that has its answer always sees it counted.
        traffic = self.server.traffic
        traffic.record(self.command, template, resp.status, len(payload))
        if traffic.timings is not None:
            timed = TimedRequest(self.command, split.path, template, resp.status, start, time.perf_counter())
            with traffic.lock:
                traffic.timings.append(timed)
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        if self.server.verbose:
            ms = (time.perf_counter() - start) * 1000
            print(f"{self.command} {split.path} {resp.status} {ms:.1f}ms", file=sys.stderr, flush=True)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve
