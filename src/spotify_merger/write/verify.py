"""Read every part of a run's master back from Spotify and compare it with the frozen plan.

`full` verification reads each part at the offsets the plan implies, all pages at once (the
pacer bounds how many are in flight), asking for nothing but each entry's URI and the total. It
compares pages as they arrive and stops reading a part at its first difference, which it names.

`quick` verification reads one small object per part: the playlist's current `snapshot_id` and
size, against the snapshot Spotify returned for the last add the journal recorded. It is only
trusted for a run written start to finish by this process with every answer received; anything
in doubt (a lost answer, a resume, a part found again by its marker) falls back to `full`.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextvars
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from spotify_merger.context import Environment
from spotify_merger.display import quote, styled
from spotify_merger.errors import NotFoundError, NothingToDoError, UsageError, VerifyError
from spotify_merger.spotify.models import OPEN_PLAYLIST_URL
from spotify_merger.write.journal import SENT, Journal, PartRecord, RunRecord, RunStatus
from spotify_merger.write.summary import Verification
from spotify_merger.write.writer import WriteClient

VerifyMode = Literal["full", "quick"]
VERIFY_MODES: tuple[VerifyMode, ...] = ("full", "quick")
READ_CONCURRENCY = 8  # page reads submitted at once per part; the pacer bounds those in flight


def verify_mode(text: str) -> VerifyMode:
    """The `--verify` value, or UsageError before anything is sent."""
    for mode in VERIFY_MODES:
        if text == mode:
            return mode
    raise UsageError(
        f"--verify {quote(text)} is not one of {', '.join(VERIFY_MODES)}",
        "use --verify full (the default: read everything back) or --verify quick (compare snapshots)",
    )


@dataclass
class PartCheck:
    part_index: int
    name: str
    playlist_id: str | None
    planned: int
    actual: int
    problems: list[str] = field(default_factory=list)
    how: str = "full"  # full | quick

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class VerifyResult:
    run_id: str
    parts: list[PartCheck]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.parts)

    def to_json(self) -> dict[str, object]:
        """The `verify --json` fields (README, "Scripting")."""
        return {
            "run_id": self.run_id,
            "verified": self.ok,
            "parts": [
                {
                    "index": p.part_index,
                    "name": p.name,
                    "playlist_id": p.playlist_id,
                    "url": OPEN_PLAYLIST_URL + p.playlist_id if p.playlist_id else None,
                    "planned": p.planned,
                    "on_spotify": p.actual,
                    "problems": list(p.problems),
                }
                for p in self.parts
            ],
        }

    @property
    def proof(self) -> Verification:
        """What a passing result proves: a read-back only if every part was read back."""
        return Verification.READ_BACK if all(p.how == "full" for p in self.parts) else Verification.LAST_ADD


def first_difference(
    expected: Sequence[str | None], actual: Sequence[str | None], offset: int = 0
) -> str | None:
    """The first position (1-based, counted from `offset`) where a page differs from the plan."""
    for i, (want, have) in enumerate(zip(expected, actual, strict=False)):
        if want != have:
            return f"position {offset + i + 1:,}: expected {want}, found {have}"
    if len(actual) < len(expected):
        return f"position {offset + len(actual) + 1:,}: expected {expected[len(actual)]}, found nothing"
    return None


def read_part(
    client: WriteClient,
    playlist_id: str,
    expected: Sequence[str | None],
    *,
    concurrency: int = READ_CONCURRENCY,
) -> tuple[int, list[str]]:
    """Read a part back at known offsets, concurrently; returns (total on Spotify, problems).

    `expected` may hold None for an entry Spotify no longer plays (a synced part keeps those).

    Pages are compared as they arrive. Once a page differs, pages after it that have not started
    are cancelled; pages before it are still awaited, since one of them may differ earlier.
    """
    limit = client.page_limit
    offsets = list(range(0, max(1, len(expected)), limit))
    first_bad: tuple[int, str] | None = None
    total: int | None = None
    with cf.ThreadPoolExecutor(
        max_workers=min(concurrency, len(offsets)), thread_name_prefix="verify"
    ) as pool:
        # Each read runs in the caller's context, so the call log files it under the caller's phase.
        futures = {
            pool.submit(contextvars.copy_context().run, client.uri_page, playlist_id, o, limit): o
            for o in offsets
        }
        try:
            for future in cf.as_completed(futures):
                if future.cancelled():
                    continue
                offset = futures[future]
                page = future.result()
                total = page.total if total is None else max(total, page.total)
                problem = first_difference(expected[offset : offset + limit], page.uris, offset)
                if problem is not None and (first_bad is None or offset < first_bad[0]):
                    first_bad = (offset, problem)
                    for other, at in futures.items():
                        if at > offset:
                            other.cancel()
        except BaseException:
            for other in futures:
                other.cancel()
            raise
    problems = [first_bad[1]] if first_bad else []
    if total is not None and total != len(expected):
        if not problems and total > len(expected):
            problems.append(f"position {len(expected) + 1:,}: an entry beyond the plan's end")
        problems.append(f"{total:,} songs instead of the planned {len(expected):,}")
    return total or 0, problems


def check_part(client: WriteClient, journal: Journal, run: RunRecord, part: PartRecord) -> PartCheck:
    """A full check of one part: every position read back and compared with the plan."""
    expected = journal.plan_uris(run.run_id, part.part_index)
    check = PartCheck(part.part_index, part.name, part.playlist_id, len(expected), 0)
    if not part.playlist_id:
        check.problems.append("never created")
        return check
    try:
        check.actual, check.problems = read_part(client, part.playlist_id, expected)
    except NotFoundError:
        check.problems.append("deleted on Spotify")
    return check


def quick_check(client: WriteClient, journal: Journal, run: RunRecord, part: PartRecord) -> PartCheck | None:
    """The part's snapshot and size against the last add's; None when the journal cannot vouch."""
    expected = journal.last_snapshot(run.run_id, part.part_index)
    if not part.playlist_id or expected is None:
        return None
    try:
        meta = client.playlist_meta(part.playlist_id)
    except NotFoundError:
        return PartCheck(part.part_index, part.name, part.playlist_id, part.planned_count, 0,
                         ["deleted on Spotify"], how="quick")  # fmt: skip
    total = meta.total or 0
    if meta.snapshot_id != expected or total != part.planned_count:
        return None  # changed since our last add: only a full read can say where
    return PartCheck(part.part_index, part.name, part.playlist_id, part.planned_count, total, how="quick")


def verify_run(
    client: WriteClient,
    journal: Journal,
    run: RunRecord,
    *,
    mode: VerifyMode = "full",
    done: dict[int, PartCheck] | None = None,
) -> VerifyResult:
    """Compare each part with its plan; records `verified` on success.

    `done` holds parts already checked (by the writer, as soon as their adds ended); `quick`
    falls back to a full read for any part whose snapshot no longer matches.
    """
    checks = dict(done or {})
    todo = [p for p in run.parts if p.part_index not in checks]

    def one(part: PartRecord) -> PartCheck:
        quick = quick_check(client, journal, run, part) if mode == "quick" else None
        return quick or check_part(client, journal, run, part)

    if len(todo) > 1:
        with cf.ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="verify-part") as pool:
            futures = [pool.submit(contextvars.copy_context().run, one, part) for part in todo]
            for future in futures:
                check = future.result()
                checks[check.part_index] = check
    else:
        for part in todo:
            checks[part.part_index] = one(part)
    result = VerifyResult(run.run_id, [checks[p.part_index] for p in run.parts])
    if result.ok and run.status not in (RunStatus.UNDONE, RunStatus.ABANDONED):
        journal.set_status(run.run_id, RunStatus.VERIFIED)
    return result


def show_problems(env: Environment, result: VerifyResult) -> None:
    """The details of a failed verification, part by part, above the one error line."""
    for check in (p for p in result.parts if not p.ok):
        env.stderr.print(
            styled("[red]✗[/red] {name} ({id}):", name=check.name, id=check.playlist_id or "not created")
        )
        for problem in check.problems:
            env.stderr.print(f"    {problem}")


def raise_for(result: VerifyResult, env: Environment) -> None:
    """Print the details of a failed verification, then raise the one-line VerifyError."""
    if result.ok:
        return
    show_problems(env, result)
    bad = [p for p in result.parts if not p.ok]
    first = bad[0]
    raise VerifyError(
        f"{len(bad)} of {len(result.parts)} master playlist(s) do not match the plan: "
        f"{quote(first.name)}: {first.problems[0]}",
        "re-run `spotify-merger run` to resume an unfinished write; if the playlist was edited by hand, "
        "`spotify-merger run --new-master` builds a fresh one",
        details=result.to_json(),
    )


def last_written_run(journal: Journal) -> RunRecord:
    run = journal.latest_run(statuses=SENT)
    if run is None or not run.playlist_ids:
        last = journal.latest_run()
        if last is not None and last.status == "undone":
            raise NothingToDoError(
                f"the master {quote(last.master_name)} of the last run was removed with `spotify-merger undo`, "
                "so there is nothing to verify",
                "`spotify-merger run` writes a new master playlist",
            )
        raise NothingToDoError(
            "no master playlist has been written yet, so there is nothing to verify",
            "run `spotify-merger run` first",
        )
    return run
