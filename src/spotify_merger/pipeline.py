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
import json
import threading
from dataclasses import dataclass, field

from rich.panel import Panel

from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer, normalize
from spotify_merger.analyze import rules as match_rules
from spotify_merger.analyze.parts import default_master_name, validate_master_name
from spotify_merger.analyze.results import DryRunReport
from spotify_merger.analyze.rules import load as load_rules
from spotify_merger.context import Environment
from spotify_merger.display import styled
from spotify_merger.errors import CallCancelled, NothingToDoError
from spotify_merger.fetch import fetch_sources, resolve_sources
from spotify_merger.redaction import redact
from spotify_merger.report import HtmlRenderer, build_report, print_report
from spotify_merger.report.run_page import MasterPart, RunPage, write_run_page
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.spotify.ids import LIKED, parse_source
from spotify_merger.spotify.models import SpotifyUser
from spotify_merger.spotify.signin import client_for
from spotify_merger.store.database import Database
from spotify_merger.store.lock import data_dir_lock
from spotify_merger.write import lookahead
from spotify_merger.write.execute import execute_plan
from spotify_merger.write.journal import Journal
from spotify_merger.write.summary import WriteOutcome, WriteStatus
from spotify_merger.write.verify import verify_mode


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
    with data_dir_lock(env.data_dir, "run"), Database(env.db_path) as db, client_for(env, client) as api:
        env.say(styled("[bold]Step 1: Authentication[/bold]"))
        ids, exclusions = analysis.ids, analysis.exclusions
        to_fetch = ids + ([exclusions] if exclusions and exclusions not in ids else [])
        # The analysis' own imports load while the fetch waits on the network.
        threading.Thread(target=normalize.preload, name="preload").start()
        # Who is signed in and each source's metadata are asked at once, while the fetch sets up
        # (a round trip saved); a refused token fails them all, and the fetch waits for the answers.
        with cf.ThreadPoolExecutor(max_workers=1 + len(to_fetch), thread_name_prefix="me") as pool:
            signed_in = pool.submit(api.me)
            signed_in.add_done_callback(lambda f: _say_signed_in(env, f))
            asked = {pid: pool.submit(api.playlist_meta, pid) for pid in to_fetch if pid != LIKED}
            env.say(styled("[bold]Step 2: Fetching playlists[/bold]"))
            try:
                fetched = fetch_sources(
                    env, to_fetch, client=api, db=db, features=options.features, asked=asked
                )
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


# -- helpers ---------------------------------------------------------------------------------------


def _banner(env: Environment) -> None:
    if env.quiet:
        return
    env.stderr.print(
        Panel.fit(
            styled("[bold cyan]SPOTIFY LIBRARY MERGER[/bold cyan]\nDeep Analytics & Smart Deduplication"),
            border_style="cyan",
        )
    )
