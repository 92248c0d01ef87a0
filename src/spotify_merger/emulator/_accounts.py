"""The accounts service: ``GET /authorize`` (auto-approving) and ``POST /api/token``.

Follows Spotify's Authorization Code, Authorization Code with PKCE, refresh and Client Credentials flows.
Redirect URIs must be registered and must be https or http on a loopback IP literal; ``localhost`` is refused
(Spotify's rule since April 2025).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from spotify_merger.emulator._routing import OAuthError, Request, Response, Router
from spotify_merger.emulator._state import ALL_SCOPES, App, Grant, State

CODE_TTL = 600


def redirect_uri_problem(uri: str) -> str | None:
    """Why Spotify would refuse this redirect URI, or None when it is acceptable."""
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return None
    if parts.scheme != "http":
        return "Insecure redirect URI: use https, or http on a loopback IP literal"
    if host == "localhost":
        return "Insecure redirect URI: 'localhost' is not allowed, use http://127.0.0.1 or http://[::1]"
    if host not in ("127.0.0.1", "::1"):
        return "Insecure redirect URI: http is only allowed on a loopback IP literal (127.0.0.1 or [::1])"
    return None


def _text(status: int, message: str) -> Response:
    # Spotify shows an HTML error page (no redirect) for a bad client id or redirect URI.
    return Response(status, message.encode(), content_type="text/plain; charset=utf-8")


class Accounts:
    def __init__(self, state: State, token_ttl: Callable[[], float]) -> None:
        self.state = state
        self.token_ttl = token_ttl

    def register(self, router: Router) -> None:
        router.add("/authorize", "GET", self.authorize)
        router.add("/api/token", "POST", self.token)

    # --- /authorize -------------------------------------------------------------------------------
    def authorize(self, req: Request) -> Response:
        q = req.query
        app = self.state.apps.get(q.get("client_id", ""))
        if app is None:
            return _text(400, "INVALID_CLIENT: Invalid client")
        redirect = q.get("redirect_uri", "")
        if not redirect:
            return _text(400, "INVALID_CLIENT: Missing redirect URI")
        problem = redirect_uri_problem(redirect)
        if problem:
            return _text(400, f"INVALID_CLIENT: {problem}")
        if redirect not in app.redirect_uris:
            return _text(400, "INVALID_CLIENT: Invalid redirect URI")

        def back(**params: str) -> Response:
            if q.get("state") is not None:
                params["state"] = q["state"]
            sep = "&" if "?" in redirect else "?"
            return Response(
                302, b"", {"Location": f"{redirect}{sep}{urlencode(params)}"}, content_type="text/plain"
            )

        if q.get("response_type") != "code":
            return back(error="unsupported_response_type")
        scopes = frozenset(q.get("scope", "").replace(",", " ").split())
        if scopes - ALL_SCOPES:
            return back(error="invalid_scope")
        challenge = q.get("code_challenge")
        if challenge and q.get("code_challenge_method") != "S256":
            return back(error="invalid_request")
        code = "AQ" + secrets.token_urlsafe(48)
        with self.state.lock:
            self.state.codes[code] = {
                "client_id": app.client_id,
                "redirect_uri": redirect,
                "scopes": scopes,
                "challenge": challenge,
                "expires_at": time.time() + CODE_TTL,
            }
        return back(code=code)

    # --- /api/token -------------------------------------------------------------------------------
    def _client(self, req: Request, form: dict[str, str], secret_required: bool) -> App:
        auth = req.headers.get("authorization", "")
        cid, secret, via_header = form.get("client_id"), form.get("client_secret"), False
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError(400, "invalid_client", "Invalid client") from None
            via_header = True
        # RFC 6749: a client that authenticated with the Authorization header gets 401 when that fails.
        fail = 401 if via_header else 400
        app = self.state.apps.get(cid or "")
        if app is None:
            raise OAuthError(fail, "invalid_client", "Invalid client")
        if secret_required or secret:
            if not secret:
                raise OAuthError(400, "invalid_client", "Invalid client secret")
            if not secrets.compare_digest(secret, app.client_secret):
                raise OAuthError(fail, "invalid_client", "Invalid client secret")
        return app

    def _tokens(self, grant: Grant, refresh: str | None) -> Response:
        ttl = self.token_ttl()
        body: dict[str, Any] = {
            "access_token": self.state.issue_access(grant, ttl),
            "token_type": "Bearer",
            "expires_in": int(ttl),
        }
        if grant.user_id is not None:
            body["scope"] = " ".join(sorted(grant.scopes))
        if refresh:
            body["refresh_token"] = refresh
        return Response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def token(self, req: Request) -> Response:
        ctype = req.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype and req.body.strip():
            raise OAuthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "unsupported_grant_type", "grant_type parameter is missing")
        if grant_type == "authorization_code":
            return self._authorization_code(req, form)
        if grant_type == "refresh_token":
            return self._refresh(req, form)
        if grant_type == "client_credentials":
            app = self._client(req, form, secret_required=True)
            return self._tokens(Grant(app.client_id, None, frozenset()), None)
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials, authorization_code or refresh_token",
        )

    def _authorization_code(self, req: Request, form: dict[str, str]) -> Response:
        code = form.get("code")
        if not code:
            raise OAuthError(400, "invalid_request", "code must be supplied")
        if not form.get("redirect_uri"):
            raise OAuthError(400, "invalid_request", "redirect_uri must be supplied")
        with self.state.lock:
            info = self.state.codes.get(code)
        pkce = bool(info and info["challenge"])
        app = self._client(req, form, secret_required=not pkce)
        if info is None or info["expires_at"] < time.time():
            raise OAuthError(400, "invalid_grant", "Invalid authorization code")
        if info["client_id"] != app.client_id:
            raise OAuthError(400, "invalid_grant", "Invalid authorization code")
        if form["redirect_uri"] != info["redirect_uri"]:
            raise OAuthError(400, "invalid_grant", "Invalid redirect URI")
        if pkce:
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise OAuthError(400, "invalid_request", "code_verifier required")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if not secrets.compare_digest(digest, info["challenge"]):
                raise OAuthError(400, "invalid_grant", "code_verifier was incorrect")
        with self.state.lock:
            # Codes are single use: a replay answers invalid_grant.
            if self.state.codes.pop(code, None) is None:
                raise OAuthError(400, "invalid_grant", "Invalid authorization code")
        grant = Grant(app.client_id, self.state.user_id, info["scopes"], pkce=pkce)
        return self._tokens(grant, self.state.issue_refresh(grant))

    def _refresh(self, req: Request, form: dict[str, str]) -> Response:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "refresh_token must be supplied")
        with self.state.lock:
            grant = self.state.refresh.get(token)
        # PKCE clients refresh with their client_id alone; others must authenticate with the secret.
        app = self._client(req, form, secret_required=not (grant and grant.pkce))
        if grant is None or grant.client_id != app.client_id:
            raise OAuthError(400, "invalid_grant", "Invalid refresh token")
        # Spotify sometimes rotates refresh tokens (PKCE clients do get a new one); the old one stays valid.
        new_refresh = self.state.issue_refresh(grant) if grant.pkce else None
        return self._tokens(grant, new_refresh)
