"""The commands that act on a master already written: `verify` reads it back, `undo` unfollows it,
`sync` brings it up to date with its sources.
"""

from __future__ import annotations

from rich.table import Table

from spotify_merger.context import Environment
from spotify_merger.display import styled
from spotify_merger.errors import NothingToDoError
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.signin import client_for
from spotify_merger.store.database import Database
from spotify_merger.store.lock import data_dir_lock
from spotify_merger.sync.check import verify_master
from spotify_merger.sync.engine import Syncer, SyncOptions
from spotify_merger.sync.present import SyncSummary
from spotify_merger.sync.record import SyncJournal
from spotify_merger.write.journal import Journal
from spotify_merger.write.undo import UndoResult, run_to_undo, undo_last_run
from spotify_merger.write.verify import VerifyResult, last_written_run, raise_for, verify_run


def verify_last(env: Environment, *, client: SpotifyClient | None = None) -> VerifyResult:
    """Read back the master(s) of the last run and compare with its plan; VerifyError on mismatch."""
    _require_db(env)
    with data_dir_lock(env.data_dir, "verify"), Database(env.db_path) as db:
        db.check_readable()
        synced = SyncJournal(db)
        master_id = synced.synced_master_last()
        journal = Journal(db)
        run = last_written_run(journal) if master_id is None else None  # nothing to verify: say so first
        with client_for(env, client) as api:
            if run is None and master_id is not None:  # the last write was a sync: compare with it
                result = verify_master(api, db, synced.master(master_id))
            else:
                assert run is not None
                result = verify_run(api, journal, run)
        _print_verify(env, result)
        raise_for(result, env)
        return result


def undo_last(env: Environment, *, yes: bool, client: SpotifyClient | None = None) -> UndoResult:
    """Unfollow the master(s) of the last run after confirmation."""
    _require_db(env)
    with data_dir_lock(env.data_dir, "undo"), Database(env.db_path) as db:
        db.check_readable()
        journal = Journal(db)
        run_to_undo(journal)  # nothing to undo: say so before signing in
        with client_for(env, client) as api:
            return undo_last_run(env, api, journal, yes=yes)


def sync_master(
    env: Environment, options: SyncOptions, *, client: SpotifyClient | None = None
) -> SyncSummary:
    """The `sync` command: bring the master up to date with its sources (see `spotify_merger.sync`)."""
    env.ensure_dirs()
    with data_dir_lock(env.data_dir, "sync"), Database(env.db_path) as db:
        db.check_readable()  # a damaged file must not answer "up to date"
        with client_for(env, client) as api:
            return Syncer(env, api, db, options).run()


def _require_db(env: Environment) -> None:
    if not env.db_path.exists():
        raise NothingToDoError(
            f"no spotify-merger data in {env.data_dir} yet, so no master playlist to check",
            "run `spotify-merger run` first (or pass the --data-dir you used)",
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
            styled("[green]matches the plan[/green]")
            if part.ok
            else styled("[red]{problem}[/red]", problem=part.problems[0]),
        )
    env.stdout.print(table)
