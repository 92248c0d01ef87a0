"""Writing the master playlist(s) safely: journal, exactly-once adds, verify, undo, confirmation.

- `execute`: `execute_plan`, the write step of `run` (preview, confirm, write, verify, summary).
- `writer`: `MasterWriter` and `WriteClient`, everything the write needs from a Spotify client.
- `journal`: the durable record of what was planned, sent and confirmed (`RunStatus`, ...).
- `verify`, `undo`: reading a master back; removing it.
- `confirm`: the preview panel and the prompt; `summary`: what a run wrote (`RunSummary`).
"""

from spotify_merger.write.execute import check_sources_unchanged, execute_plan
from spotify_merger.write.journal import BatchState, Journal, PartState, RunKind, RunRecord, RunStatus
from spotify_merger.write.summary import MasterPlaylist, RunSummary, WriteOutcome, WriteStatus
from spotify_merger.write.undo import UndoResult, run_to_undo, undo_last_run
from spotify_merger.write.verify import VerifyResult, last_written_run, raise_for, verify_run
from spotify_merger.write.writer import MasterWriter, WriteClient, WriteStats

__all__ = [
    "BatchState",
    "Journal",
    "MasterPlaylist",
    "MasterWriter",
    "PartState",
    "RunKind",
    "RunRecord",
    "RunStatus",
    "RunSummary",
    "UndoResult",
    "VerifyResult",
    "WriteClient",
    "WriteOutcome",
    "WriteStats",
    "WriteStatus",
    "check_sources_unchanged",
    "execute_plan",
    "last_written_run",
    "raise_for",
    "run_to_undo",
    "undo_last_run",
    "verify_run",
]
