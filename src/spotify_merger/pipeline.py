"""The whole job as library calls: `run_merge` (the `run` command), `report_only`, `verify_last`, `undo_last`,
`sync_master`.

`run_merge` is the seed's flow, made safe: sign in, fetch (resumably), store, optional audio
features, analyse, print the dry-run report, confirm, create the master(s), add exactly once,
verify, and print the success panel. The demo (`demo.py`) runs the same flow against the built-in
emulator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from rich.panel import Panel
from rich.table import Table

from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer
from spotify_merger.analyze.parts import default_master_name, validate_master_name
from spotify_merger.analyze.results import DryRunReport
from spotify_merger.context import Environment
from spotify_merger.errors import AuthError, NothingToDoError
from spotify_merger.fetch import fetch_sources, resolve_sources
from spotify_merger.report import build_report, print_report
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.signin import login
from spotify_merger.store.database import Database
from spotify_merger.store.lock import data_dir_lock
from spotify_merger.sync.check import verify_master
from spotify_merger.sync.engine import Syncer, SyncOptions
from spotify_merger.sync.present import SyncSummary
from spotify_merger.sync.record import SyncJournal
from spotify_merger.write.execute import execute_plan
from spotify_merger.write.journal import Journal
from spotify_merger.write.summary import WriteOutcome
from spotify_merger.write.undo import UndoResult, run_to_undo, undo_last_run
from spotify_merger.write.verify import VerifyResult, last_written_run, raise_for, verify_run


@dataclass
class RunOptions:
    """What `spotify-merger run` takes; `cap` (songs per playlist) is a library-only test knob."""

    sources: list[str] = field(default_factory=list)
    name: str | None = None
    yes: bool = False
    dry_run: bool = False
    match: str = "smart"
    keep: str = "most-weighted"
    order: str = "first-added"
    keep_weights: bool = False
    new_master: bool = False
    features: bool = True
    cap: int | None = None


def connect(env: Environment) -> SpotifyClient:
    """A client from the saved sign-in or SPOTIFY_REFRESH_TOKEN; signs in first on a terminal if neither."""
    try:
        return SpotifyClient.connect(env)
    except AuthError as exc:
        if not env.interactive or "not signed in" not in exc.message:
            raise
    env.say("No saved sign-in yet: signing in to Spotify first.")
    login(env)
    return SpotifyClient.connect(env)


def run_merge(env: Environment, options: RunOptions, *, client: SpotifyClient | None = None) -> WriteOutcome:
    """The `run` flow end to end; see the module docstring. Raises MergerError subclasses."""
    # Everything the user typed is checked before the first request.
    merge_options = MergeOptions.parse(
        match=options.match, keep=options.keep, order=options.order, keep_weights=options.keep_weights
    )
    name = validate_master_name(options.name) if options.name is not None else None
    ids = resolve_sources(env, options.sources)
    env.ensure_dirs()
    _banner(env)
    with data_dir_lock(env.data_dir, "run"), Database(env.db_path) as db, _client(env, client) as api:
        env.say("[bold]Step 1: Authentication[/bold]")
        me = api.me()
        env.say(f"Signed in as [green]{me.name}[/green]")
        env.say("[bold]Step 2: Fetching playlists[/bold]")
        fetched = fetch_sources(env, ids, client=api, db=db, features=options.features)
        entries = " + ".join(f"{p.entries:,}" for p in fetched.playlists)
        env.say(f"Fetched {entries} entries ({fetched.total_calls:,} API calls)")
        env.say("[bold]Step 3: Analysis and dry-run report[/bold]")
        with SpotifyAnalyzer(db, ids, merge_options) as analyzer:
            plan = analyzer.plan()
            report = build_report(env, analyzer, master_name=name or default_master_name())
        print_report(env, report)
        names = {p.id: p.name or p.id for p in fetched.playlists}
        env.say("[bold]Step 4: Writing the master playlist[/bold]")
        return execute_plan(
            env,
            api,
            db,
            plan,
            master_name=name,
            yes=options.yes,
            dry_run=options.dry_run,
            new_master=options.new_master,
            report=report,
            source_names=names,
            cap=options.cap,
        )


def report_only(
    env: Environment,
    sources: list[str] | None,
    *,
    match: str = "smart",
    keep: str = "most-weighted",
    order: str = "first-added",
    keep_weights: bool = False,
    name: str | None = None,
    html: bool = True,
) -> DryRunReport:
    """The `report` command: analyse the fetched sources, write the exports, print the dry run."""
    options = MergeOptions.parse(match=match, keep=keep, order=order, keep_weights=keep_weights)
    master_name = validate_master_name(name) if name is not None else default_master_name()
    if not env.db_path.exists():
        raise NothingToDoError("nothing has been fetched yet", "run `spotify-merger fetch` first")
    # No sources and no PLAYLIST_1_ID/2_ID: analyse every playlist whose fetch completed.
    chosen = resolve_sources(env, sources) if (sources or env.default_sources) else None
    with Database(env.db_path) as db, SpotifyAnalyzer(db, chosen, options) as analyzer:
        env.say("analysing…")
        report = build_report(env, analyzer, master_name=master_name, html=html)
    print_report(env, report)
    return report


def verify_last(env: Environment, *, client: SpotifyClient | None = None) -> VerifyResult:
    """Read back the master(s) of the last run and compare with its plan; VerifyError on mismatch."""
    _require_db(env)
    with data_dir_lock(env.data_dir, "verify"), Database(env.db_path) as db:
        synced = SyncJournal(db)
        master_id = synced.synced_master_last()
        with _client(env, client) as api:
            if master_id is not None:  # the last write was a sync: compare with what it recorded
                result = verify_master(api, db, synced.master(master_id))
            else:
                journal = Journal(db)
                result = verify_run(api, journal, last_written_run(journal))
        _print_verify(env, result)
        raise_for(result, env)
        return result


def undo_last(env: Environment, *, yes: bool, client: SpotifyClient | None = None) -> UndoResult:
    """Unfollow the master(s) of the last run after confirmation."""
    _require_db(env)
    with data_dir_lock(env.data_dir, "undo"), Database(env.db_path) as db:
        journal = Journal(db)
        run_to_undo(journal)  # nothing to undo: say so before signing in
        with _client(env, client) as api:
            return undo_last_run(env, api, journal, yes=yes)


def sync_master(
    env: Environment, options: SyncOptions, *, client: SpotifyClient | None = None
) -> SyncSummary:
    """The `sync` command: bring the master up to date with its sources (see `spotify_merger.sync`)."""
    env.ensure_dirs()
    with data_dir_lock(env.data_dir, "sync"), Database(env.db_path) as db, _client(env, client) as api:
        return Syncer(env, api, db, options).run()


# -- helpers ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _client(env: Environment, client: SpotifyClient | None) -> Iterator[SpotifyClient]:
    if client is not None:
        yield client
        return
    own = connect(env)
    try:
        yield own
    finally:
        own.close()


def _require_db(env: Environment) -> None:
    if not env.db_path.exists():
        raise NothingToDoError(
            f"no spotify-merger data in {env.data_dir} yet, so no master playlist to check",
            "run `spotify-merger run` first (or pass the --data-dir you used)",
        )


def _banner(env: Environment) -> None:
    if env.quiet:
        return
    env.stderr.print(
        Panel.fit(
            "[bold cyan]SPOTIFY LIBRARY MERGER[/bold cyan]\nDeep Analytics & Smart Deduplication",
            border_style="cyan",
        )
    )


def _print_verify(env: Environment, result: VerifyResult) -> None:
    table = Table(title="Verify: the master read back from Spotify", show_header=True)
    table.add_column("Playlist", style="cyan")
    table.add_column("Planned", justify="right")
    table.add_column("On Spotify", justify="right")
    table.add_column("Result")
    for part in result.parts:
        table.add_row(
            part.name,
            f"{part.planned:,}",
            f"{part.actual:,}",
            "[green]matches the plan[/green]" if part.ok else f"[red]{part.problems[0]}[/red]",
        )
    env.stdout.print(table)
