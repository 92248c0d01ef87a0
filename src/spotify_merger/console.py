"""The rich consoles every command prints through (see `Environment.stdout` / `.stderr`).

On a terminal, tables and panels are drawn with boxes. Piped or redirected (`| grep`, `> file`),
the same tables print as plain aligned columns with no box drawing and no wrapping at 80
columns, so every row stays one line a script can cut, grep or sort.
"""

from __future__ import annotations

import os
import sys
from typing import IO

from rich.console import Console, ConsoleRenderable, RenderHook
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from spotify_merger.errors import ExitCode

# Wide enough that no table row or message wraps when nothing sets COLUMNS.
PIPE_WIDTH = 10_000


class MergerConsole(Console):
    def on_broken_pipe(self) -> None:
        """The reader went away (`| head`): stop quietly with the documented exit code."""
        self.quiet = True
        # Python would complain again while flushing stdout at exit: point it at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, (sys.stderr if self.stderr else sys.stdout).fileno())
        raise SystemExit(int(ExitCode.PIPE_CLOSED))


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr); plain tables when that stream is not a terminal."""
    console = MergerConsole(stderr=stderr)
    if not _is_terminal(sys.stderr if stderr else sys.stdout) and not console.is_jupyter:
        if "COLUMNS" not in os.environ:
            console.width = PIPE_WIDTH
        console.push_render_hook(PlainTables())
    return console


def null_console() -> Console:
    """Prints nowhere (--json --quiet: the tables are neither data nor wanted)."""
    return Console(file=open(os.devnull, "w"))


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class PlainTables(RenderHook):
    """A render hook: tables lose their box, panels show only their content."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [plain(r) for r in renderables]


def plain(renderable: ConsoleRenderable) -> ConsoleRenderable:
    if isinstance(renderable, Table):
        renderable.box = None
        renderable.show_edge = False
        renderable.pad_edge = False
        return renderable
    if isinstance(renderable, Panel):
        inner = renderable.renderable
        if isinstance(inner, str):
            return Text.from_markup(inner)
        if isinstance(inner, ConsoleRenderable):
            return plain(inner)
    return renderable
