"""Commands of the fetch area: `auth`, `playlists`, `fetch`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from spotify_merger.commands import _params as params
from spotify_merger.commands.common import MaxWaitOption, SourcesArgument, build_env, run_command
from spotify_merger.context import DEFAULT_MAX_WAIT
from spotify_merger.display import styled

# The library (and rich, spotipy, DuckDB) is imported inside the commands, not here, so that
# `spotify-merger --help` stays fast; see commands/__init__.py.

if TYPE_CHECKING:
    from spotify_merger.context import Environment
    from spotify_merger.fetch import FetchResult


def auth(ctx: typer.Context) -> None:
    """Sign in to Spotify (opens your browser) and save the token cache for the other commands.

    Uses PKCE unless SPOTIFY_CLIENT_SECRET is set; with SPOTIFY_REFRESH_TOKEN set (headless mode) it only
    checks that the token works. The redirect URI (SPOTIFY_REDIRECT_URI, default
    http://127.0.0.1:8888/callback) must be registered in your app's dashboard.
    """
    env = build_env(ctx)

    def action() -> None:
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.spotify.signin import check_headless, login

        # README: headless mode has nothing to sign in to; a browser flow here would wait for minutes.
        who = check_headless(env) if env.refresh_token else login(env)
        env.stdout.print(f"Signed in as {who.user.name} ({who.user.id}) using {who.mode}.")
        env.stdout.print(f"API profile: {who.profile}")
        env.stdout.print(f"Token cache: {who.token_cache} (readable by you only)")

    run_command(env, action)


def playlists(ctx: typer.Context) -> None:
    """List your playlists (name, id, entries, owner) so you can pick the sources to merge."""
    env = build_env(ctx)

    def action() -> None:
        # Imported when the command runs, so --help stays fast.
        from rich.table import Table

        # Imported when the command runs, so --help stays fast.
        from spotify_merger.spotify.client import ApiProfile, SpotifyClient

        with SpotifyClient.connect(env) as client:
            me = client.me()
            items = client.user_playlists()
        dev = client.profile == ApiProfile.DEV
        table = Table(title=f"Playlists of {me.name} ({len(items)})")
        table.add_column("name")
        table.add_column("id", no_wrap=True)
        table.add_column("entries", justify="right")
        table.add_column("owner")
        if dev:
            table.add_column("readable")
        for p in items:
            row = [p.name or "", p.id, f"{p.total or 0:,}", p.owner_name or p.owner_id or ""]
            if dev:
                row.append("yes" if p.readable_by(me.id) else "no")
            table.add_row(*row)
        env.stdout.print(table)
        if dev:
            env.say(
                styled(
                    "[dim]Development Mode apps can read only playlists you own or collaborate on "
                    "(Spotify's 2026 rule).[/dim]"
                )
            )

    run_command(env, action)


def fetch(
    ctx: typer.Context,
    sources: SourcesArgument = None,
    max_wait: MaxWaitOption = DEFAULT_MAX_WAIT,
    no_features: Annotated[
        bool, typer.Option("--no-features", help="Skip audio features and artist details.")
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            parser=params.CONCURRENCY,
            metavar="N",
            help="Most requests in flight at once, 1 to 16; fewer are used on a fast link (Little's law).",
        ),
    ] = 8,
) -> None:
    """Read the source playlists into the local database (resumable; re-runs read only what changed)."""
    env = build_env(ctx, max_wait=max_wait)

    def action() -> None:
        # Imported when the command runs, so --help stays fast.
        from spotify_merger.fetch import fetch_sources

        result = fetch_sources(env, sources, features=not no_features, concurrency=concurrency)
        print_summary(env, result)

    run_command(env, action)


def print_summary(env: Environment, result: FetchResult) -> None:
    """The fetch summary table: entries per playlist, pages read vs reused, API calls."""
    # Imported when the command runs, so --help stays fast.
    from rich.table import Table

    table = Table(title=f"Fetched ({result.profile} API)")
    table.add_column("playlist")
    table.add_column("entries", justify="right")
    table.add_column("pages read", justify="right")
    table.add_column("pages reused", justify="right")
    table.add_column("status")
    for p in result.playlists:
        status = p.status + (f" (restarted {p.restarts}x)" if p.restarts else "")
        table.add_row(
            str(p.name or p.id), f"{p.entries:,}", str(p.pages_fetched), str(p.pages_reused), status
        )
    env.stdout.print(table)
    calls = ", ".join(f"{k}: {v}" for k, v in sorted(result.calls.items()))
    line = f"{result.total_calls} API calls in {result.seconds:.1f} s"
    if result.entries_fetched:
        line += f"; {result.bytes_per_entry:,.0f} bytes per entry"
    env.stdout.print(line)
    if calls:
        env.stdout.print(styled("[dim]{calls}[/dim]", calls=calls))
    features: Any = result.features
    if features is not None:
        # "fetched for 0 tracks" on a re-run read as if features were missing; they are cached.
        if features.audio_features_available:
            n = features.audio_features_fetched
            env.stdout.print(
                f"audio features fetched for {n:,} tracks" if n else "audio features: all cached already"
            )
        if features.artists_available:
            n = features.artists_fetched
            env.stdout.print(
                f"artist details fetched for {n:,} artists" if n else "artist details: all cached already"
            )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("auth")(auth)
    app.command("playlists")(playlists)
    app.command("fetch")(fetch)
