"""What every command shares: building the Environment and turning errors into exit codes."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from spotify_merger.context import Environment
from spotify_merger.errors import ExitCode, MergerError
from spotify_merger.redaction import redact

T = TypeVar("T")

# The merge options `report` and `run` share, declared once so their help cannot drift apart.
MatchOption = Annotated[
    str,
    typer.Option(
        "--match",
        help="How far matching goes: id (same track or relinked), isrc (+ same ISRC), "
        "smart (+ same title, artist and length).",
    ),
]
KeepOption = Annotated[
    str,
    typer.Option(
        "--keep",
        help="Which copy of a song to keep: most-weighted, earliest-added, newest-release, oldest-release.",
    ),
]
OrderOption = Annotated[
    str,
    typer.Option(
        "--order", help="Master order: first-added (earliest added across sources), weight, or source."
    ),
]
KeepWeightsOption = Annotated[
    bool, typer.Option("--keep-weights", help="Repeat each song by its weight in its heaviest source.")
]
ExcludePlaylistOption = Annotated[
    str | None,
    typer.Option(
        "--exclude-playlist",
        help="A playlist (id, URI or link) whose songs stay out of the master, like an 'Exclusions' playlist.",
        show_default=False,
    ),
]
SOURCES_HELP = (
    "Source playlists (ids, URIs or links; 'liked' for Liked Songs) in priority order "
    "[default: PLAYLIST_1_ID PLAYLIST_2_ID]."
)
MaxWaitOption = Annotated[
    float,
    typer.Option(
        "--max-wait",
        help="Longest single rate-limit wait to sit out, in seconds; past it, progress is saved and "
        "the command stops, saying when to retry.",
    ),
]
SourcesArgument = Annotated[list[str] | None, typer.Argument(help=SOURCES_HELP, show_default=False)]
SizesOption = Annotated[
    str,
    typer.Option("--sizes", help="Entries in the two seeded playlists, comma-separated (0 to 10,000 each)."),
]
NameOption = Annotated[
    str | None,
    typer.Option(
        "--name", help="Master playlist name [default: 'Master Library YYYY-MM-DD'].", show_default=False
    ),
]


class GlobalOptions:
    """Options given before the command name, kept on the Typer context."""

    def __init__(self, data_dir: Path | None, verbosity: int, env_file: Path | None) -> None:
        self.data_dir = data_dir
        self.verbosity = verbosity
        self.env_file = env_file


def build_env(ctx: typer.Context, *, max_wait: float | None = None) -> Environment:
    opts = ctx.find_root().obj
    if not isinstance(opts, GlobalOptions):
        opts = GlobalOptions(None, 0, None)
    env = Environment.from_env(env_file=opts.env_file, data_dir=opts.data_dir, verbosity=opts.verbosity)
    if max_wait is not None:
        env.max_wait = max_wait
    _configure_logging(opts.verbosity)
    return env


def _configure_logging(verbosity: int) -> None:
    # Third-party debug logs (spotipy's in particular) print request headers, bearer tokens
    # included, so they stay at WARNING whatever -v says; our own request log redacts.
    level = logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("spotify_merger").setLevel(level)
    for noisy in ("spotipy", "urllib3", "requests"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_command(env: Environment, action: Callable[[], T]) -> T:
    """Run `action`; a domain error becomes one line plus a hint, and its documented exit code."""
    try:
        return action()
    except MergerError as exc:
        report_error(env, exc)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        env.stderr.print("[yellow]interrupted:[/yellow] stopped by Ctrl-C; the progress made so far is kept")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:
        # A bug, not a user error: one line (secrets redacted), the traceback only with -vv.
        if env.verbosity >= 2:
            env.stderr.print(redact(traceback.format_exc()), markup=False, highlight=False)
        what = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])[:300]
        report_error(
            env,
            MergerError(
                f"internal error ({what})",
                "progress made so far is kept; re-run with -vv for details and please report it",
            ),
        )
        raise typer.Exit(int(ExitCode.ERROR)) from None


def report_error(env: Environment, exc: MergerError) -> None:
    env.stderr.print(f"[bold red]error:[/bold red] {exc.message}", highlight=False, soft_wrap=True)
    if exc.hint:
        env.stderr.print(f"[dim]hint:[/dim] {exc.hint}", highlight=False, soft_wrap=True)
