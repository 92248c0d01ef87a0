"""Ask before touching the account: the write preview panel, the Confirm prompt, the success panel.

Follows the seed's protocol: show exactly what will happen (the playlists to create, their sizes
and parts, the calls and time it will take), then ask with `Confirm`, defaulting to No. `--yes`
answers in advance; without a terminal and without `--yes` nothing is written and we say why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.panel import Panel
from rich.prompt import Confirm
from rich.table import Table

from spotify_merger.context import Environment
from spotify_merger.errors import NotConfirmedError
from spotify_merger.write.journal import MAX_BATCH
from spotify_merger.write.summary import MasterPlaylist

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
    seconds_per_call: float = DEFAULT_SECONDS_PER_CALL
    resuming: bool = False

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
        return sum(max(1, math.ceil(p.songs / self.page_limit)) for p in self.parts)

    @property
    def calls(self) -> int:
        return self.creates + self.add_calls + self.verify_calls

    @property
    def seconds(self) -> float:
        return self.calls * self.seconds_per_call


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
    lines = [
        "[bold yellow]WRITE OPERATION PREVIEW[/bold yellow]",
        "",
        f"This will create {what} with [bold green]{preview.songs:,}[/bold green] songs.",
    ]
    if preview.duplicates_removed is not None and preview.total_entries is not None:
        lines.append(
            f"[dim](Removing {preview.duplicates_removed:,} duplicates from "
            f"{preview.total_entries:,} total entries)[/dim]"
        )
    if preview.resuming:
        lines.append(
            f"[cyan]Resuming an unfinished write: {preview.songs - preview.to_add:,} songs "
            "are already there.[/cyan]"
        )
    console.print()
    console.print(Panel.fit("\n".join(lines), border_style="yellow"))
    table = Table(title="Playlists to create", show_header=True)
    table.add_column("Playlist", style="cyan")
    table.add_column("Songs", style="green", justify="right")
    table.add_column("Status", style="dim")
    for part in preview.parts:
        status = "new, private" if part.playlist_id is None else f"exists, {part.already_added:,} added"
        table.add_row(part.name, f"{part.songs:,}", status)
    console.print(table)
    sources = ", ".join(preview.source_names) or "the source playlists"
    console.print("\n[bold red]This action will:[/bold red]")
    console.print(f"  1. Create NEW private playlist(s) ({sources} remain untouched)", highlight=False)
    console.print(
        f"  2. Add {preview.to_add:,} songs in {preview.add_calls:,} batches of up to {MAX_BATCH}",
        highlight=False,
    )
    console.print(
        f"  3. Read everything back to verify it: {preview.calls:,} API calls in all, "
        f"taking {human_duration(preview.seconds)}\n",
        highlight=False,
    )


def confirm_write(env: Environment, preview: WritePreview, *, yes: bool, dry_run: bool) -> bool:
    """Show the preview and get consent. False for --dry-run; raises NotConfirmedError otherwise."""
    if not (yes and env.quiet):  # --quiet --yes: a script that has already decided
        show_preview(env, preview)
    if dry_run:
        env.say("[cyan]Dry run:[/cyan] nothing was written to Spotify.")
        return False
    if yes:
        return True
    return ask(
        env,
        "[bold]Do you want to proceed?[/bold]",
        refused="the write was not confirmed, so nothing was written to Spotify",
    )


def ask(env: Environment, question: str, *, refused: str) -> bool:
    """Confirm (default No) on a terminal; without one, refuse and say why. Never returns False."""
    if env.json_output:
        raise NotConfirmedError(
            "--json never asks for confirmation and --yes was not given, so nothing was written",
            "review the report, then re-run with --yes to confirm in advance",
        )
    if not env.interactive:
        raise NotConfirmedError(
            "there is no terminal to confirm the write and --yes was not given, so nothing was written",
            "review the report, then re-run with --yes to confirm in advance",
        )
    if Confirm.ask(question, default=False, console=env.stderr):
        return True
    raise NotConfirmedError(
        refused,
        f"your data is saved: review {env.exports_dir / 'report.html'} (or the notebooks), "
        "and re-run when ready",
    )


def show_success(env: Environment, playlists: Sequence[MasterPlaylist], *, verified: bool) -> None:
    """The seed's SUCCESS panel, one line group per playlist, with its URL."""
    lines = ["[bold green]SUCCESS![/bold green]", ""]
    for p in playlists:
        lines.append(f"Created playlist: [cyan]{p.name}[/cyan]")
        lines.append(f"Tracks added: [green]{p.tracks:,}[/green]")
        lines.append(f"Playlist URL: [link={p.url}]{p.url}[/link]")
        lines.append("")
    lines.append(
        "[green]Verified: every song is there, once, in order.[/green]"
        if verified
        else "[yellow]Not verified[/yellow]"
    )
    env.stdout.print(Panel.fit("\n".join(lines), border_style="green"))
