"""Request/response types and a small router that knows route templates (for counters) and 405 vs 404."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str  # without query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base: str  # "http://host:port", from the Host header
    params: dict[str, str] = field(default_factory=dict)  # path parameters

    def json(self) -> Any:
        """The JSON body, or None when there is none; malformed JSON is a 400 like Spotify's."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "Error parsing JSON.") from None


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list -> JSON; bytes/str -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    lost: bool = False  # set by handlers that applied a change (for lost-response injection)


class ApiError(Exception):
    """An error answered in the Web API's {"error": {"status", "message"}} shape."""

    def __init__(
        self, status: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.headers = headers or {}

    def response(self) -> Response:
        err: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.reason:
            err["reason"] = self.reason
        return Response(self.status, {"error": err}, dict(self.headers))


class OAuthError(Exception):
    """An error answered in the accounts service's {"error", "error_description"} shape."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        return Response(self.status, {"error": self.error, "error_description": self.description})


Handler = Callable[[Request], Response]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Handler]]] = []

    def add(self, template: str, method: str, handler: Handler) -> None:
        for _, tmpl, methods in self._routes:
            if tmpl == template:
                methods[method] = handler
                return
        # {name} matches one path segment; a trailing slash is tolerated (spotipy asks for "tracks/?ids=").
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((re.compile(f"^{regex}/?$"), template, {method: handler}))

    def match(self, method: str, path: str) -> tuple[str, Handler | None, dict[str, str]]:
        """(route template, handler or None when the method is wrong, path params); raises 404 if no route."""
        for pattern, template, methods in self._routes:
            m = pattern.match(path)
            if m:
                return template, methods.get(method), m.groupdict()
        raise ApiError(404, "Service not found")

    def allowed(self, template: str) -> list[str]:
        for _, tmpl, methods in self._routes:
            if tmpl == template:
                return sorted(methods)
        return []
