"""The loopback HTTP server that receives the sign-in redirect (`?code=...&state=...`) once."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import webbrowser
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class CallbackServer(http.server.HTTPServer):
    allow_reuse_address = True

    def __init__(self, host: str, port: int, path: str) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.expected_path = path or "/"
        self.query: dict[str, str] | None = None
        self.arrived = threading.Event()
        self.stopped = False
        super().__init__((host, port), CallbackHandler)


class CallbackHandler(http.server.BaseHTTPRequestHandler):
    server: CallbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.expected_path:
            self.send_error(404)
            return
        self.server.query = dict(parse_qsl(parts.query))
        ok = "code" in self.server.query
        body = (
            "<html><body><h1>spotify-merger: signed in</h1><p>You can close this window.</p></body></html>"
            if ok
            else "<html><body><h1>spotify-merger: sign-in failed</h1><p>See the terminal.</p></body></html>"
        )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.server.arrived.set()

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the auth code: never log it
        return


def open_default(url: str) -> bool:
    try:
        return bool(webbrowser.open(url))
    except webbrowser.Error:
        return False


def serve_until_callback(server: CallbackServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    server.timeout = 0.2
    # Short polls so the login thread can stop us (`stopped`) once it has what it needs.
    while not server.arrived.is_set() and not server.stopped and time.monotonic() < deadline:
        server.handle_request()
