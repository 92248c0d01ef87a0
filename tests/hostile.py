"""Shared pieces of the hostile-input suites: the hostile strings, an emulator full of them, and
the checks every command's output must pass (clean text, one `error:` and one `hint:` line)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spotify_merger.cli import app
from spotify_merger.context import SETTINGS
from spotify_merger.emulator import Emulator, EmulatorConfig
from spotify_merger.store.lock import LOCK_NAME

# Text a stranger can put in a playlist, track, artist or user name.
MARKUP = "[/] [bold]B[/bold] [link=http://evil.example]click[/link] :smile:"
ESCAPES = (
    "\x1b[5mBLINK\x1b[0m \x1b]8;;http://evil.example\x1b\\disguised\x1b]8;;\x1b\\ \x1b]0;title\x07\x9b31mC1"
)
FAKE_LINES = "one\nerror: fake\nhint: fake\r\x00"
BIDI = "abc\u202egnp.exe"
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
OVERLONG = "L" * 5_000
SPOTIFY_SIDE = [MARKUP, ESCAPES, FAKE_LINES, BIDI, *FORMULAS, "tail\\"]

# Text the user types (names, sources): the same, plus bytes that are not UTF-8 (argv surrogates).
NOT_UTF8 = "bad \udcff bytes"

# The visible remains of the hostile names that must show up as plain text.
VISIBLE = ("[/]", "[bold]B[/bold]", ":smile:", "BLINK", "disguised")

SGR = re.compile(r"\x1b\[[0-9;]*m")
# What rich itself writes on a terminal: colours (SGR) and, for live progress bars, cursor hide/show,
# erase line and cursor up. Nothing else: no OSC (links, titles), no blink, no screen clears.
OURS = re.compile(r"\x1b\[(?:[0-9;]*m|\?25[lh]|2K|[0-9]*A)|\r")


def hostile_emulator(*, sizes: tuple[int, int] = (120, 80), profile: str = "dev-2026") -> Emulator:
    """A started emulator whose playlists, tracks, artists, albums and user carry hostile names.

    Names are set before the first request (the emulator renders each object once and caches it).
    """
    emu = Emulator(EmulatorConfig(profile=profile, seed=7, playlist_sizes=sizes))
    lib = emu.library
    p1, p2 = emu.playlist_ids
    emu.state.playlists[p1].name = f"{MARKUP} {ESCAPES}"
    emu.state.playlists[p2].name = FORMULAS[0]
    emu.state.users[lib.user_id] = f"{ESCAPES} {MARKUP}"
    names = [*SPOTIFY_SIDE, *SPOTIFY_SIDE]
    for i, track in enumerate(lib.tracks.values()):
        track["name"] = OVERLONG if i in (3, 4) else f"{names[i % len(names)]} {i}"
    for i, artist in enumerate(lib.artists.values()):
        artist["name"] = f"{names[(i + 3) % len(names)]} a{i}"
    for i, album in enumerate(lib.albums.values()):
        album["name"] = f"{names[(i + 5) % len(names)]} al{i}"
    return emu.start()


@pytest.fixture(scope="module")
def hostile_emu() -> Iterator[Emulator]:
    """The hostile library, served for one test module (see `hostile_emulator`)."""
    emulator = hostile_emulator()
    yield emulator
    emulator.stop()


@dataclass
class Outcome:
    code: int
    output: str
    stdout: str
    stderr: str
    exception: BaseException | None


def invoke(
    emu: Emulator | None,
    data_dir: Path,
    *args: str,
    terminal: bool = False,
    settings: dict[str, str | None] | None = None,
    input: str | None = None,
    env_file: str = os.devnull,
) -> Outcome:
    """Run the CLI in-process; `terminal` makes the consoles behave as on a terminal."""
    env: dict[str, str | None] = dict.fromkeys(SETTINGS)
    if emu is not None:
        env.update(emu.env())
    env.update({"TTY_COMPATIBLE": "1" if terminal else "0", "COLUMNS": "120", "TTY_INTERACTIVE": "0"})
    env.update(settings or {})
    result = CliRunner().invoke(
        app, ["--data-dir", str(data_dir), "--env-file", env_file, *args], env=env, input=input
    )
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return Outcome(result.exit_code, result.output, result.stdout, result.stderr, exc)


def assert_clean(out: Outcome, *, terminal: bool = False) -> None:
    """Nothing in the output can drive a terminal, and nothing is a traceback."""
    assert out.exception is None, repr(out.exception)
    text = out.output
    assert "Traceback" not in text, text[-2000:]
    leftover = OURS.sub("", text) if terminal else text
    if not terminal:
        assert "\x1b" not in text, repr(text[:500])
    bad = re.findall(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", leftover)
    assert not bad, f"control characters in output: {sorted(set(bad))!r}"
    for sgr in re.findall(r"\x1b\[([0-9;]*)m", text):
        assert not {"5", "6", "8"} & set(sgr.split(";")), f"blink/conceal SGR {sgr!r}"


def plain_lines(out: Outcome) -> list[str]:
    return [SGR.sub("", line) for line in out.output.splitlines()]


def assert_one_error(out: Outcome, code: int, *words: str, terminal: bool = False) -> str:
    """Exit `code`, exactly one `error:` line and one `hint:` line; returns the error line."""
    assert_clean(out, terminal=terminal)
    lines = plain_lines(out)
    errors = [line for line in lines if line.startswith("error:")]
    hints = [line for line in lines if line.startswith("hint:")]
    assert out.code == code, out.output[-3000:]
    assert len(errors) == 1 and len(hints) == 1, out.output[-3000:]
    assert len(errors[0]) < 1200 and len(hints[0]) < 1200
    for word in words:
        assert word in errors[0] + "\n" + hints[0], (word, errors[0], hints[0])
    return errors[0]


def assert_shows_hostile_names_as_text(out: Outcome, fragments: tuple[str, ...] = VISIBLE) -> None:
    text = SGR.sub("", out.output)
    for fragment in fragments:
        assert fragment in text, (fragment, text[:3000])


def copy_tree(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def files_state(root: Path) -> dict[str, Any]:
    """Every file under `root` with its size and bytes hash: "nothing lost" compares these.

    The data dir's lock file is left out: each command that takes the lock writes its own pid
    there (so a second one can name it), which is not data a fault could lose."""
    import hashlib

    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".wal") and p.name != LOCK_NAME
    }
