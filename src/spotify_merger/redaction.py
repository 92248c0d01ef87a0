"""Blanking out secrets (bearer tokens, refresh tokens, client secrets, auth codes) in any text.

Used on every line the tool logs or shows that could echo a request or an exception.
"""

from __future__ import annotations

import re

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code_verifier|code|id_token)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\"'&,\s}]+"
    ),
]


def redact(text: str) -> str:
    """Blank out bearer tokens, refresh tokens, secrets and auth codes wherever they appear."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text
