"""Commands of the write area: `run`, `verify`, `undo` and `demo`. Each calls one `pipeline` function."""

from __future__ import annotations

from typing import Annotated

import typer

from spotify_merger.commands.common import (
    ExcludePlaylistOption,
    JsonOption,
    KeepOption,
    KeepWeightsOption,
    MatchOption,
    MaxWaitOption,
    NameOption,
    OrderOption,
    Profile,
    SizesOption,
    SourcesArgument,
    build_env,
    global_options,
    run_command,
)
from spotify_merger.context import DEFAULT_MAX_WAIT
from spotify_merger.home import demo_dir

# The library (and rich, spotipy, DuckDB) is imported inside the commands, not here, so that
# `spotify-merger --help` stays fast; see commands/__init__.py.


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""

    @app.command("run")
    def run(
        ctx: typer.Context,
        sources: SourcesArgument = None,
        name: NameOption = None,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Confirm the write in advance (for scripts).")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Fetch, analyse and preview; never write to Spotify.")
        ] = False,
        match: MatchOption = "smart",
        keep: KeepOption = "most-weighted",
        order: OrderOption = "first-added",
        keep_weights: KeepWeightsOption = False,
        exclude_playlist: ExcludePlaylistOption = None,
        new_master: Annotated[
            bool,
            typer.Option(
                "--new-master", help="Create a new master even if an earlier one exists (finished or not)."
            ),
        ] = False,
        no_features: Annotated[
            bool, typer.Option("--no-features", help="Skip audio features (metadata-only analysis).")
        ] = False,
        max_wait: MaxWaitOption = DEFAULT_MAX_WAIT,
        verify: Annotated[
            str,
            typer.Option(
                "--verify",
                metavar="MODE",
                help="How to check the master after writing: full (read every song back) or quick "
                "(one call per playlist: its snapshot must be the last add's; falls back to full "
                "whenever an answer was lost or the run resumed).",
            ),
        ] = "full",
        json_output: JsonOption = False,
    ) -> None:
        """Fetch, analyse, preview, confirm, then create the deduplicated master playlist(s) and verify them.

        The sources are never modified. Adds are journalled, so an interrupted run resumes exactly
        where it stopped when run again: no song missing, none twice. Without a terminal, pass --yes.
        """
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.pipeline import RunOptions, run_merge

        env = build_env(ctx, max_wait=max_wait, json_output=json_output)
        options = RunOptions(
            sources=list(sources or []),
            name=name,
            yes=yes,
            dry_run=dry_run,
            match=match,
            keep=keep,
            order=order,
            keep_weights=keep_weights,
            new_master=new_master,
            features=not no_features,
            verify=verify,
            exclude_playlist=exclude_playlist,
        )
        run_command(env, lambda: run_merge(env, options), to_json=lambda outcome: outcome.to_json())

    @app.command("verify")
    def verify(ctx: typer.Context, json_output: JsonOption = False) -> None:
        """Read the master playlist(s) of the last run back from Spotify and compare them with the plan.

        Checks the count, the order and every song; exits 12 with the differences if they do not match.
        """
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.masters import verify_last

        env = build_env(ctx, json_output=json_output)
        run_command(env, lambda: verify_last(env), to_json=lambda result: result.to_json())

    @app.command("undo")
    def undo(
        ctx: typer.Context,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm the removal in advance.")] = False,
        json_output: JsonOption = False,
    ) -> None:
        """Remove the master playlist(s) created by the last run from your library, after confirmation.

        Only playlists this tool created are removed; the source playlists are never touched.
        """
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.masters import undo_last

        env = build_env(ctx, json_output=json_output)
        run_command(env, lambda: undo_last(env, yes=yes), to_json=lambda result: result.to_json())

    @app.command("demo")
    def demo(
        ctx: typer.Context,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Confirm the demo's write in advance.")
        ] = False,
        profile: Annotated[
            Profile,
            typer.Option("--profile", help="Emulated API: dev-2026 (today's Development Mode) or extended."),
        ] = "dev-2026",
        sizes: SizesOption = "9000,9000",
    ) -> None:
        """Run the whole flow offline against the built-in Spotify emulator: sign in (OAuth PKCE), fetch,
        analyse, report, confirm, write and verify.

        Uses its own scratch data dir (see `spotify-merger config`; --data-dir picks another), wiped
        at the start, so your real data is never touched.
        """
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.demo import parse_sizes, run_demo

        env = build_env(ctx, check_home=False)
        if global_options(ctx).data_dir is None:
            env.data_dir = demo_dir()
        run_command(env, lambda: run_demo(env, profile=profile, sizes=parse_sizes(sizes), yes=yes))
