"""``spotify-merger config``: where the data and settings live, what is set; `--set` edits the settings file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from spotify_merger import home
from spotify_merger.commands.common import JsonOption, build_env, run_command
from spotify_merger.display import quote, styled
from spotify_merger.errors import UsageError

# rich is imported inside `show`, not here, so that `spotify-merger --help` stays fast; see
# commands/__init__.py.

if TYPE_CHECKING:
    from spotify_merger.context import Environment


def config(
    ctx: typer.Context,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Save a setting in the user settings file (repeatable), e.g. --set SPOTIFY_CLIENT_ID=abc.",
            show_default=False,
        ),
    ] = None,
    unset: Annotated[
        list[str] | None,
        typer.Option(
            "--unset", metavar="KEY", help="Remove a setting from the user settings file.", show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Show where the database, token cache, exports and settings are, and every setting with its origin.

    Secrets (SPOTIFY_CLIENT_SECRET, SPOTIFY_REFRESH_TOKEN) show only as set or not. Settings are read
    from the environment, then --env-file or a .env in this folder, then the user settings file;
    --set and --unset edit that file (mode 0600).
    """
    env = build_env(ctx, json_output=json_output, check_home=False)

    def action() -> dict[str, Any]:
        changes: dict[str, str | None] = dict.fromkeys(unset or [])
        for item in set_ or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise UsageError(
                    f"--set {quote(item)} is not KEY=VALUE", "e.g. --set SPOTIFY_CLIENT_ID=abc123"
                )
            changes[key.strip()] = value.strip()
        if changes:
            assert env.layout is not None
            home.update_settings_file(env.layout.settings_file, changes)
            env.say(f"Saved {', '.join(changes)} in {env.layout.settings_file}")  # a str: shown as plain text
            global_env = build_env(ctx, json_output=json_output, check_home=False)
            env.layout = global_env.layout
        assert env.layout is not None
        doc = home.describe(env.layout)
        show(env, doc)
        return doc

    # The data dir may be unusable: showing where it is and what is wrong with it is the point.
    run_command(env, action, to_json=lambda doc: doc, uses_data_dir=False)


def show(env: Environment, doc: dict[str, Any]) -> None:
    # Imported here, so --help stays fast.
    from rich.table import Table

    places = Table(title=f"spotify-merger {doc['version']}: files", show_header=True)
    places.add_column("what", style="cyan")
    places.add_column("where", overflow="fold")
    places.add_column("state")
    data = doc["data_dir"]
    places.add_row(
        "data dir", data["path"], f"from {data['from']}" + ("" if data["exists"] else "; not created yet")
    )
    db = doc["database"]
    size = f"{db['bytes'] / 1e6:,.1f} MB" if db["bytes"] is not None else "none yet"
    places.add_row("database", db["path"], size)
    places.add_row(
        "token cache",
        doc["token_cache"]["path"],
        "signed in" if doc["token_cache"]["exists"] else "not signed in",
    )
    places.add_row("exports", doc["exports_dir"]["path"], "")
    sf = doc["settings_file"]
    places.add_row(
        "settings file", sf["path"], "exists" if sf["exists"] else "none yet (config --set creates it)"
    )
    places.add_row(".env", doc["env_file"]["path"] or "(none here)", "")
    places.add_row("demo dir", doc["demo_dir"]["path"], "recreated by every demo")
    if doc["legacy_data_dir"]:
        places.add_row(
            "./data (earlier layout)", doc["legacy_data_dir"]["path"], doc["legacy_data_dir"]["state"]
        )
    env.stdout.print(places)
    settings = Table(title="Settings (secrets hidden)", show_header=True)
    settings.add_column("setting", style="cyan")
    settings.add_column("value", overflow="fold")
    settings.add_column("from")
    for key, item in doc["settings"].items():
        settings.add_row(key, item["value"] or styled("[dim](not set)[/dim]"), item["from"] or "")
    env.stdout.print(settings)
    env.stdout.print(styled("[dim]Order: {order}[/dim]", order=doc["order"]))
    for problem in doc["problems"]:
        env.stdout.print(styled("[yellow]problem:[/yellow] {problem}", problem=problem))


def register(app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("config")(config)
