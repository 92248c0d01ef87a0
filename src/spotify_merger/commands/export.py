"""``spotify-merger export``: playlists, Liked Songs or the master as CSV (Exportify's columns) or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from spotify_merger.commands.common import JsonOption, build_env, run_command

# The library (and DuckDB) is imported inside the command, not here, so that `spotify-merger
# --help` stays fast; see commands/__init__.py.


def export(
    ctx: typer.Context,
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="What to export: playlist ids, URIs, links or exact names, 'liked' for Liked Songs, "
            "'master' for the master of the last run.",
            show_default=False,
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="One file per fetched playlist.")] = False,
    fmt: Annotated[
        Literal["csv", "parquet"],
        typer.Option("--format", help="csv (Exportify's columns) or parquet (the same columns, typed)."),
    ] = "csv",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="PATH",
            help="The file to write (one source) or the folder (several, or --all) "
            "[default: exports/ in the data dir].",
            show_default=False,
        ),
    ] = None,
    features: Annotated[
        bool,
        typer.Option(
            "--features",
            help="Add Exportify's optional columns: artist genres and audio features "
            "(empty unless the app had them: extended quota only).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Export fetched playlists, Liked Songs or the master from the local database, one file each.

    Reads only the database (no Spotify calls): fetch first. Each file is written whole or not at
    all; text cells that a spreadsheet would run as a formula are prefixed with a quote.
    """
    env = build_env(ctx, json_output=json_output)

    def action() -> list[Any]:
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.export import export_playlists

        files = export_playlists(env, list(sources or []), every=every, out=out, fmt=fmt, features=features)
        for f in files:
            env.stdout.print(f"{f.path}  ({f.rows:,} rows, {f.name})", highlight=False, soft_wrap=True)
        return files

    run_command(
        env,
        action,
        to_json=lambda files: {
            "files": [
                {
                    "playlist": f.playlist,
                    "name": f.name,
                    "path": str(f.path),
                    "rows": f.rows,
                    "format": f.format,
                }
                for f in files
            ]
        },
    )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("export")(export)
