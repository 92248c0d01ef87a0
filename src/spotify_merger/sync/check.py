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
from spotify_merger.write.verify import PartCheck, VerifyResult, compare, read_all_uris
from spotify_merger.write.writer import WriteClient


def verify_master(client: WriteClient, db: Database, master: Master) -> VerifyResult:
    checks: list[PartCheck] = []
    for part in master.parts:
        expected = contents(db, part.playlist_id)
        try:
            actual = read_all_uris(client, part.playlist_id)
        except NotFoundError:
            checks.append(
                PartCheck(part.index, part.name, part.playlist_id, len(expected), 0, ["deleted on Spotify"])
            )
            continue
        problems = compare([u or "" for u in expected], [u or "" for u in actual])
        checks.append(
            PartCheck(part.index, part.name, part.playlist_id, len(expected), len(actual), problems)
        )
    return VerifyResult(master.master_id, checks)
