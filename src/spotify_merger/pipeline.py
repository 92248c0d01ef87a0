"""The whole job as library calls: `run_merge` (the `run` command), `report_only`, `verify_last`, `undo_last`,
`sync_master`.

`run_merge` is the seed's flow, made safe: sign in, fetch (resumably), store, optional audio
features, analyse, print the dry-run report, confirm, create the master(s), add exactly once,
verify, and print the success panel. The demo (`demo.py`) runs the same flow against the built-in
emulator.

The user waits for nothing that need not be in the way: who is signed in is asked alongside the
fetch's first requests; the terminal report and the question come as soon as the analysis is
done, while report.html renders in another process (started first, so its imports overlap the
fetch); the parts are written at once, each read back as soon as its own adds are done.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer, normalize
from spotify_merger.analyze import rules as match_rules
from spotify_merger.analyze.parts import default_master_name, validate_master_name
from spotify_merger.analyze.results import DryRunReport
from spotify_merger.analyze.rules import load as load_rules
from spotify_merger.context import Environment
from spotify_merger.display import quote, styled
from spotify_merger.errors import AuthError, CallCancelled, NothingToDoError
from spotify_merger.fetch import fetch_sources, resolve_sources
from spotify_merger.redaction import redact
from spotify_merger.report import HtmlRenderer, build_report, print_report
from spotify_merger.report.run_page import MasterPart, RunPage, write_run_page
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.ids import parse_source, parse_track
from spotify_merger.spotify.models import SpotifyUser
from spotify_merger.spotify.signin import login
from spotify_merger.store.database import Database
from spotify_merger.store.lock import data_dir_lock
from spotify_merger.sync.check import verify_master
from spotify_merger.sync.engine import Syncer, SyncOptions
from spotify_merger.sync.present import SyncSummary
from spotify_merger.sync.record import SyncJournal
from spotify_merger.write import lookahead
from spotify_merger.write.execute import execute_plan
from spotify_merger.write.journal import Journal
from spotify_merger.write.summary import WriteOutcome, WriteStatus
from spotify_merger.write.undo import UndoResult, run_to_undo, undo_last_run
from spotify_merger.write.verify import VerifyResult, last_written_run, raise_for, verify_mode, verify_run


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
    verify: str = "full"
    exclude_playlist: str | None = None
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
    verify_mode(options.verify)
    merge_options = MergeOptions.parse(
        match=options.match, keep=options.keep, order=options.order, keep_weights=options.keep_weights
    )
    name = validate_master_name(options.name) if options.name is not None else None
    ids = resolve_sources(env, options.sources)
    analysis = _Analysis(
        ids=ids,
        options=merge_options,
        rules=load_rules(env.data_dir),
        exclusions=parse_source(options.exclude_playlist) if options.exclude_playlist else None,
    )
    env.ensure_dirs()
    renderer = HtmlRenderer()  # imports its charting library while we fetch
    try:
        outcome = _run(env, options, analysis, name, client, renderer)
    except KeyboardInterrupt:
        renderer.abandon()
        raise
    except BaseException:
        _finish_html(env, renderer, failed=True)  # the report is worth having even when the write stopped
        raise
    _finish_html(env, renderer)
    return outcome


@dataclass(frozen=True)
class _Analysis:
    """What the analysis of a run takes, checked before the first request."""

    ids: list[str]
    options: MergeOptions
    rules: match_rules.MatchRules
    exclusions: str | None


def _run(
    env: Environment,
    options: RunOptions,
    analysis: _Analysis,
    name: str | None,
    client: SpotifyClient | None,
    renderer: HtmlRenderer,
) -> WriteOutcome:
    _banner(env)
    with data_dir_lock(env.data_dir, "run"), Database(env.db_path) as db, _client(env, client) as api:
        env.say(styled("[bold]Step 1: Authentication[/bold]"))
        ids, exclusions = analysis.ids, analysis.exclusions
        to_fetch = ids + ([exclusions] if exclusions and exclusions not in ids else [])
        # Who is signed in is asked while the fetch's first requests are already out (one round
        # trip saved); a refused token fails both, and the fetch waits for the answer.
        # The analysis' own imports load while the fetch waits on the network.
        threading.Thread(target=normalize.preload, name="preload").start()
        with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="me") as pool:
            signed_in = pool.submit(api.me)
            signed_in.add_done_callback(lambda f: _say_signed_in(env, f))
            env.say(styled("[bold]Step 2: Fetching playlists[/bold]"))
            try:
                fetched = fetch_sources(env, to_fetch, client=api, db=db, features=options.features)
            except CallCancelled:
                signed_in.result()  # a failed sign-in check is the cause worth showing
                raise
            except BaseException:
                # The fetch's own error is the one to show: when it gave up, it cancelled the calls
                # still waiting, the sign-in check's among them (which then says CallCancelled).
                cf.wait([signed_in])
                raise
            signed_in.result()
        # The library scan a new master's write needs (names in use, the sources' snapshots)
        # travels while the analysis runs.
        ahead = not options.dry_run and lookahead.worth_it(Journal(db), ids, new_master=options.new_master)
        scan = lookahead.Lookahead(api) if ahead else None
        entries = " + ".join(f"{p.entries:,}" for p in fetched.playlists)
        env.say(f"Fetched {entries} entries ({fetched.total_calls:,} API calls)")
        env.say(styled("[bold]Step 3: Analysis and dry-run report[/bold]"))
        with SpotifyAnalyzer(
            db, ids, analysis.options, rules=analysis.rules, exclude_playlist=exclusions
        ) as analyzer:
            plan = analyzer.plan()
            report = build_report(
                env, analyzer, master_name=name or default_master_name(), cap=options.cap, html=False
            )
        renderer.render_report(env, report)
        print_report(env, report)
        names = {p.id: p.name or p.id for p in fetched.playlists}
        env.say(styled("[bold]Step 4: Writing the master playlist[/bold]"))
        outcome = execute_plan(
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
            verify=verify_mode(options.verify),
            recorded_options=match_rules.recorded(
                analysis.options.to_dict(), analysis.rules, analysis.exclusions
            ),
            lookahead=scan,
        )
    if outcome.status is not WriteStatus.DRY_RUN:
        page = write_run_page(env.exports_dir, _run_page(outcome, report))
        env.say(styled("[dim]The master's page: {page}[/dim]", page=page))
    return outcome


def _run_page(outcome: WriteOutcome, report: DryRunReport) -> RunPage:
    """run.html's content: the written master (with its verification) and the plan it came from."""
    summary = json.loads(outcome.summary_path.read_text(encoding="utf-8")) if outcome.summary_path else {}
    return RunPage(
        master_name=str(summary.get("master_name") or report.planned_master["name"]),
        outcome=outcome.status.value,
        parts=[
            MasterPart(p.id, p.name, p.tracks, p.tracks if outcome.verified else None)
            for p in outcome.playlists
        ],
        verified=outcome.verified,
        verified_at=summary.get("verified_at"),
        api_calls=int(summary.get("api_calls_total") or 0),
        generated_at=str(summary.get("generated_at") or report.generated_at),
        report=report,
    )


def _say_signed_in(env: Environment, me: cf.Future[SpotifyUser]) -> None:
    if not me.cancelled() and me.exception() is None:
        env.say(styled("Signed in as [green]{name}[/green]", name=me.result().name))


def _finish_html(env: Environment, renderer: HtmlRenderer, *, failed: bool = False) -> None:
    """report.html is usually long done; if not (a very short write, a busy machine), `run` does
    not wait for it. A failure only warns: the JSON and CSV are already written."""
    if renderer.path is not None and not renderer.done:
        renderer.detach()
        if not failed:  # after a failure, the error and its hint are the last word
            env.say(f"report.html is still being drawn; it will be at {renderer.path} in a few seconds.")
        return
    try:
        renderer.wait()
    except Exception as exc:  # the page is a convenience: the JSON and CSV are already written
        env.warn(f"report.html could not be written ({redact(str(exc))[:200]})")


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
    exclude_playlist: str | None = None,
) -> DryRunReport:
    """The `report` command: analyse the fetched sources, write the exports, print the dry run."""
    options = MergeOptions.parse(match=match, keep=keep, order=order, keep_weights=keep_weights)
    master_name = validate_master_name(name) if name is not None else default_master_name()
    rules = load_rules(env.data_dir)
    exclusions = parse_source(exclude_playlist) if exclude_playlist else None
    if not env.db_path.exists():
        raise NothingToDoError("nothing has been fetched yet", "run `spotify-merger fetch` first")
    # No sources and no PLAYLIST_1_ID/2_ID: analyse every playlist whose fetch completed.
    chosen = resolve_sources(env, sources) if (sources or env.default_sources) else None
    with Database(env.db_path) as db:
        db.check_readable()  # a damaged page stops the report here (exit 9), not half-way through it
        with SpotifyAnalyzer(db, chosen, options, rules=rules, exclude_playlist=exclusions) as analyzer:
            env.say("analysing…")
            report = build_report(env, analyzer, master_name=master_name, html=html)
    print_report(env, report)
    return report


def verify_last(env: Environment, *, client: SpotifyClient | None = None) -> VerifyResult:
    """Read back the master(s) of the last run and compare with its plan; VerifyError on mismatch."""
    _require_db(env)
    with data_dir_lock(env.data_dir, "verify"), Database(env.db_path) as db:
        db.check_readable()
        synced = SyncJournal(db)
        master_id = synced.synced_master_last()
        journal = Journal(db)
        run = last_written_run(journal) if master_id is None else None  # nothing to verify: say so first
        with _client(env, client) as api:
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
        with _client(env, client) as api:
            return undo_last_run(env, api, journal, yes=yes)


def sync_master(
    env: Environment, options: SyncOptions, *, client: SpotifyClient | None = None
) -> SyncSummary:
    """The `sync` command: bring the master up to date with its sources (see `spotify_merger.sync`)."""
    env.ensure_dirs()
    with data_dir_lock(env.data_dir, "sync"), Database(env.db_path) as db:
        db.check_readable()  # a damaged file must not answer "up to date"
        with _client(env, client) as api:
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
            styled("[bold cyan]SPOTIFY LIBRARY MERGER[/bold cyan]\nDeep Analytics & Smart Deduplication"),
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
            styled("[green]matches the plan[/green]")
            if part.ok
            else styled("[red]{problem}[/red]", problem=part.problems[0]),
        )
    env.stdout.print(table)


# -- the user's match rules ----------------------------------------------------------------------------


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
