"""report.html from a process of its own, so the charts never cost `run` any wall time.

A process, not a thread: chart rendering is CPU-bound Python that would hold the GIL the write's
threads need between their requests. `run` starts the `HtmlRenderer` first thing, so its process
imports matplotlib while the playlists are fetched; `render()` then hands it the report's JSON
export (already written) and the page's path, and it writes the page atomically. It shares
nothing else with the run, and exits at end of input if it is never asked for a page (a run that
stopped early, or was killed). It runs at a lower CPU priority than the run it serves, and a run
that ends before the page is drawn does not wait for it (`detach`): the page appears moments later.

    python -m spotify_merger.report.renderer [REPORT_JSON REPORT_HTML]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from spotify_merger.analyze.results import DryRunReport
from spotify_merger.context import Environment
from spotify_merger.report.exports import REPORT_HTML
from spotify_merger.report.html import render_html
from spotify_merger.store.files import write_text_atomic


class HtmlRenderer:
    """The renderer process. `wait()` returns the page's path once written (None if it was never
    asked for one), or raises what went wrong; `abandon()` stops waiting."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "spotify_merger.report.renderer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def render(self, json_path: Path, path: Path) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps([str(json_path), str(path)]).encode() + b"\n")
            self._proc.stdin.close()
        except OSError:  # it died early; wait() says why
            pass
        self.path = path

    def render_report(self, env: Environment, report: DryRunReport) -> Path:
        """Have report.html written from `report`'s JSON export; returns the page's path."""
        path = env.exports_dir / REPORT_HTML
        self.render(report.files["json"], path)
        return path

    @property
    def done(self) -> bool:
        return self._proc.poll() is not None

    def detach(self) -> None:
        """Stop waiting for a page still being drawn: the process finishes it on its own."""
        _DETACHED.append(self)  # kept, so nothing warns about a child still running
        self.abandon()

    def wait(self) -> Path | None:
        if self.path is None:
            self.abandon()
            return None
        assert self._proc.stderr is not None
        err = self._proc.stderr.read()
        self._proc.stderr.close()
        if self._proc.wait() != 0:
            lines = err.decode("utf-8", errors="replace").strip().splitlines()
            raise RuntimeError(lines[-1] if lines else f"exit {self._proc.returncode}")
        return self.path

    def abandon(self) -> None:
        """Stop waiting: the page still gets written if it was asked for, unless interrupted too."""
        for stream in (self._proc.stdin, self._proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


_DETACHED: list[HtmlRenderer] = []


def main(argv: list[str] | None = None) -> None:
    """The renderer process: the slow imports first, then one JSON pair of paths on stdin (or the
    two paths as arguments); end of input without one means there is nothing to render."""
    args = argv if argv is not None else sys.argv[1:]
    if not args:
        if hasattr(os, "nice"):
            os.nice(5)  # the run it serves comes first on a busy machine
        from matplotlib import figure, ticker  # noqa: F401  (the slow imports, done while run fetches)
        from matplotlib.backends import backend_agg  # noqa: F401

        line = sys.stdin.readline()
        if not line.strip():
            return
        args = json.loads(line)
    source, target = args
    report = DryRunReport.from_json(json.loads(Path(source).read_text(encoding="utf-8")))
    write_text_atomic(Path(target), render_html(report))


if __name__ == "__main__":
    main()
