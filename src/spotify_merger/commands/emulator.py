"""``spotify-merger emulator``: serve the emulated Spotify until Ctrl-C."""

from __future__ import annotations

import signal
import sys
from typing import Annotated

import typer

from spotify_merger.commands.common import Profile, SizesOption, build_env, run_command
from spotify_merger.errors import UsageError

# The library (and rich, spotipy, DuckDB) is imported inside the commands, not here, so that
# `spotify-merger --help` stays fast; see commands/__init__.py.


def _check_knobs(profile: str, **shares: float) -> None:
    """Usage errors in typer's own form, as for any option out of its range."""
    if profile not in ("dev-2026", "extended"):
        raise typer.BadParameter("use dev-2026 or extended", param_hint="--profile")
    for name, value in shares.items():
        if not 0.0 <= value <= 1.0:
            raise typer.BadParameter("must be between 0 and 1", param_hint=f"--{name.replace('_', '-')}")


def emulator(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8765,
    profile: Annotated[
        Profile, typer.Option(help="API profile: dev-2026 (Development Mode) or extended.")
    ] = "dev-2026",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic library and of every random knob.")] = 42,
    sizes: SizesOption = "9000,9000",
    latency_ms: Annotated[float, typer.Option(help="Added latency per Web API request, in ms.")] = 0.0,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests allowed per rolling 30 s window; past it 429 + Retry-After.")
    ] = None,
    quota: Annotated[
        int | None, typer.Option(help="Total requests; past it 429 with QUOTA_EXCEEDED.")
    ] = None,
    fault_rate: Annotated[float, typer.Option(help="Share of requests answered 500/502/503.")] = 0.0,
    rate_429: Annotated[float, typer.Option(help="Share of requests answered with a spurious 429.")] = 0.0,
    lost_response_rate: Annotated[
        float, typer.Option(help="Share of POST/PUT/DELETE applied, then answered 502.")
    ] = 0.0,
    retry_after_max: Annotated[int, typer.Option(help="Cap on announced Retry-After, in seconds.")] = 3600,
    token_ttl: Annotated[float, typer.Option(help="Access token lifetime, in seconds.")] = 3600.0,
    state: Annotated[
        str | None, typer.Option(help="JSON file that keeps playlists and tokens across restarts.")
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

    _check_knobs(profile, fault_rate=fault_rate, rate_429=rate_429, lost_response_rate=lost_response_rate)
    context = build_env(ctx)

    def start() -> Emulator:
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
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                "pick another --port (0 picks a free one)",
            ) from None
        except ValueError as exc:  # e.g. a state file written with another seed
            raise UsageError(
                str(exc), "use the --seed and --sizes the state file was written with, or another --state"
            ) from None

    emu = run_command(context, start)
    env = emu.env()
    if print_env:
        for k, v in env.items():
            print(f"{k}={v}")
        sys.stdout.flush()
    # Human-readable summary; with --print-env it goes to stderr so stdout stays a clean .env file.
    out = sys.stderr if print_env else sys.stdout
    p1, p2 = emu.playlist_ids
    print(f"Spotify emulator ({profile}) listening", file=out)
    print(f"  Web API:        {emu.api_base}", file=out)
    print(f"  Accounts:       {emu.accounts_base}  (/authorize, /api/token)", file=out)
    print(f"  Client id:      {emu.client_id}", file=out)
    print(f"  Client secret:  {emu.client_secret}", file=out)
    print(f"  Refresh token:  {emu.refresh_token}", file=out)
    print(f"  Redirect URIs:  {', '.join(emu.redirect_uris)}", file=out)
    print(f"  Playlist 1:     {p1}  ({len(emu.playlist_uris(p1))} entries)", file=out)
    print(f"  Playlist 2:     {p2}  ({len(emu.playlist_uris(p2))} entries)", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)

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
    print("emulator stopped", file=out)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("emulator")(emulator)
