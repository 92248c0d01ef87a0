"""What every command shares: building the Environment, turning errors into exit codes, --json.

The JSON convention (documented in the README's "Scripting" section, for every command that takes
`--json`): stdout carries exactly one JSON object, `{"command": ..., "ok": true, ...}` on success
or `{"command": ..., "ok": false, "error": {"code", "name", "message", "hint"}}` on failure, with
the same exit code as without --json; tables, progress and prompts go to stderr, and nothing
prompts (a question needing an answer fails with exit 10 unless --yes was given).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer

from spotify_merger.analyze.model import Keep, Match, Order
from spotify_merger.context import Environment
from spotify_merger.errors import ExitCode, MergerError
from spotify_merger.home import check_not_a_file
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

    A data dir that is ambiguous (an earlier ./data beside the new home) or is a file ends the
    command here, with its error line; `check_home=False` (config, demo) lets them through."""
    opts = global_options(ctx)
    _configure_logging(opts.verbosity)
    try:
        env = Environment.from_env(
            env_file=opts.env_file,
            data_dir=opts.data_dir,
            verbosity=opts.verbosity,
            check_legacy=check_home,
        )
        if check_home:
            check_not_a_file(env.data_dir)
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
        env.say(f"[yellow]note:[/yellow] {note}")
    return env


def _configure_logging(verbosity: int) -> None:
    # Third-party debug logs (spotipy's in particular) print request headers, bearer tokens
    # included, so they stay at WARNING whatever -v says; our own request log redacts.
    level = logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("spotify_merger").setLevel(level)
    for noisy in ("spotipy", "urllib3", "requests"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_command(
    env: Environment, action: Callable[[], T], *, to_json: Callable[[T], dict[str, Any]] | None = None
) -> T:
    """Run `action`; a domain error becomes one line plus a hint, and its documented exit code.

    With --json, `to_json(result)` is printed on stdout (errors print a JSON error document)."""
    try:
        result = action()
        if env.json_output and to_json is not None:
            emit_json({"command": env.command, "ok": True, **to_json(result)})
        return result
    except MergerError as exc:
        fail(env, exc)
    except KeyboardInterrupt:
        env.stderr.print("[yellow]interrupted:[/yellow] stopped by Ctrl-C; the progress made so far is kept")
        if env.json_output:
            emit_json(error_document(env.command, MergerError("interrupted by Ctrl-C"), ExitCode.INTERRUPTED))
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except BrokenPipeError:
        closed_pipe()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:
        # A bug, not a user error: one line (secrets redacted), the traceback only with -vv.
        if env.verbosity >= 2:
            env.stderr.print(redact(traceback.format_exc()), markup=False, highlight=False)
        what = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])[:300]
        fail(
            env,
            MergerError(
                f"internal error ({what})",
                "progress made so far is kept; re-run with -vv for details and please report it",
            ),
        )


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


def emit_json(doc: dict[str, Any]) -> None:
    """The one JSON document of a --json command, on stdout."""
    # Imported here: the report package loads the analysis; `--help` must not.
    from spotify_merger.report.exports import jsonable

    try:
        sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        closed_pipe()


def closed_pipe() -> NoReturn:
    """stdout's reader went away (`| head`): stop quietly with the documented code."""
    # Python would complain again while flushing stdout at exit: point it at /dev/null first.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. a test runner's buffer)
        pass
    raise typer.Exit(int(ExitCode.PIPE_CLOSED))


def report_error(env: Environment, exc: MergerError) -> None:
    env.stderr.print(f"[bold red]error:[/bold red] {exc.message}", highlight=False, soft_wrap=True)
    if exc.hint:
        env.stderr.print(f"[dim]hint:[/dim] {exc.hint}", highlight=False, soft_wrap=True)
