"""Outside text on the terminal: always data, never markup, never terminal control, never overlong.

Playlist, track and artist names are chosen by strangers (collaborators, artists, uploaders);
sources and names are typed by the user; settings come from files and the environment. None of it
may style, link, blink, move the cursor or fake a line of our own. The rule lives in the consoles,
not in each call site:

- `console.SafeConsole`, the only console class the tool prints through: a `str` given to it
  anywhere (a message, a table cell, a title, a progress description, a prompt) is never parsed as
  markup or emoji codes and is shown as one clean line, and every segment it writes is cleaned once
  more on the way out, so a `Text` built elsewhere cannot smuggle a control character through;
- `styled(template, **values)`, the one way to style our own words: the template is ours, the
  values are outside text, cleaned and escaped;
- `clean`, `shorten` and `quote` (here) prepare outside text for messages and logs.

Cleaning removes whole escape sequences (CSI such as colours, blink and cursor moves; OSC such as
OSC 8 hyperlinks and window titles; DCS/APC/PM strings; their 8-bit C1 forms), turns line breaks
and tabs into spaces, and replaces any other C0/C1 control character, bidi override, or byte that
was not UTF-8 (a lone surrogate) with U+FFFD, so tampering stays visible.

This module imports rich only when styling, so `spotify-merger --help` stays fast.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

REPLACEMENT = "\ufffd"
MESSAGE_LIMIT = 80  # characters of one outside value quoted in a message

# Escape sequences, removed whole: what follows ESC (or its 8-bit C1 form) up to the sequence's end.
SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, blink, cursor moves, erase
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: hyperlinks, titles, clipboard
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # two- and three-byte escapes (charsets, keypad modes, resets)
)
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]+")
# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, lone surrogates (non-UTF-8 bytes).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef]")
_NEEDS_CLEANING = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef]"
)
# The console's last net on written segments keeps the line breaks rich itself lays out.
SEGMENT_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean(value: object) -> str:
    """`value` as one printable line: escape sequences removed, breaks as spaces, controls as U+FFFD."""
    text = value if isinstance(value, str) else str(value)
    if not _NEEDS_CLEANING.search(text):
        return text
    text = SEQUENCE.sub("", text)
    text = _BREAKS.sub(" ", text)
    return _UNSAFE.sub(REPLACEMENT, text)


def clean_block(value: object) -> str:
    """Like `clean`, but line breaks stay: for multi-line text such as a (redacted) traceback."""
    text = value if isinstance(value, str) else str(value)
    return "\n".join(clean(line) for line in text.split("\n"))


def shorten(value: object, limit: int = MESSAGE_LIMIT) -> str:
    """`clean(value)`, cut to `limit` characters with an ellipsis when longer."""
    text = clean(value)
    if len(text) <= limit:
        return text
    return text[: max(1, limit - 1)] + "…"


def quote(value: object, limit: int = MESSAGE_LIMIT) -> str:
    """Outside text as a message quotes it: cleaned, in quotes, shortened (saying how long it was)."""
    text = value if isinstance(value, str) else str(value)
    short = shorten(text, limit)
    if len(short) < len(clean(text)):
        return f"'{short}' ({len(text):,} characters)"
    return f"'{short}'"


# Stand-ins for "[" and "\\" inside values while our template's markup is parsed: noncharacters,
# which `clean` never lets through, so they cannot clash with a value's own text.
_BRACKET, _BACKSLASH = "\ufdd0", "\ufdd1"


def styled(template: str, /, **values: object) -> Text:
    """Our own words with rich markup, outside values inserted as plain data.

    `template` is a literal of ours (`"Signed in as [green]{name}[/green]"`); each value is cleaned
    and placed so that nothing in it can open, close or inject a tag: its "[" and "\\" are parsed
    as stand-ins and put back afterwards, one character for one, so the styles stay where the
    template put them. Numbers keep their format specs (`{count:,}`).
    """
    from rich.text import Text  # here, not at the top: see the module docstring

    def field(value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return clean(value).replace("[", _BRACKET).replace("\\", _BACKSLASH)

    text = Text.from_markup(template.format(**{k: field(v) for k, v in values.items()}), emoji=False)
    if _BRACKET in text.plain or _BACKSLASH in text.plain:
        text.plain = text.plain.replace(_BRACKET, "[").replace(_BACKSLASH, "\\")
    return text


def as_text(part: Text | str) -> Text:
    """A `Text` as it is; a str as plain, cleaned text (never markup)."""
    from rich.text import Text  # here, not at the top: see the module docstring

    return part if isinstance(part, Text) else Text(clean(part))


def lines(*parts: Text | str) -> Text:
    """Several lines as one `Text` (for panels); a str part is outside text, cleaned, never markup."""
    from rich.text import Text  # here, not at the top: see the module docstring

    return Text("\n").join(as_text(part) for part in parts)
