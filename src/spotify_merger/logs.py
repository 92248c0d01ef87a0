"""The -v / -vv log lines: one clean line each, secrets redacted (see `display` and `redaction`)."""

from __future__ import annotations

import logging

from spotify_merger.display import clean
from spotify_merger.redaction import redact


class SafeFormatter(logging.Formatter):
    """Formats a record as its message only, cleaned to one line and redacted.

    A log line can carry outside text (a playlist name in an error, a URL); it must neither drive
    the terminal nor leak a token, whatever logged it.
    """

    def __init__(self) -> None:
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return clean(redact(super().format(record)))
