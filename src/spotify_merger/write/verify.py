"""Read every part of a run's master back from Spotify and compare it with the frozen plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from spotify_merger.context import Environment
from spotify_merger.display import quote, styled
from spotify_merger.errors import NotFoundError, NothingToDoError, VerifyError
from spotify_merger.write.journal import SENT, Journal, RunRecord, RunStatus
from spotify_merger.write.writer import WriteClient


@dataclass
class PartCheck:
    part_index: int
    name: str
    playlist_id: str | None
    planned: int
    actual: int
    problems: list[str] = field(default_factory=list)

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


def read_all_uris(client: WriteClient, playlist_id: str) -> list[str | None]:
    """Every entry's URI, page by page; the first page's `total` tells how many pages follow."""
    first = client.items_page(playlist_id, 0, limit=client.page_limit)
    uris = first.uris
    while len(uris) < first.total:
        page = client.items_page(playlist_id, len(uris), limit=client.page_limit)
        if not page.items:
            break
        uris.extend(page.uris)
    return uris


def compare(expected: Sequence[str], actual: Sequence[str | None], *, limit: int = 5) -> list[str]:
    """Human-readable differences: count, first out-of-place positions, missing and extra songs."""
    problems: list[str] = []
    if len(actual) != len(expected):
        problems.append(f"{len(actual):,} songs instead of the planned {len(expected):,}")
    mismatches = [i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e]
    for i in mismatches[:limit]:
        problems.append(f"position {i + 1:,}: expected {expected[i]}, found {actual[i]}")
    if len(mismatches) > limit:
        problems.append(f"... and {len(mismatches) - limit:,} more positions differ")
    want: Counter[str | None] = Counter(expected)
    have: Counter[str | None] = Counter(actual)
    missing = want - have
    extra = have - want
    if missing:
        sample = ", ".join(str(u) for u in list(missing)[:3])
        problems.append(f"{sum(missing.values()):,} planned songs missing (e.g. {sample})")
    if extra:
        sample = ", ".join(str(u) for u in list(extra)[:3])
        problems.append(f"{sum(extra.values()):,} unplanned or repeated entries (e.g. {sample})")
    return problems


def verify_run(client: WriteClient, journal: Journal, run: RunRecord) -> VerifyResult:
    """Compare each part with its plan: count, order and every URI. Records `verified` on success."""
    checks: list[PartCheck] = []
    for part in run.parts:
        expected = journal.plan_uris(run.run_id, part.part_index)
        if not part.playlist_id:
            checks.append(PartCheck(part.part_index, part.name, None, len(expected), 0, ["never created"]))
            continue
        try:
            actual = read_all_uris(client, part.playlist_id)
        except NotFoundError:
            checks.append(
                PartCheck(
                    part.part_index, part.name, part.playlist_id, len(expected), 0, ["deleted on Spotify"]
                )
            )
            continue
        checks.append(
            PartCheck(
                part.part_index,
                part.name,
                part.playlist_id,
                len(expected),
                len(actual),
                compare(expected, actual),
            )
        )
    result = VerifyResult(run.run_id, checks)
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
