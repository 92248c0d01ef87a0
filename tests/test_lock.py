"""The data dir lock: one writing command at a time, a clear stop for the second, nothing stale after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from spotify_merger.errors import BusyError, ExitCode
from spotify_merger.store.lock import LOCK_NAME, data_dir_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from spotify_merger.store.lock import data_dir_lock
    with data_dir_lock(Path(sys.argv[1]), "sync"):
        print("held", flush=True)
        time.sleep(60)
    """
)


def hold_in_another_process(data: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(data)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_holder_is_refused_with_the_first_ones_name(tmp_path: Path) -> None:
    proc = hold_in_another_process(tmp_path)
    try:
        with pytest.raises(BusyError) as err, data_dir_lock(tmp_path, "run"):
            pass
        assert err.value.exit_code == ExitCode.BUSY and int(ExitCode.BUSY) == 14
        assert f"pid {proc.pid}" in err.value.message and "sync" in err.value.message
        assert "nothing was done" in err.value.message and err.value.hint
    finally:
        proc.kill()
        proc.wait()


def test_kill_9_of_the_holder_frees_the_lock(tmp_path: Path) -> None:
    proc = hold_in_another_process(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with data_dir_lock(tmp_path, "sync"):
        assert (tmp_path / LOCK_NAME).exists()


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with data_dir_lock(tmp_path, "run"), data_dir_lock(tmp_path, "fetch"):
        pass
    with data_dir_lock(tmp_path, "sync"):  # and released afterwards
        pass


def test_a_command_started_while_another_holds_the_lock_exits_14(tmp_path: Path) -> None:
    proc = hold_in_another_process(tmp_path)
    try:
        t0 = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "spotify_merger", "--data-dir", str(tmp_path), "fetch", "x" * 22],
            capture_output=True,
            text=True,
            env={**os.environ, "SPOTIFY_CLIENT_ID": "abc", "SPOTIFY_REFRESH_TOKEN": "t"},
        )
        assert time.perf_counter() - t0 < 30  # it does not wait for the holder
    finally:
        proc.kill()
        proc.wait()
    assert result.returncode == 14, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: another spotify-merger sync") and lines[1].startswith("hint:")
