"""The user's match rules (`match same|never|exclude`, `match list`, `match forget`): the library
side of the `match` command. The rules themselves, their file and their meaning are in
`analyze.rules`.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from spotify_merger.analyze import rules as match_rules
from spotify_merger.context import Environment
from spotify_merger.display import quote
from spotify_merger.errors import NothingToDoError
from spotify_merger.spotify.ids import parse_track
from spotify_merger.store.database import Database


def add_match_rule(env: Environment, key: str, refs: list[str]) -> None:
    """`match same|never|exclude`: check the rule, append it to the rules file (atomically)."""
    new = match_rules.rule(key, refs)
    path = match_rules.add(env.data_dir, new)
    env.say(f"Added `{new}` to {path}")


def list_match_rules(env: Environment) -> list[Any]:
    """`match list`: the rules, each track with its title and artist when the database has them."""
    found = match_rules.load(env.data_dir)
    if not found:
        env.say(
            f"No match rules yet ({match_rules.rules_path(env.data_dir)}); add one with `spotify-merger match same A B`."
        )
        return []
    names = _track_names(env, found.tracks)

    table = Table(title=Text(f"Match rules ({match_rules.rules_path(env.data_dir)})"))
    table.add_column("Rule", style="cyan")
    table.add_column("Track")
    table.add_column("Title - artist")
    for r in found.rules:
        for i, tid in enumerate(r.tracks):
            # Titles come from Spotify: shown as text, never read as markup.
            table.add_row(
                r.key if i == 0 else "", f"spotify:track:{tid}", Text(names.get(tid, "(not fetched)"))
            )
    env.stdout.print(table)
    return found.rules


def forget_match_rule(env: Environment, refs: list[str]) -> None:
    """`match forget A [B]`: remove the rules on exactly these tracks."""

    tracks = tuple(parse_track(r) for r in refs)
    removed = match_rules.forget(env.data_dir, tracks)
    if not removed:
        raise NothingToDoError(
            f"no rule names exactly {' and '.join(quote(r) for r in refs)}",
            "see the rules with `spotify-merger match list`",
        )
    for r in removed:
        env.say(f"Forgot `{r}`")


def _track_names(env: Environment, ids: set[str]) -> dict[str, str]:
    if not env.db_path.exists() or not ids:
        return {}
    with Database(env.db_path, read_only=True) as db:
        rows = db.fetchall(
            "SELECT id, name, primary_artist_name FROM tracks WHERE id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(ids)],
        )
    return {tid: f"{name} - {artist}" for tid, name, artist in rows}
