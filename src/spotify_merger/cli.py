"""The command line: a thin layer that parses options and calls the library.

Each command lives in `spotify_merger.commands.<area>` and turns the library's domain errors into
one user-facing line with a hint and a documented exit code (see `errors.ExitCode`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import Context
from typer.core import TyperArgument, TyperCommand, TyperGroup

from spotify_merger import __version__
from spotify_merger.commands import emulator, fetch, match, report, sync, write
from spotify_merger.commands.common import GlobalOptions, report_cli_failure


class _Group(TyperGroup):
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
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spotify-merger {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            metavar="DIR",
            help="Where the database, token cache and exports live [env: SPOTIFY_MERGER_DATA_DIR; default: data].",
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
            help="Settings file to load [default: .env, if present]; a given file must exist.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Merge large Spotify playlists into one deduplicated master playlist."""
    ctx.obj = GlobalOptions(data_dir, -1 if quiet else verbose, env_file)


for _area in (emulator, fetch, report, write, sync, match):
    _area.register(app)
for _info in app.registered_commands:
    if _info.cls in (None, TyperCommand):
        _info.cls = _Command


def main() -> None:
    app()
