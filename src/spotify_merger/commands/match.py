"""`spotify-merger match …`: the user's own matching rules (same, never, exclude, list, forget)."""

from __future__ import annotations

from typing import Annotated

import typer

from spotify_merger.commands.common import build_env, run_command

TRACK_HELP = "A track: id, spotify:track: URI or https://open.spotify.com/track/ link."


def register(app: typer.Typer) -> None:
    """Add the `match` command group to the CLI."""
    group = typer.Typer(
        help="Decide the hard cases yourself: rules in match_rules.txt (data dir) that always win "
        "over automatic matching.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="match")

    def _add(ctx: typer.Context, key: str, refs: list[str]) -> None:
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.user_rules import add_match_rule

        env = build_env(ctx)
        run_command(env, lambda: add_match_rule(env, key, refs))

    def pair_command(key: str, doc: str) -> None:
        def command(
            ctx: typer.Context,
            a: Annotated[str, typer.Argument(help=TRACK_HELP, show_default=False)],
            b: Annotated[str, typer.Argument(help=TRACK_HELP, show_default=False)],
        ) -> None:
            _add(ctx, key, [a, b])

        command.__doc__ = doc
        group.command(key)(command)

    pair_command("same", "A and B are one song: merge them in every master.")
    pair_command("never", "A and B are two songs: never merge them, whatever the automatic rules say.")

    @group.command("exclude")
    def exclude(
        ctx: typer.Context, a: Annotated[str, typer.Argument(help=TRACK_HELP, show_default=False)]
    ) -> None:
        """Keep A out of every master."""
        _add(ctx, "exclude", [a])

    @group.command("list")
    def list_rules(ctx: typer.Context) -> None:
        """Show the rules, with each track's title and artist when it has been fetched."""
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.user_rules import list_match_rules

        env = build_env(ctx)
        run_command(env, lambda: list_match_rules(env))

    @group.command("forget")
    def forget(
        ctx: typer.Context,
        tracks: Annotated[list[str], typer.Argument(help="The rule's track(s), as given to the rule.")],
    ) -> None:
        """Remove the rule(s) on exactly these tracks: `forget A B` for same/never, `forget A` for exclude."""
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.user_rules import forget_match_rule

        env = build_env(ctx)
        run_command(env, lambda: forget_match_rule(env, tracks))
