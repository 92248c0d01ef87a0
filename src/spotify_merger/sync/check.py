"""`verify` after a sync: each part read back and compared with what the tool last knew it held.

After a run, verify compares with the run's frozen plan. Once a master has been synced, what it
should hold is what the last sync verified and stored (hand edits it saw included), so that is
what verify compares with: count, order and every URI.
"""

from __future__ import annotations

from spotify_merger.errors import NotFoundError
from spotify_merger.store.database import Database
from spotify_merger.sync.read import contents
from spotify_merger.sync.record import Master
from spotify_merger.write.verify import PartCheck, VerifyResult, read_part
from spotify_merger.write.writer import WriteClient


def verify_master(client: WriteClient, db: Database, master: Master) -> VerifyResult:
    checks: list[PartCheck] = []
    for part in master.parts:
        expected = contents(db, part.playlist_id)
        check = PartCheck(part.index, part.name, part.playlist_id, len(expected), 0)
        try:
            check.actual, check.problems = read_part(client, part.playlist_id, expected)
        except NotFoundError:
            check.problems.append("deleted on Spotify")
        checks.append(check)
    return VerifyResult(master.master_id, checks)
