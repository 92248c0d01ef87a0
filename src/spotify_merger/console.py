"""`SafeConsole`: the rich Console every line of the tool goes through (see `display` for the rule).

On a terminal, tables and panels are drawn with boxes. Piped or redirected (`| grep`, `> file`),
the same tables print as plain aligned columns with no box drawing and no wrapping at 80
columns, so every row stays one line a script can cut, grep or sort.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderHook
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from spotify_merger.display import SEGMENT_UNSAFE, SEQUENCE, clean, shorten
from spotify_merger.errors import ExitCode

# Longest str shown whole (a cell, a title, a line): a 100,000-character name from Spotify is cut
# to this, with an ellipsis. Our own longest line, a sign-in URL, is well under it.
MAX_STR = 1000
# Wide enough that no table row or message wraps when piped and nothing sets COLUMNS.
PIPE_WIDTH = 10_000

if TYPE_CHECKING:
    from rich.console import HighlighterType, JustifyMethod, OverflowMethod
    from rich.style import Style


class SafeConsole(Console):
    """A rich Console on which outside text cannot become markup or terminal control.

    Markup, emoji codes and highlighting are off for every str, whatever a caller passes; strs are
    cleaned to one line and cut at MAX_STR characters; and every segment written is cleaned again. rich's own control segments
    (the cursor moves of live progress bars) pass untouched: they carry no outside text.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["markup"] = False
        kwargs["emoji"] = False
        kwargs["highlight"] = False
        super().__init__(**kwargs)

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        return super().render_str(
            shorten(text, MAX_STR), style=style, justify=justify, overflow=overflow, emoji=False, markup=False
        )

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(_defused(renderable), options):
            if segment.control is None and SEGMENT_UNSAFE.search(segment.text):
                # Removed rather than replaced: control characters take no cells, so the layout
                # rich measured stays aligned.
                text = SEGMENT_UNSAFE.sub("", SEQUENCE.sub("", segment.text))
                yield Segment(text, segment.style, None)
            else:
                yield segment

    def write_document(self, text: str) -> None:
        """A machine-readable document (a --json result), written whole: never cut at MAX_STR,
        wrapped or styled. Its producer escapes outside text already (JSON's \\u escapes); the
        console's last net still removes any control character but the line breaks."""
        with self:
            self._buffer.append(Segment(SEGMENT_UNSAFE.sub("", text)))

    def on_broken_pipe(self) -> None:
        """The reader went away (`| head`): stop quietly with the documented exit code."""
        self.quiet = True
        # Python would complain again while flushing stdout at exit: point it at /dev/null first.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, (sys.stderr if self.stderr else sys.stdout).fileno())
        except (OSError, ValueError):  # no real file descriptor (e.g. a test runner's buffer)
            pass
        raise SystemExit(int(ExitCode.PIPE_CLOSED))


def _defused(renderable: RenderableType) -> RenderableType:
    """rich parses a Panel's str title and subtitle as markup itself, bypassing `render_str`:
    give it plain, cleaned Text instead (every nested renderable passes through here)."""
    if isinstance(renderable, Panel) and (
        isinstance(renderable.title, str) or isinstance(renderable.subtitle, str)
    ):
        panel = copy.copy(renderable)
        if isinstance(panel.title, str):
            panel.title = Text(clean(panel.title))
        if isinstance(panel.subtitle, str):
            panel.subtitle = Text(clean(panel.subtitle))
        return panel
    return renderable


def make_console(*, stderr: bool = False, file: IO[str] | None = None, **kwargs: Any) -> SafeConsole:
    """A SafeConsole on stdout or stderr (or `file`); the one place the tool creates consoles.

    Plain tables (no box, no wrapping) when that stream is not a terminal.
    """
    console = SafeConsole(stderr=stderr, file=file, **kwargs)
    if not console.is_terminal and not console.is_jupyter:
        if "width" not in kwargs and "COLUMNS" not in os.environ:
            console.width = PIPE_WIDTH
        console.push_render_hook(PlainTables())
    return console


def null_console() -> SafeConsole:
    """Prints nowhere (--json --quiet: the tables are neither data nor wanted)."""
    return SafeConsole(file=open(os.devnull, "w"))  # lives as long as the process


class PlainTables(RenderHook):
    """A render hook: tables lose their box, panels show only their content."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [plain(r) for r in renderables]


def plain(renderable: ConsoleRenderable) -> ConsoleRenderable:
    if isinstance(renderable, Table):
        renderable.box = None
        renderable.show_edge = False
        renderable.pad_edge = False
        # A title wider than the columns would wrap onto two lines: widen the table instead.
        title = renderable.title
        width = cell_len(title.plain if isinstance(title, Text) else str(title or ""))
        renderable.min_width = max(renderable.min_width or 0, min(width, MAX_STR))
        return renderable
    if isinstance(renderable, Panel):
        inner = renderable.renderable
        if isinstance(inner, str):
            return Text(clean(inner))  # outside text: data, never markup
        if isinstance(inner, ConsoleRenderable):
            return plain(inner)
    return renderable
