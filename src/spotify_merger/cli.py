"""The command line: a thin layer that parses options and calls the library.

Each command lives in `spotify_merger.commands.<area>` and turns the library's domain errors into
one user-facing line with a hint and a documented exit code (see `errors.ExitCode`).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click import Context
from typer.core import TyperArgument, TyperCommand, TyperGroup

from spotify_merger import __version__
from spotify_merger.commands import config, emulator, export, fetch, match, report, sync, write
from spotify_merger.commands.common import GlobalOptions, report_cli_failure
from spotify_merger.errors import ExitCode

if TYPE_CHECKING:
    # Typer vendors click: its Context is what a group's parse_args receives.
    from typer._click import Context as ClickContext

# The global options, by name, and whether each takes a value. They may follow the command too.
GLOBAL_OPTIONS = {"--data-dir": True, "--env-file": True, "--verbose": False, "--quiet": False}
GLOBAL_SHORT_FLAGS = {"v": "--verbose", "q": "--quiet"}


class GlobalOptionsAnywhere(TyperGroup):
    """Accepts `spotify-merger report -q` as `spotify-merger -q report`.

    Global options found after the command name move in front of it, unless the command has an
    option of the same name (`emulator -v` stays the emulator's own), or they follow `--`.
    """

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(self, ctx, list(args)))


def hoist_global_options(group: TyperGroup, ctx: ClickContext, args: list[str]) -> list[str]:
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        i += 1 + (args[i] in GLOBAL_OPTIONS and GLOBAL_OPTIONS[args[i]])
    command = group.get_command(ctx, args[i]) if i < len(args) else None
    if command is None:
        return args
    hoisted, kept = _split(args[i + 1 :], _own_options(command.params))
    return [*args[:i], *hoisted, args[i], *kept]


def _own_options(params: Sequence[object]) -> dict[str, bool]:
    """A command's option names, each with whether it takes a value."""
    own: dict[str, bool] = {}
    for param in params:
        if getattr(param, "param_type_name", "") == "option":
            takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
            for name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
                own[name] = takes_value
    return own


def _split(rest: list[str], own: dict[str, bool]) -> tuple[list[str], list[str]]:
    """The global options after the command (hoisted) and everything else (kept), in order."""
    hoisted: list[str] = []
    kept: list[str] = []
    j = 0
    while j < len(rest):
        token = rest[j]
        name = token.split("=", 1)[0]
        if token == "--":
            return hoisted, kept + rest[j:]
        if name in own or name in GLOBAL_OPTIONS:
            takes_value = own[name] if name in own else GLOBAL_OPTIONS[name]
            step = 2 if takes_value and "=" not in token else 1
            (kept if name in own else hoisted).extend(rest[j : j + step])
            j += step
            continue
        (hoisted if _short_globals(token, own) else kept).append(token)
        j += 1
    return hoisted, kept


def _short_globals(token: str, own: dict[str, bool]) -> bool:
    """`-q`, `-vv`, `-vq`: short global flags only, none of them the command's own."""
    short = token[1:] if token.startswith("-") and not token.startswith("--") else ""
    return bool(short) and all(c in GLOBAL_SHORT_FLAGS and f"-{c}" not in own for c in short)


class _Group(GlobalOptionsAnywhere):
    """The root command: a bad option or value is one `error:` line and one `hint:` line, exit 2.

    Click would print a usage block and "Error: ..." instead; and nothing, not even a bug outside a
    command, may end in a raw traceback.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> object:
        try:
            outcome = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Exception as exc:
            if not standalone_mode:
                raise
            code = report_cli_failure(exc)
        else:
            code = outcome if isinstance(outcome, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: Context) -> str | None:
        return None  # the metavar and the help say what it takes; "<list[str]>" says nothing


class _Command(TyperCommand):
    """A command whose help shows no Python types (`<list[str]>`) for its arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument


app = typer.Typer(
    cls=_Group,
    name="spotify-merger",
    help="Merge large Spotify playlists into one deduplicated master playlist, safely, "
    "with deep analytics of your library.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spotify-merger {__version__}")
        raise typer.Exit()


@app.callback(
    epilog="Global options may also follow the command: `spotify-merger report -q` works. "
    "`spotify-merger config` shows where the data and settings live."
)
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            metavar="DIR",
            help="Where the database, token cache and exports live [env: SPOTIFY_MERGER_DATA_DIR; "
            "default: the platform's user data dir, see `spotify-merger config`].",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="-v logs each API request (method, path, status, ms, bytes); -vv also logs why: "
            "pacing and retry decisions, what each fetch reads or reuses, every write batch, and "
            "tracebacks of internal errors.",
        ),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or status lines.")] = False,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            metavar="FILE",
            help="Settings file to load [default: .env in this folder, if present]; a given file must exist.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Merge large Spotify playlists into one deduplicated master playlist."""
    ctx.obj = GlobalOptions(data_dir, -1 if quiet else verbose, env_file)


for _area in (fetch, report, write, sync, match, export, config, emulator):
    _area.register(app)
for _info in app.registered_commands:
    if _info.cls in (None, TyperCommand):
        _info.cls = _Command


def main() -> None:
    # A run allocates millions of short-lived, acyclic objects (JSON pages, rows), which reference
    # counting frees; at the default thresholds the cycle collector still ran 780 times in a
    # 9,500-song `run` (0.47 s). Collecting every 50,000 allocations: 38 times, 0.05 s.
    gc.set_threshold(50_000, 20, 20)
    try:
        app()
    except BrokenPipeError:
        # The reader went away (`spotify-merger playlists | head -3`): stop quietly, like any
        # Unix tool would, and keep Python from complaining while it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(int(ExitCode.PIPE_CLOSED))
    except SystemExit as done:
        _leave(done.code)


def _leave(code: str | int | None) -> None:
    """Exit with `code`, skipping the interpreter's teardown when nothing depends on it.

    By the time a command returns, its database is closed and its files are written; what Python
    would still do is free every object and module one by one, which took 0.2 s after a `run`
    (a twentieth of a small library's whole job). `atexit` handlers still run (logging flushes
    its files there). A thread still working (none should be, but a daemon is fine) gets the
    ordinary exit, which waits for it.
    """
    working = any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate())
    if working or not isinstance(code, int | None):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)
