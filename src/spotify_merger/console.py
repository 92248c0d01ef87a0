"""`SafeConsole`: the rich Console every line of the tool goes through (see `display` for the rule)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.panel import Panel
from rich.segment import Segment
from rich.text import Text

from spotify_merger.display import SEGMENT_UNSAFE, SEQUENCE, clean, shorten

# Longest str shown whole (a cell, a title, a line): a 100,000-character name from Spotify is cut
# to this, with an ellipsis. Our own longest line, a sign-in URL, is well under it.
MAX_STR = 1000

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
    """A SafeConsole on stdout or stderr (or `file`); the one place the tool creates consoles."""
    return SafeConsole(stderr=stderr, file=file, **kwargs)
