"""Settings from the environment and `.env`, checked as they are read: a problem is a usage error (2).

A settings file named with --env-file must exist; every settings file must be readable UTF-8 text
(a binary file is refused, not half-parsed); a value must be one line of text; a base URL must be
an http(s) URL with a host. The messages quote what was found, cleaned and shortened.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from spotify_merger.display import quote
from spotify_merger.errors import UsageError

_FILE_HINT = "give a settings file of KEY=value lines (see .env.example), or leave --env-file out"


def load_settings_file(path: Path, *, given: bool) -> None:
    """Load `path` (KEY=value lines) into the process environment, never overriding what is set."""
    # Imported here, not at the top: `spotify-merger --help` imports this module and must stay fast.
    from dotenv import load_dotenv

    shown = quote(path, 120)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not given:
            return  # .env is optional
        raise UsageError(
            f"the settings file {shown} given with --env-file does not exist",
            "check the path, or leave --env-file out to read .env",
        ) from None
    except IsADirectoryError:
        raise UsageError(f"the settings file {shown} is a directory, not a file", _FILE_HINT) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read the settings file {shown} ({exc.strerror or exc})",
            "check the file's permissions (it should be readable by you), or leave --env-file out",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"the settings file {shown} is not a text file (byte {exc.start:,} is not UTF-8)", _FILE_HINT
        ) from None
    if "\x00" in text:
        raise UsageError(f"the settings file {shown} is not a text file (it holds NUL bytes)", _FILE_HINT)
    load_dotenv(stream=io.StringIO(text), override=False)


def setting(env: Mapping[str, str], key: str) -> str | None:
    """The value of `key`, stripped, or None when unset or blank; UsageError when it is not one line of text."""
    value = env.get(key, "").strip()
    if not value:
        return None
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise UsageError(
            f"{key} holds control characters or bytes that are not UTF-8 ({quote(value, 40)})",
            f"set {key} to one line of plain text in the environment or .env",
        )
    return value


def base_url(key: str, value: str) -> str:
    """`value` without a trailing slash, when it is an http(s) URL with a host; UsageError otherwise."""
    rule = "an http:// or https:// URL with a host, such as https://api.spotify.com/v1"
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or " " in value:
        raise UsageError(
            f"{key} is {quote(value, 80)}, which is not {rule}",
            f"fix {key} in the environment or .env, or unset it to use Spotify itself",
        )
    if parts.query or parts.fragment:
        raise UsageError(
            f"{key} is {quote(value, 80)}: a base URL takes no ?query or #fragment",
            f"fix {key} in the environment or .env, or unset it to use Spotify itself",
        )
    return value.rstrip("/")


__all__ = ["base_url", "load_settings_file", "setting"]
