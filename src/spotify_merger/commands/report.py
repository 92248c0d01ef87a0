"""Commands of the report area: `spotify-merger report`, the dry run."""

from __future__ import annotations

from typing import Annotated

import typer

from spotify_merger.commands.common import (
    SOURCES_HELP,
    ExcludePlaylistOption,
    KeepOption,
    KeepWeightsOption,
    MatchOption,
    NameOption,
    OrderOption,
    build_env,
    run_command,
)

# The library (and rich, spotipy, DuckDB) is imported inside the commands, not here, so that
# `spotify-merger --help` stays fast; see commands/__init__.py.


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""

    @app.command("report")
    def report(
        ctx: typer.Context,
        sources: Annotated[
            list[str] | None,
            typer.Argument(
                help=SOURCES_HELP.replace("].", ", else every fetched playlist]."), show_default=False
            ),
        ] = None,
        match: MatchOption = "smart",
        keep: KeepOption = "most-weighted",
        order: OrderOption = "first-added",
        keep_weights: KeepWeightsOption = False,
        name: NameOption = None,
        exclude_playlist: ExcludePlaylistOption = None,
        no_html: Annotated[bool, typer.Option("--no-html", help="Skip report.html.")] = False,
    ) -> None:
        """Dry run: analyse the fetched playlists and show what the merge would create.

        Writes nothing to Spotify: the report goes to the terminal and to the exports folder of the
        data dir (data/exports/ unless --data-dir says otherwise).
        """
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.pipeline import report_only

        env = build_env(ctx)
        run_command(
            env,
            lambda: report_only(
                env,
                sources,
                match=match,
                keep=keep,
                order=order,
                keep_weights=keep_weights,
                name=name,
                html=not no_html,
                exclude_playlist=exclude_playlist,
            ),
        )
