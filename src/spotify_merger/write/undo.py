"""Remove the master playlist(s) of the last run (and the parts its syncs added): Spotify's "delete"
is an unfollow.

The sources are never touched: only playlist ids this tool's journal recorded as created (or a
playlist carrying the run's unique marker, when a crash hid the create's answer) are unfollowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.panel import Panel

from spotify_merger.context import Environment
from spotify_merger.display import lines, styled
from spotify_merger.errors import LostResponseError, NotFoundError, NothingToDoError
from spotify_merger.write.confirm import ask
from spotify_merger.write.journal import SENT, Journal, PartState, RunRecord, RunStatus
from spotify_merger.write.writer import WriteClient, find_created

MAX_UNFOLLOW_ATTEMPTS = 3


@dataclass
class UndoResult:
    run_id: str
    removed: list[dict[str, str]]  # [{id, name}]
    already_gone: list[dict[str, str]]

    def to_json(self) -> dict[str, object]:
        """The `undo --json` fields (README, "Scripting")."""
        return {"run_id": self.run_id, "removed": self.removed, "already_gone": self.already_gone}


def run_to_undo(journal: Journal) -> RunRecord:
    run = journal.latest_run(statuses=SENT)
    if run is None or not run.touched_spotify:
        raise NothingToDoError(
            "no master playlist written by spotify-merger is left to remove",
            "nothing to undo; `spotify-merger run` creates one",
        )
    return run


def undo_last_run(env: Environment, client: WriteClient, journal: Journal, *, yes: bool) -> UndoResult:
    """Unfollow every part of the last run after confirmation; marks the run undone."""
    run = run_to_undo(journal)
    targets = _targets(client, journal, run)
    if not targets:
        journal.set_lineage_status(run.run_id, RunStatus.UNDONE)
        raise NothingToDoError(
            "the last run never created a playlist on Spotify, so there is nothing to remove",
            "nothing to undo",
        )
    _show(env, run, targets)
    if not yes:
        ask(
            env,
            styled("[bold]Remove these playlists from your library?[/bold]"),
            refused="undo was not confirmed; nothing was removed",
            hint="the master playlist(s) are still in your library; `spotify-merger undo` asks again",
            action="the removal",
            unchanged="nothing was removed",
        )
    removed: list[dict[str, str]] = []
    gone: list[dict[str, str]] = []
    for playlist_id, name in targets:
        if _unfollow(client, playlist_id):
            removed.append({"id": playlist_id, "name": name})
        else:
            gone.append({"id": playlist_id, "name": name})
    journal.set_lineage_status(run.run_id, RunStatus.UNDONE)
    for item in removed:
        env.say(styled("[green]Removed[/green] {name} ({id}) from your library.", **item))
    for item in gone:
        env.say(f"{item['name']} ({item['id']}) was already gone.")
    return UndoResult(run.run_id, removed, gone)


def _targets(client: WriteClient, journal: Journal, run: RunRecord) -> list[tuple[str, str]]:
    """(playlist id, name) of every part of `run`, and of the parts its syncs added, that exists on
    Spotify as far as we can tell."""
    targets = journal.lineage_playlists(run.run_id)
    for part in run.parts:
        if part.playlist_id:
            continue
        if part.state is PartState.INTENDED:
            # Created just before a crash, never recorded: find it by the run's marker.
            found = find_created(client, run, part)
            if found is not None:
                targets.append((found.id, part.name))
    return targets


def _show(env: Environment, run: RunRecord, targets: list[tuple[str, str]]) -> None:
    body = lines(
        styled("[bold yellow]UNDO PREVIEW[/bold yellow]"),
        "",
        "This will remove from your Spotify library:",
        *(f"  • {name} ({pid})" for pid, name in targets),
        "",
        styled("[dim]The source playlists are not touched.[/dim]"),
    )
    env.stderr.print(Panel.fit(body, border_style="yellow"))


def _unfollow(client: WriteClient, playlist_id: str) -> bool:
    """Unfollow; False if it was already gone. Removing from the library is idempotent, so a lost
    answer is simply asked again (a bounded number of times)."""
    lost = 0
    while True:
        try:
            client.unfollow_playlist(playlist_id)
            return True
        except NotFoundError:
            return False
        except LostResponseError:
            lost += 1
            if lost == MAX_UNFOLLOW_ATTEMPTS:
                raise
