"""Files the tool writes beside the database (the exports): each one complete or not at all.

Every file goes to a temp file in the same directory first and replaces the target in one rename,
so a reader (or a crash) never sees half of it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from spotify_merger.display import json_dumps


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path next to `target`; on success it replaces `target` in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp makes 0600 files; exports hold no secrets and are meant to be opened and shared.
    tmp_path.chmod(0o644)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def write_json(target: Path, doc: Mapping[str, object]) -> Path:
    """`doc` as indented UTF-8 JSON; it must hold only JSON values (see `report.exports.jsonable`)."""
    write_text_atomic(target, json_dumps(doc) + "\n")
    return target
