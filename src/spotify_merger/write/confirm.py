"""Ask before touching the account: the write preview panel, the Confirm prompt, the success panel.

Follows the seed's protocol: show exactly what will happen (the playlists to create, their sizes
and parts, the calls and time it will take), then ask with `Confirm`, defaulting to No. `--yes`
answers in advance; without a terminal and without `--yes` nothing is written and we say why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.panel import Panel
from rich.prompt import Confirm
from rich.table import Table

from spotify_merger.context import Environment
from spotify_merger.display import lines, shorten, styled
from spotify_merger.errors import NotConfirmedError
from spotify_merger.write.journal import MAX_BATCH
from spotify_merger.write.summary import MasterPlaylist, Verification
from spotify_merger.write.verify import READ_CONCURRENCY

if TYPE_CHECKING:
    from rich.text import Text

DEFAULT_SECONDS_PER_CALL = 0.25  # used until this run has timed some calls of its own


@dataclass
class PlannedWrite:
    """One playlist the write will create (or finish), as the preview shows it."""

    name: str
    songs: int
    already_added: int = 0
    playlist_id: str | None = None  # set when resuming a part that already exists


@dataclass
class WritePreview:
    parts: list[PlannedWrite]
    total_entries: int | None = None  # entries across the sources, before deduplication
    duplicates_removed: int | None = None
    source_names: Sequence[str] = ()
    page_limit: int = 50
    seconds_per_call: float = DEFAULT_SECONDS_PER_CALL  # the link's latency, as measured so far
    pacing_interval: float = 0.0  # > 0 once a rate limit paces the calls: then calls are the cost
    resuming: bool = False
    verify: str = "full"  # full: read every part back; quick: one snapshot check per part
    report_file: Path | None = None  # where the dry-run report was saved, for the refusal's hint

    @property
    def songs(self) -> int:
        return sum(p.songs for p in self.parts)

    @property
    def to_add(self) -> int:
        return sum(p.songs - p.already_added for p in self.parts)

    @property
    def creates(self) -> int:
        return sum(1 for p in self.parts if p.playlist_id is None)

    @property
    def add_calls(self) -> int:
        return sum(math.ceil((p.songs - p.already_added) / MAX_BATCH) for p in self.parts)

    @property
    def verify_calls(self) -> int:
        if self.verify == "quick" and not self.resuming:
            return len(self.parts)
        return sum(max(1, math.ceil(p.songs / self.page_limit)) for p in self.parts)

    @property
    def calls(self) -> int:
        return self.creates + self.add_calls + self.verify_calls

    @property
    def seconds(self) -> float:
        """Parts are written at once, each in order, and read back several pages at a time; under a
        rate limit the number of calls sets the pace instead."""
        longest = max((math.ceil((p.songs - p.already_added) / MAX_BATCH) for p in self.parts), default=0)
        round_trips = min(1, self.creates) + longest + math.ceil(self.verify_calls / READ_CONCURRENCY)
        return max(round_trips * self.seconds_per_call, self.calls * self.pacing_interval)


def human_duration(seconds: float) -> str:
    if seconds < 1.5:
        return "about a second"
    if seconds < 90:
        return f"about {round(seconds)} seconds"
    return f"about {round(seconds / 60)} minutes"


def show_preview(env: Environment, preview: WritePreview) -> None:
    """The seed's WRITE OPERATION PREVIEW panel, extended with parts, calls and time."""
    console = env.stderr
    n = len(preview.parts)
    what = "a new private playlist" if n == 1 else f"{n} new private playlists"
    body = [
        styled("[bold yellow]WRITE OPERATION PREVIEW[/bold yellow]"),
        styled(""),
        styled(
            "This will create {what} with [bold green]{songs:,}[/bold green] songs.",
            what=what,
            songs=preview.songs,
        ),
    ]
    if preview.duplicates_removed is not None and preview.total_entries is not None:
        body.append(
            styled(
                "[dim](Removing {removed:,} duplicates from {total:,} total entries)[/dim]",
                removed=preview.duplicates_removed,
                total=preview.total_entries,
            )
        )
    if preview.resuming:
        body.append(
            styled(
                "[cyan]Resuming an unfinished write: {done:,} songs are already there.[/cyan]",
                done=preview.songs - preview.to_add,
            )
        )
    console.print()
    console.print(Panel.fit(lines(*body), border_style="yellow"))
    table = Table(title="Playlists to create", show_header=True)
    table.add_column("Playlist", style="cyan")
    table.add_column("Songs", style="green", justify="right")
    table.add_column("Status", style="dim")
    for part in preview.parts:
        status = "new, private" if part.playlist_id is None else f"exists, {part.already_added:,} added"
        table.add_row(part.name, f"{part.songs:,}", status)
    console.print(table)
    sources = ", ".join(shorten(name, 60) for name in preview.source_names) or "the source playlists"
    console.print()
    console.print(styled("[bold red]This action will:[/bold red]"))
    console.print(f"  1. Create NEW private playlist(s) ({sources} remain untouched)")
    console.print(f"  2. Add {preview.to_add:,} songs in {preview.add_calls:,} batches of up to {MAX_BATCH}")
    check = (
        "Read everything back to verify it"
        if preview.verify == "full" or preview.resuming
        else "Compare each playlist's snapshot with the last add's to verify it"
    )
    console.print(
        f"  3. {check}: {preview.calls:,} API calls in all, taking {human_duration(preview.seconds)}"
    )
    console.print()


def confirm_write(env: Environment, preview: WritePreview, *, yes: bool, dry_run: bool) -> bool:
    """Show the preview and get consent. False for --dry-run; raises NotConfirmedError otherwise."""
    if not (yes and env.quiet):  # --quiet --yes: a script that has already decided
        show_preview(env, preview)
    if dry_run:
        env.say(styled("[cyan]Dry run:[/cyan] nothing was written to Spotify."))
        return False
    if yes:
        return True
    return ask(
        env,
        styled("[bold]Do you want to proceed?[/bold]"),
        refused="the write was not confirmed, so nothing was written to Spotify",
        hint=f"your data is saved: review {preview.report_file or env.exports_dir} (or the notebooks), "
        "and re-run when ready",
    )


def ask(
    env: Environment,
    question: Text,
    *,
    refused: str,
    hint: str,
    action: str = "the write",
    unchanged: str = "nothing was written",
    yes_flag: str = "--yes",
) -> bool:
    """Confirm (default No) on a terminal; without one, or at the end of input, refuse and say why.

    Never returns False: a refusal is a NotConfirmedError (exit 10), whose hint is `hint`.
    """
    if not env.interactive:
        raise NotConfirmedError(
            f"there is no terminal to confirm {action} and {yes_flag} was not given, so {unchanged}",
            f"re-run with {yes_flag} to confirm in advance; {hint}",
        )
    try:
        agreed = Confirm.ask(question, default=False, console=env.stderr)
    except EOFError:
        env.stderr.print()
        raise NotConfirmedError(f"the input ended before an answer ({refused})", hint) from None
    if agreed:
        return True
    raise NotConfirmedError(refused, hint)


def show_success(
    env: Environment,
    playlists: Sequence[MasterPlaylist],
    *,
    created: set[str],
    added: int,
    how: Verification = Verification.READ_BACK,
) -> None:
    """The seed's SUCCESS panel, one line group per playlist, with its URL; only what this run did
    is called created or added (a resumed write finishes playlists an earlier run created)."""
    body = [styled("[bold green]SUCCESS![/bold green]"), styled("")]
    for p in playlists:
        made = "Created playlist" if p.id in created else "Finished playlist (created by an earlier run)"
        body.append(styled("{made}: [cyan]{name}[/cyan]", made=made, name=p.name))
        body.append(styled("Songs: [green]{tracks:,}[/green]", tracks=p.tracks))
        body += _url(p)
    body.append(styled("Added by this run: [green]{added:,}[/green] songs", added=added))
    body.append(
        styled("[green]Verified now: read back, every song is there, once, in order.[/green]")
        if how is Verification.READ_BACK
        else styled(
            "[green]Verified now (quick): every add was answered, and each playlist is still as its "
            "last add left it (same snapshot).[/green]"
        )
    )
    env.stdout.print(Panel.fit(lines(*body), border_style="green"))


def show_already_done(
    env: Environment, playlists: Sequence[MasterPlaylist], *, how: Verification, written: str
) -> None:
    """The master of this exact plan exists and still matches it: say so, and how we know, without
    claiming anything was created or added now."""
    body = [styled("[bold green]ALREADY DONE[/bold green]"), styled("")]
    for p in playlists:
        body.append(
            styled(
                "Master playlist: [cyan]{name}[/cyan] (written on {written})", name=p.name, written=written
            )
        )
        body.append(styled("Songs: [green]{tracks:,}[/green]", tracks=p.tracks))
        body += _url(p)
    body.append(
        styled("[green]Checked now: unchanged on Spotify since it was verified (same snapshot).[/green]")
        if how is Verification.SNAPSHOT
        else styled(
            "[green]Checked now: it changed on Spotify, so it was read back: it still matches the plan.[/green]"
        )
    )
    env.stdout.print(Panel.fit(lines(*body), border_style="green"))


def _url(playlist: MasterPlaylist) -> list[Text]:
    # Plain text, not an OSC 8 link: the URL comes from Spotify's answer.
    return [styled("Playlist URL: {url}", url=playlist.url), styled("")]
