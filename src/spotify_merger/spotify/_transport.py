"""The HTTP session every Spotify call goes through: no hidden retries, and a record of each exchange."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from spotify_merger.redaction import redact

http_log = logging.getLogger("spotify_merger.http")
# Headers worth seeing at -vv: why a call waited or failed. Never Authorization or cookies.
_DEBUG_HEADERS = ("Retry-After", "Content-Type", "Content-Length", "Location")


class MalformedResponseError(requests.exceptions.RequestException):
    """A 2xx answer whose body is not JSON (spotipy would silently return None for it)."""


@dataclass
class Exchange:
    """What the wire saw for the last request of a thread."""

    method: str
    url: str
    status: int | None
    ms: float
    nbytes: int


class ObservedSession(requests.Session):
    """A plain session (no retry adapter) that remembers, per thread, the last exchange.

    It also rejects a 2xx body that is not JSON, which spotipy would turn into a silent `None`,
    and logs each request at INFO (-v) with secrets redacted.
    """

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()
        self.bytes_received = 0
        self._bytes_lock = threading.Lock()

    def last_exchange(self) -> Exchange | None:
        return getattr(self._local, "last", None)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        method_s = method.decode() if isinstance(method, bytes) else method
        url_s = url.decode() if isinstance(url, bytes) else url
        self._local.last = None
        started = time.perf_counter()
        try:
            response = super().request(method_s, url_s, *args, **kwargs)
        except requests.exceptions.RequestException:
            ms = (time.perf_counter() - started) * 1000
            self._local.last = Exchange(method_s, url_s, None, ms, 0)
            http_log.info("%s %s -> no response (%.0f ms)", method_s, _loggable(url_s), ms)
            raise
        ms = (time.perf_counter() - started) * 1000
        nbytes = len(response.content)
        with self._bytes_lock:
            self.bytes_received += nbytes
        self._local.last = Exchange(method_s, url_s, response.status_code, ms, nbytes)
        http_log.info(
            "%s %s -> %s (%.0f ms, %d B)", method_s, _loggable(url_s), response.status_code, ms, nbytes
        )
        if http_log.isEnabledFor(logging.DEBUG):
            shown = {k: response.headers[k] for k in _DEBUG_HEADERS if k in response.headers}
            http_log.debug(
                "    answer headers: %s", ", ".join(f"{k}: {v}" for k, v in shown.items()) or "none of note"
            )
        if 200 <= response.status_code < 300 and response.content:
            try:
                parsed = json.loads(response.content)
            except ValueError as exc:
                raise MalformedResponseError(
                    f"{method_s} {_loggable(url_s)} answered {response.status_code} "
                    "with a body that is not JSON",
                    response=response,
                ) from exc
            # Reuse the parse instead of letting spotipy decode the body a second time.
            response.json = lambda **_: parsed  # type: ignore[method-assign]
        return response


def _loggable(url: str) -> str:
    """The URL's path and query, secrets redacted (API URLs carry none, but token calls might)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return redact(path)
