"""The `sync` command: keep the master playlist(s) in step with the sources. Calls `pipeline.sync_master`."""

from __future__ import annotations

from typing import Annotated

import typer

from spotify_merger.commands.common import JsonOption, MaxWaitOption, build_env, run_command
from spotify_merger.context import DEFAULT_MAX_WAIT

# The library (and rich, spotipy, DuckDB) is imported inside the command, not here, so that
# `spotify-merger --help` stays fast; see commands/__init__.py.

SYNC_SOURCES_HELP = "Source playlists [default: those of the master's last run or sync]."


def register(app: typer.Typer) -> None:
    """Add the sync command to the CLI."""

    @app.command("sync")
    def sync(
        ctx: typer.Context,
        sources: Annotated[
            list[str] | None, typer.Argument(help=SYNC_SOURCES_HELP, show_default=False, metavar="SOURCE")
        ] = None,
        master: Annotated[
            list[str] | None,
            typer.Option(
                "--master",
                metavar="PLAYLIST",
                help="A master playlist (id, URI or link); repeat for each part. Default: the master of the "
                "last run or sync. A playlist of yours that spotify-merger did not make is adopted.",
                show_default=False,
            ),
        ] = None,
        prune: Annotated[
            bool, typer.Option("--prune", help="Remove the tool's copies of songs no source holds any more.")
        ] = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the delta; write nothing.")] = False,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Confirm in advance (for cron and timers).")
        ] = False,
        json_output: JsonOption = False,
        match: Annotated[
            str | None,
            typer.Option(
                "--match", metavar="RULES", help="Matching rules [default: the master's]: id, isrc, smart."
            ),
        ] = None,
        keep: Annotated[
            str | None,
            typer.Option(
                "--keep", metavar="COPY", help="Which copy of a new song to add [default: the master's]."
            ),
        ] = None,
        order: Annotated[
            str | None,
            typer.Option(
                "--order", metavar="ORDER", help="Plan order that new songs follow [default: the master's]."
            ),
        ] = None,
        keep_weights: Annotated[
            bool | None,
            typer.Option(
                "--keep-weights/--no-keep-weights",
                help="Weighted master: repeats follow each song's weight [default: the master's].",
                show_default=False,
            ),
        ] = None,
        exclude_playlist: Annotated[
            str | None,
            typer.Option(
                "--exclude-playlist",
                metavar="PLAYLIST",
                help="A playlist (id, URI or link) whose songs stay out of the master "
                "[default: the one the master's run was given, if any].",
                show_default=False,
            ),
        ] = None,
        max_wait: MaxWaitOption = DEFAULT_MAX_WAIT,
    ) -> None:
        """Bring the master playlist(s) up to date with the sources: new songs appended in plan order,
        your own edits kept (songs you removed are never added back, songs you added are never
        duplicated), nothing reordered. Shows the delta and asks first, like `run`.

        New songs match what the master holds by `run`'s rules, your match_rules.txt included.
        Exit 0 when up to date or synced; 14 when another spotify-merger command holds the data dir.
        `sync --yes --quiet` prints one summary line and is safe from cron.
        """
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.masters import sync_master
        from spotify_merger.sync.engine import SyncOptions

        env = build_env(ctx, max_wait=max_wait, json_output=json_output)
        options = SyncOptions(
            sources=list(sources or []),
            masters=list(master or []),
            prune=prune,
            yes=yes,
            dry_run=dry_run,
            match=match,
            keep=keep,
            order=order,
            keep_weights=keep_weights,
            exclude_playlist=exclude_playlist,
        )

        summary = run_command(env, lambda: sync_master(env, options), to_json=lambda done: done.to_json())
        if not json_output:
            env.stdout.print(summary.line(), markup=False, highlight=False, soft_wrap=True)
