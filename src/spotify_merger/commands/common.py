"""What every command shares: building the Environment, turning errors into exit codes, --json.

The JSON convention (documented in the README's "Scripting" section, for every command that takes
`--json`): stdout carries exactly one JSON object, `{"command": ..., "ok": true, ...}` on success
or `{"command": ..., "ok": false, "error": {"code", "name", "message", "hint"}}` on failure, with
the same exit code as without --json; tables, progress and prompts go to stderr, and nothing
prompts (a question needing an answer fails with exit 10 unless --yes was given).

A command gets all of that by passing `json_output=` to `build_env` and `to_json=` to
`run_command`: `to_json(result)` returns the command's own fields, and nothing else is needed.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError

from spotify_merger.analyze.model import Keep, Match, Order
from spotify_merger.commands import _params as params
from spotify_merger.context import Environment
from spotify_merger.display import clean_block, json_dumps, shorten, styled
from spotify_merger.errors import ExitCode, MergerError, UsageError
from spotify_merger.logs import SafeFormatter
from spotify_merger.redaction import redact

T = TypeVar("T")

# The merge options `report` and `run` share, declared once so their help cannot drift apart.
# Typed with the library's choices, so --help lists them and shell completion offers them.
MatchOption = Annotated[
    Match,
    typer.Option(
        "--match",
        help="How far matching goes: id (same track or relinked), isrc (+ same ISRC), "
        "smart (+ same title, artist and length).",
    ),
]
KeepOption = Annotated[
    Keep,
    typer.Option(
        "--keep",
        help="Which copy of a song to keep (ties: earliest added, then lowest id).",
    ),
]
OrderOption = Annotated[
    Order,
    typer.Option("--order", help="Master order: earliest added across sources, weight, or source order."),
]
# The API profiles (spotify.client.ApiProfile's values; a test keeps them equal), spelled out here
# so that --help lists them without loading the Spotify client.
Profile = Literal["dev-2026", "extended"]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document on stdout (fields in the README); tables, progress and "
        "prompts go to stderr, and nothing is asked: pass --yes where a command would ask.",
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
    """The global options (before or after the command name), kept on the Typer context."""

    def __init__(self, data_dir: Path | None, verbosity: int, env_file: Path | None) -> None:
        self.data_dir = data_dir
        self.verbosity = verbosity
        self.env_file = env_file


def global_options(ctx: typer.Context) -> GlobalOptions:
    opts = ctx.find_root().obj
    return opts if isinstance(opts, GlobalOptions) else GlobalOptions(None, 0, None)


def build_env(
    ctx: typer.Context,
    *,
    max_wait: float | None = None,
    json_output: bool = False,
    check_home: bool = True,
) -> Environment:
    """The Environment from the global options, the settings and the data dir (see `home`).

    A settings problem (a bad --env-file, URL or value) exits 2, and a data dir that is ambiguous
    (an earlier ./data beside the new home) ends the command here, with its error line;
    `check_home=False` (config, demo) lets the ambiguity through."""
    opts = global_options(ctx)
    configure_logging(opts.verbosity)
    try:
        env = Environment.from_env(
            env_file=opts.env_file,
            data_dir=opts.data_dir,
            verbosity=opts.verbosity,
            check_legacy=check_home,
        )
    except MergerError as exc:
        bare = Environment.for_cli(verbosity=opts.verbosity, json_output=json_output)
        fail(bare, exc, ctx.info_name)
    env.json_output = json_output
    env.command = ctx.info_name or ""
    if json_output:
        env.interactive = False
    if max_wait is not None:
        env.max_wait = max_wait
    for note in env.layout.notes if env.layout else []:
        env.say(styled("[yellow]note:[/yellow] {note}", note=note))
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


def run_command(
    env: Environment,
    action: Callable[[], T],
    *,
    to_json: Callable[[T], dict[str, Any]] | None = None,
    uses_data_dir: bool = True,
) -> T:
    """Run `action`; a domain error becomes one line plus a hint, and its documented exit code.

    With --json, `to_json(result)` is printed on stdout (errors print a JSON error document).
    Storage faults from anywhere (a full disk, an unwritable data dir, a damaged database) are
    mapped to exit 9 here, once, rather than at every place that writes; a data dir that cannot
    be one is refused before `action` starts.
    """
    # Imported here: the store package loads DuckDB, which `--help` must not wait for.
    from spotify_merger.store.database import is_interrupt
    from spotify_merger.store.faults import check_data_dir, storage_error

    try:
        if uses_data_dir:
            check_data_dir(env.data_dir)
        result = action()
        if env.json_output and to_json is not None:
            emit_json({"command": env.command, "ok": True, **to_json(result)})
        return result
    except MergerError as exc:
        fail(env, exc)
    except KeyboardInterrupt:
        interrupted(env)
    except BrokenPipeError:
        closed_pipe()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:
        if is_interrupt(exc):  # a Ctrl-C that DuckDB reported in its own words
            interrupted(env)
        _traceback(env)
        fail(env, storage_error(exc, env.db_path) or internal_error(exc))


def interrupted(env: Environment) -> NoReturn:
    """Ctrl-C: one line (and the JSON error document with --json), exit 130."""
    env.stderr.print(
        styled("[yellow]interrupted:[/yellow] stopped by Ctrl-C; the progress made so far is kept")
    )
    if env.json_output:
        emit_json(error_document(env.command, MergerError("interrupted by Ctrl-C"), ExitCode.INTERRUPTED))
    raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


def fail(env: Environment, exc: MergerError, command: str | None = None) -> NoReturn:
    """The error line and hint on stderr (and the JSON error document with --json), then exit."""
    report_error(env, exc)
    if env.json_output:
        emit_json(error_document(command or env.command, exc, exc.exit_code))
    raise typer.Exit(int(exc.exit_code))


def error_document(command: str, exc: MergerError, code: ExitCode) -> dict[str, Any]:
    return {
        "command": command,
        "ok": False,
        "error": {"code": int(code), "name": code.name, "message": exc.message, "hint": exc.hint or None},
        **exc.details,
    }


def json_text(doc: object) -> str:
    """`doc` as JSON text: outside text exact, but never terminal control (see `display.json_dumps`)."""
    # Imported here: the report package loads the analysis; `--help` must not.
    from spotify_merger.report.exports import jsonable

    return json_dumps(jsonable(doc))


def emit_json(doc: dict[str, Any]) -> None:
    """The one JSON document of a --json command, on stdout (a closed pipe exits 141 quietly)."""
    # Imported here: the console brings rich, loaded only once something is printed.
    from spotify_merger.console import make_console

    make_console().write_document(json_text(doc) + "\n")


def closed_pipe() -> NoReturn:
    """stdout's reader went away (`| head`): stop quietly with the documented code."""
    # Python would complain again while flushing stdout at exit: point it at /dev/null first.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. a test runner's buffer)
        pass
    raise typer.Exit(int(ExitCode.PIPE_CLOSED))


def report_cli_failure(exc: Exception) -> int:
    """What escaped the command line: a usage error as one `error:` and one `hint:` line (exit 2,
    instead of click's usage block), anything else as an internal error (exit 1). The exit code."""
    if isinstance(exc, NoArgsIsHelpError):
        exc.show()  # `spotify-merger` alone: the help, as click shows it
        return exc.exit_code
    if isinstance(exc, ClickUsageError):
        where = exc.ctx.command_path if exc.ctx is not None else "spotify-merger"
        # A choice the option's type refused comes through pydantic, which prefixes "Value error, ".
        message = exc.format_message().replace("Value error, ", "")
        report_error(
            Environment.for_cli(),
            UsageError(message[:1].lower() + message[1:], f"`{where} --help` lists the options"),
        )
        return int(ExitCode.USAGE)
    if isinstance(exc, ClickException):
        report_error(
            Environment.for_cli(),
            MergerError(exc.format_message(), "`spotify-merger --help` lists the commands"),
        )
        return exc.exit_code
    env = Environment.for_cli()
    _traceback(env)
    report_error(env, internal_error(exc))
    return int(ExitCode.ERROR)


def internal_error(exc: BaseException) -> MergerError:
    """A bug, not a user error: one line (secrets redacted); the traceback is shown only with -vv."""
    what = redact(f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__)
    return MergerError(
        f"internal error ({shorten(what, 300)})",
        "progress made so far is kept; re-run with -vv for details and please report it",
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
