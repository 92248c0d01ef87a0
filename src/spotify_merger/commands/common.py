"""What every command shares: building the Environment and turning errors into exit codes."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError

from spotify_merger.commands import _params as params
from spotify_merger.context import Environment
from spotify_merger.display import clean_block, shorten, styled
from spotify_merger.errors import ExitCode, MergerError, UsageError
from spotify_merger.logs import SafeFormatter
from spotify_merger.redaction import redact

T = TypeVar("T")

# The merge options `report` and `run` share, declared once so their help cannot drift apart.
MatchOption = Annotated[
    str,
    typer.Option(
        "--match",
        metavar="RULES",
        help="How far matching goes: id (same track or relinked), isrc (+ same ISRC), "
        "smart (+ same title, artist and length).",
    ),
]
KeepOption = Annotated[
    str,
    typer.Option(
        "--keep",
        metavar="COPY",
        help="Which copy of a song to keep: most-weighted, earliest-added, newest-release, oldest-release.",
    ),
]
OrderOption = Annotated[
    str,
    typer.Option(
        "--order",
        metavar="ORDER",
        help="Master order: first-added (earliest added across sources), weight, or source.",
    ),
]
KeepWeightsOption = Annotated[
    bool, typer.Option("--keep-weights", help="Repeat each song by its weight in its heaviest source.")
]
ExcludePlaylistOption = Annotated[
    str | None,
    typer.Option(
        "--exclude-playlist",
        metavar="PLAYLIST",
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
        parser=params.MAX_WAIT,
        metavar="SECONDS",
        help="Longest single rate-limit wait to sit out, in seconds (1 to 86400); past it, progress "
        "is saved and the command stops, saying when to retry.",
    ),
]
SourcesArgument = Annotated[
    list[str] | None, typer.Argument(help=SOURCES_HELP, show_default=False, metavar="SOURCE")
]
SizesOption = Annotated[
    str,
    typer.Option(
        "--sizes",
        metavar="N1,N2",
        help="Entries in the two seeded playlists, comma-separated (0 to 10,000 each).",
    ),
]
NameOption = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="Master playlist name [default: 'Master Library YYYY-MM-DD'].",
        show_default=False,
    ),
]


class GlobalOptions:
    """Options given before the command name, kept on the Typer context."""

    def __init__(self, data_dir: Path | None, verbosity: int, env_file: Path | None) -> None:
        self.data_dir = data_dir
        self.verbosity = verbosity
        self.env_file = env_file


def build_env(ctx: typer.Context, *, max_wait: float | None = None) -> Environment:
    """The Environment of a command; a settings problem (a bad --env-file, URL or value) exits 2."""
    opts = ctx.find_root().obj
    if not isinstance(opts, GlobalOptions):
        opts = GlobalOptions(None, 0, None)
    configure_logging(opts.verbosity)
    try:
        env = Environment.from_env(env_file=opts.env_file, data_dir=opts.data_dir, verbosity=opts.verbosity)
    except MergerError as exc:
        report_error(Environment(verbosity=opts.verbosity), exc)
        raise typer.Exit(int(exc.exit_code)) from None
    if max_wait is not None:
        env.max_wait = max_wait
    return env


def configure_logging(verbosity: int) -> None:
    # Third-party debug logs (spotipy's in particular) print request headers, bearer tokens
    # included, so they stay at WARNING whatever -v says; our own request log redacts.
    level = logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    logging.getLogger("spotify_merger").setLevel(level)
    for noisy in ("spotipy", "urllib3", "requests"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_command(env: Environment, action: Callable[[], T], *, uses_data_dir: bool = True) -> T:
    """Run `action`; a domain error becomes one line plus a hint, and its documented exit code.

    Storage faults from anywhere (a full disk, an unwritable data dir, a damaged database) are
    mapped to exit 9 here, once, rather than at every place that writes; a data dir that cannot
    be one is refused before `action` starts.
    """
    # Imported here: the store package loads DuckDB, which `--help` must not wait for.
    from spotify_merger.store.faults import check_data_dir, storage_error

    try:
        if uses_data_dir:
            check_data_dir(env.data_dir)
        return action()
    except MergerError as exc:
        report_error(env, exc)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        env.stderr.print(
            styled("[yellow]interrupted:[/yellow] stopped by Ctrl-C; the progress made so far is kept")
        )
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:
        storage = storage_error(exc, env.db_path)
        if storage is not None:
            _traceback(env)
            report_error(env, storage)
            raise typer.Exit(int(storage.exit_code)) from None
        report_internal_error(env, exc)
        raise typer.Exit(int(ExitCode.ERROR)) from None


def report_cli_failure(exc: Exception) -> int:
    """What escaped the command line: a usage error as one `error:` and one `hint:` line (exit 2,
    instead of click's usage block), anything else as an internal error (exit 1). The exit code."""
    if isinstance(exc, NoArgsIsHelpError):
        exc.show()  # `spotify-merger` alone: the help, as click shows it
        return exc.exit_code
    if isinstance(exc, ClickUsageError):
        where = exc.ctx.command_path if exc.ctx is not None else "spotify-merger"
        message = exc.format_message()
        report_error(
            Environment(),
            UsageError(message[:1].lower() + message[1:], f"`{where} --help` lists the options"),
        )
        return int(ExitCode.USAGE)
    if isinstance(exc, ClickException):
        report_error(
            Environment(), MergerError(exc.format_message(), "`spotify-merger --help` lists the commands")
        )
        return exc.exit_code
    report_internal_error(Environment(), exc)
    return int(ExitCode.ERROR)


def report_internal_error(env: Environment, exc: BaseException) -> None:
    """A bug, not a user error: one line (secrets redacted), the traceback only with -vv."""
    _traceback(env)
    what = redact(f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__)
    report_error(
        env,
        MergerError(
            f"internal error ({shorten(what, 300)})",
            "progress made so far is kept; re-run with -vv for details and please report it",
        ),
    )


def _traceback(env: Environment) -> None:
    if env.verbosity >= 2:
        # Imported here: rich is loaded only once something is printed (`--help` stays fast).
        from rich.text import Text

        env.stderr.print(Text(clean_block(redact(traceback.format_exc()))), soft_wrap=True)


ERROR_LIMIT = 1000  # characters of one error or hint line; values in it are shortened already


def report_error(env: Environment, exc: MergerError) -> None:
    """The one `error:` line and the one `hint:` line (always shown, even with --quiet)."""
    env.stderr.print(
        styled("[bold red]error:[/bold red] {m}", m=shorten(exc.message, ERROR_LIMIT)), soft_wrap=True
    )
    hint = exc.hint or "re-run with -vv for details"
    env.stderr.print(styled("[dim]hint:[/dim] {h}", h=shorten(hint, ERROR_LIMIT)), soft_wrap=True)
