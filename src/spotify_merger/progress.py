"""Progress bars on stderr that also say why they are not moving.

`TaskProgress` shows one bar per task (entries fetched / total, rate, ETA) and a status column fed
by the call policy's `on_wait`: "rate limited, resuming in 12 s" counts down on screen. Without a
terminal, or with --quiet, bars are off; waits are then printed as plain status lines (unless
quiet), so a cron log still tells a pause from a hang.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from types import TracebackType
from typing import TextIO

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
)
from rich.text import Text

from spotify_merger.context import Environment
from spotify_merger.display import shorten, styled

_SECONDS = re.compile(r"\d+ s\b")


class _WaitStatus:
    """The latest wait message and when it ends, shared by all bars (the rate limit is global)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.message = ""
        self.until = 0.0

    def set(self, message: str, seconds: float) -> None:
        with self._lock:
            self.message = message
            self.until = time.monotonic() + seconds

    def seconds_left(self) -> float:
        with self._lock:
            return max(0.0, self.until - time.monotonic()) if self.message else 0.0

    def text(self) -> str:
        with self._lock:
            left = self.until - time.monotonic()
            if not self.message or left <= 0:
                return ""
            return _SECONDS.sub(f"{max(1, round(left))} s", self.message, count=1)


class RateColumn(ProgressColumn):
    """Items per second over the whole run (not rich's short window): pages land in bursts."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        done = task.completed - task.fields.get("base", 0)
        speed = done / elapsed if elapsed and done > 0 else 0
        return Text(f"{speed:,.0f} {self.unit}/s" if speed else "", style="progress.data.speed")


class EtaColumn(ProgressColumn):
    """rich's ETA uses the last few seconds' speed, so during a rate-limit pause it showed "0:00:01"
    for a minute. This one uses the whole run's rate and is never shorter than the pause ahead."""

    def __init__(self, status: _WaitStatus) -> None:
        super().__init__()
        self.status = status

    def render(self, task: Task) -> Text:
        if task.finished or task.total is None:
            return Text("")
        done = task.completed - task.fields.get("base", 0)
        elapsed = task.elapsed or 0.0
        if done <= 0 or elapsed <= 0:
            return Text("-:--:--", style="progress.remaining")
        eta = (task.total - task.completed) / (done / elapsed)
        eta = max(eta, self.status.seconds_left())
        minutes, secs = divmod(round(eta), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"{hours}:{minutes:02d}:{secs:02d}", style="progress.remaining")


class StatusColumn(ProgressColumn):
    def __init__(self, status: _WaitStatus) -> None:
        super().__init__()
        self.status = status

    def render(self, task: Task) -> Text:
        return Text(self.status.text(), style="yellow")


class TaskProgress:
    """Per-task progress bars; every method is a cheap no-op when bars are off."""

    def __init__(self, env: Environment, *, unit: str = "entries") -> None:
        self.env = env
        self.unit = unit
        self.status = _WaitStatus()
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        # Log handlers moved onto rich's stderr while the bars are live, with the stream they had.
        self._rerouted: list[tuple[logging.StreamHandler[TextIO], TextIO]] = []

    def __enter__(self) -> TaskProgress:
        if self.env.show_progress:
            self._progress = Progress(
                # Descriptions are playlist names: plain text, never markup.
                TextColumn("{task.description}", justify="left", markup=False, style="bold"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                RateColumn(self.unit),
                EtaColumn(self.status),
                StatusColumn(self.status),
                console=self.env.stderr,
                transient=False,
            )
            self._progress.__enter__()
            self._route_logs_above_bars()
        return self

    def _route_logs_above_bars(self) -> None:
        """Send -v log lines through rich while the bars are live.

        A log handler set up earlier holds the real stderr, so its lines were written into the
        middle of the bars (torn lines). rich swaps sys.stderr for a proxy that prints above them.
        """
        self._rerouted = []
        real = sys.__stderr__
        if real is None or sys.stderr is real:
            return  # rich did not redirect (not a terminal it owns)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is real:
                handler.setStream(sys.stderr)
                self._rerouted.append((handler, real))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            for handler, stream in self._rerouted:
                handler.setStream(stream)
            self._rerouted = []
            self._progress.__exit__(exc_type, exc, tb)
            self._progress = None

    @property
    def active(self) -> bool:
        return self._progress is not None

    def add(self, key: str, description: str, total: int | None, completed: int = 0) -> None:
        if self._progress is not None:
            self._tasks[key] = self._progress.add_task(
                shorten(description, 40), total=total, completed=completed, base=completed
            )

    def update(
        self, key: str, *, advance: int = 0, total: int | None = None, completed: int | None = None
    ) -> None:
        if self._progress is None or key not in self._tasks:
            return
        self._progress.update(self._tasks[key], advance=advance, total=total, completed=completed)

    def on_wait(self, message: str, seconds: float) -> None:
        """The call policy's wait callback: a countdown on the bars, or a status line without them."""
        self.status.set(message, seconds)
        if self._progress is None and message:
            self.env.say(styled("[yellow]{message}[/yellow]", message=message))
