"""The command line: a thin layer that parses options and calls the library.

Each command lives in `spotify_merger.commands.<area>` and turns the library's domain errors into
one user-facing line with a hint and a documented exit code (see `errors.ExitCode`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from spotify_merger import __version__
from spotify_merger.commands import emulator, fetch, report, sync, write
from spotify_merger.commands.common import GlobalOptions

app = typer.Typer(
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
            help="Where the database, token cache and exports live [env: SPOTIFY_MERGER_DATA_DIR; default: data].",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="-v logs each API request; -vv debugs.")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or status lines.")] = False,
    env_file: Annotated[
        Path | None,
        typer.Option("--env-file", help="Settings file to load [default: .env].", show_default=False),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Merge large Spotify playlists into one deduplicated master playlist."""
    ctx.obj = GlobalOptions(data_dir, -1 if quiet else verbose, env_file)


for _area in (emulator, fetch, report, write, sync):
    _area.register(app)


def main() -> None:
    app()
