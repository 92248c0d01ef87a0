"""Strict parsers for numeric options: a finite number within a documented range, or a usage error.

Python's own conversions accept "nan", "inf" and "-5" as floats; a `--max-wait nan` then meant
"no limit". Each parser here names its range in the error, so the user sees what would be right.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import TypeVar, cast

import typer
from typer.models import OptionInfo

from spotify_merger.display import quote

N = TypeVar("N", int, float)
_INTEGER = re.compile(r"^[+-]?\d+(?:_\d+)*$")


def _parse(kind: type[N], value: object) -> N | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = value
    else:
        text = str(value).strip()
        if kind is int and not _INTEGER.match(text):
            return None
        try:
            number = kind(text)
        except (ValueError, OverflowError):
            return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    if kind is int and isinstance(number, float):
        if not number.is_integer():
            return None
        number = int(number)
    return kind(number)


def _fmt(number: float) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{number:,g}"


def bounded(kind: type[N], low: N, high: N, noun: str) -> Callable[[object], N]:
    """A parser for one number of `kind` in [low, high]; `noun` names it ("a number of seconds")."""
    rule = f"{noun} from {_fmt(low)} to {_fmt(high)}"

    def parse(value: object) -> N:
        number = _parse(kind, value)
        if number is None or not low <= number <= high:
            raise typer.BadParameter(f"{quote(value)} is not {rule}")
        return number

    parse.__doc__ = rule
    return parse


def optional_bounded(kind: type[N], low: N, high: N, noun: str) -> Callable[[object], N | None]:
    """Like `bounded`, for options whose default is None (off)."""
    inner = bounded(kind, low, high, noun)

    def parse(value: object) -> N | None:
        return None if value is None else inner(value)

    return parse


_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def host(value: object) -> str:
    """An interface to listen on: an IP address or a plain host name."""
    text = str(value).strip()
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not _HOSTNAME.match(text):
        raise typer.BadParameter(f"{quote(value)} is not an IP address or a host name")
    return text


def option(parser: Callable[[object], object], metavar: str, help: str, *names: str) -> OptionInfo:
    """A typer Option parsed by `parser`, shown as `metavar` (never as a Python type)."""
    return cast(OptionInfo, typer.Option(*names, parser=parser, metavar=metavar, help=help))


# The ranges the README documents for each option.
MAX_WAIT = bounded(float, 1.0, 86_400.0, "a number of seconds")
CONCURRENCY = bounded(int, 1, 16, "a whole number")
PORT = bounded(int, 0, 65_535, "a port number")
LATENCY_MS = bounded(float, 0.0, 60_000.0, "a number of milliseconds")
SHARE = bounded(float, 0.0, 1.0, "a share")
TOKEN_TTL = bounded(float, 1.0, 30 * 86_400.0, "a number of seconds")
RETRY_AFTER_MAX = bounded(int, 0, 86_400, "a whole number of seconds")
RATE_LIMIT = optional_bounded(int, 1, 1_000_000, "a whole number of requests")
QUOTA = optional_bounded(int, 0, 1_000_000_000, "a whole number of requests")
SEED = bounded(int, 0, 2**63 - 1, "a whole number")
