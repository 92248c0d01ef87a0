"""Commands of the report area: `spotify-merger report`, the dry run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from spotify_merger.commands.common import (
    KeepOption,
    KeepWeightsOption,
    MatchOption,
    NameOption,
    OrderOption,
    build_env,
    run_command,
)

if TYPE_CHECKING:
    from spotify_merger.context import Environment


def run_report(
    env: Environment,
    sources: list[str] | None,
    *,
    match: str = "smart",
    keep: str = "most-weighted",
    order: str = "first-added",
    keep_weights: bool = False,
    name: str | None = None,
    html: bool = True,
) -> dict[str, Any]:
    """Analyse the fetched sources, write the exports and print the dry-run report."""
    from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
    from spotify_merger.errors import NothingToDoError
    from spotify_merger.plan import default_master_name, validate_master_name
    from spotify_merger.report import build_report, print_report
    from spotify_merger.storage import Database

    options = MergeOptions(match=match, keep=keep, order=order, keep_weights=keep_weights)  # type: ignore[arg-type]
    master_name = validate_master_name(name) if name is not None else default_master_name()
    if not env.db_path.exists():
        raise NothingToDoError("nothing has been fetched yet", "run `spotify-merger fetch` first")
    from spotify_merger.sources import resolve_sources

    # No sources and no PLAYLIST_1_ID/2_ID: analyse every playlist whose fetch completed.
    chosen = resolve_sources(env, sources) if (sources or env.default_sources) else None
    with Database(env.db_path) as db:
        analyzer = SpotifyAnalyzer(db, chosen, options)
        env.say("analysing…")
        doc = build_report(env, analyzer, master_name=master_name, html=html)
        analyzer.close()
    print_report(env, doc)
    return doc


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""

    @app.command("report")
    def report(
        ctx: typer.Context,
        sources: Annotated[
            list[str] | None,
            typer.Argument(
                help="Source playlists (ids, URIs or links; 'liked' for Liked Songs) in priority order "
                "[default: PLAYLIST_1_ID PLAYLIST_2_ID, else every fetched playlist].",
                show_default=False,
            ),
        ] = None,
        match: MatchOption = "smart",
        keep: KeepOption = "most-weighted",
        order: OrderOption = "first-added",
        keep_weights: KeepWeightsOption = False,
        name: NameOption = None,
        no_html: Annotated[bool, typer.Option("--no-html", help="Skip report.html.")] = False,
    ) -> None:
        """Dry run: analyse the fetched playlists and show what the merge would create.

        Writes nothing to Spotify: the report goes to the terminal and to data/exports/.
        """
        env = build_env(ctx)
        run_command(
            env,
            lambda: run_report(
                env,
                sources,
                match=match,
                keep=keep,
                order=order,
                keep_weights=keep_weights,
                name=name,
                html=not no_html,
            ),
        )
