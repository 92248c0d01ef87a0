"""``spotify-merger emulator``: serve the emulated Spotify until Ctrl-C."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from spotify_merger.commands import _params as params
from spotify_merger.commands.common import SizesOption, build_env, run_command
from spotify_merger.display import quote
from spotify_merger.errors import UsageError

# The library (and rich, spotipy, DuckDB) is imported inside the commands, not here, so that
# `spotify-merger --help` stays fast; see commands/__init__.py.


def emulator(
    ctx: typer.Context,
    host: Annotated[
        str, params.option(params.host, "HOST", "Interface to listen on (an IP or a host name).")
    ] = "127.0.0.1",
    port: Annotated[int, params.option(params.PORT, "PORT", "Port, 0 to 65535 (0 picks a free one).")] = 8765,
    profile: Annotated[
        str, typer.Option(metavar="PROFILE", help="API profile: dev-2026 (Development Mode) or extended.")
    ] = "dev-2026",
    seed: Annotated[
        int, params.option(params.SEED, "N", "Seed of the synthetic library and every random knob.")
    ] = 42,
    sizes: SizesOption = "9000,9000",
    latency_ms: Annotated[
        float, params.option(params.LATENCY_MS, "MS", "Added latency per Web API request, 0 to 60000 ms.")
    ] = 0.0,
    rate_limit: Annotated[
        int | None,
        params.option(
            params.RATE_LIMIT, "N", "Requests allowed per rolling 30 s window; past it 429 + Retry-After."
        ),
    ] = None,
    quota: Annotated[
        int | None, params.option(params.QUOTA, "N", "Total requests; past it 429 with QUOTA_EXCEEDED.")
    ] = None,
    fault_rate: Annotated[
        float, params.option(params.SHARE, "SHARE", "Share (0 to 1) of requests answered 500/502/503.")
    ] = 0.0,
    rate_429: Annotated[
        float,
        params.option(params.SHARE, "SHARE", "Share (0 to 1) of requests answered with a spurious 429."),
    ] = 0.0,
    lost_response_rate: Annotated[
        float,
        params.option(params.SHARE, "SHARE", "Share (0 to 1) of POST/PUT/DELETE applied, then answered 502."),
    ] = 0.0,
    retry_after_max: Annotated[
        int, params.option(params.RETRY_AFTER_MAX, "SECONDS", "Cap on announced Retry-After, 0 to 86400 s.")
    ] = 3600,
    token_ttl: Annotated[
        float, params.option(params.TOKEN_TTL, "SECONDS", "Access token lifetime, in seconds (at least 1).")
    ] = 3600.0,
    state: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="JSON file that keeps playlists and tokens across restarts."),
    ] = None,
    print_env: Annotated[
        bool, typer.Option("--print-env", help="Print .env lines (KEY=value) first.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log method, path, status, ms.")] = False,
) -> None:
    """Run a local emulator of the Spotify Web API and accounts service until Ctrl-C.

    It prints the API and accounts base URLs, the seeded app's client id and secret, a refresh token valid
    for every scope, and the IDs of the two seeded playlists. With --print-env the same settings come first
    as .env lines, so a script can source them:

        spotify-merger emulator --print-env > emu.env &
    """
    # Imported when the command runs, so --help stays fast.
    from spotify_merger.demo import parse_sizes
    from spotify_merger.emulator import Emulator, EmulatorConfig

    context = build_env(ctx)

    def start() -> Emulator:
        if profile not in ("dev-2026", "extended"):
            raise UsageError(f"unknown profile {quote(profile)}", "use --profile dev-2026 or extended")
        cfg = EmulatorConfig(
            profile=profile,
            seed=seed,
            playlist_sizes=parse_sizes(sizes),
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            quota=quota,
            fault_rate=fault_rate,
            rate_429=rate_429,
            lost_response_rate=lost_response_rate,
            retry_after_max=retry_after_max,
            token_ttl=token_ttl,
            state_file=state,
            host=host,
            port=port,
            verbose=verbose,
        )
        try:
            return Emulator(cfg).start()
        except (OSError, OverflowError, UnicodeError) as exc:  # a port in use, a host that is not one
            raise UsageError(
                f"cannot listen on {quote(host)} port {port}: {getattr(exc, 'strerror', None) or exc}",
                "pick another --port (0 picks a free one) or --host",
            ) from None
        except ValueError as exc:  # e.g. a state file written with another seed
            raise UsageError(
                str(exc), "use the --seed and --sizes the state file was written with, or another --state"
            ) from None

    emu = run_command(context, start, uses_data_dir=False)
    # Human-readable summary; with --print-env it goes to stderr so stdout stays a clean .env file.
    out = context.stderr if print_env else context.stdout
    if print_env:
        for k, v in emu.env().items():
            context.stdout.print(f"{k}={v}", soft_wrap=True)
    p1, p2 = emu.playlist_ids
    for line in (
        f"Spotify emulator ({profile}) listening",
        f"  Web API:        {emu.api_base}",
        f"  Accounts:       {emu.accounts_base}  (/authorize, /api/token)",
        f"  Client id:      {emu.client_id}",
        f"  Client secret:  {emu.client_secret}",
        f"  Refresh token:  {emu.refresh_token}",
        f"  Redirect URIs:  {', '.join(emu.redirect_uris)}",
        f"  Playlist 1:     {p1}  ({len(emu.playlist_uris(p1))} entries)",
        f"  Playlist 2:     {p2}  ({len(emu.playlist_uris(p2))} entries)",
        "Press Ctrl-C to stop.",
    ):
        out.print(line, soft_wrap=True)
    out.file.flush()

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A plain `kill` shuts down as cleanly as Ctrl-C (state is already on disk after every change).
    signal.signal(signal.SIGTERM, _terminate)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    out.print("emulator stopped")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("emulator")(emulator)
