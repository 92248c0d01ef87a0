"""Faults and bad settings through the commands: each ends with its documented exit code, one
`error:` line naming what and where, one `hint:` line, no traceback, and nothing lost.

Storage (9): a damaged database, a data dir that is a file, a read-only parent, a full disk (an
injected ENOSPC; a real small file system with `-m slow`). Settings (2): --env-file, base URLs,
numbers, redirect URIs. Auth (3): a corrupt token cache. Not confirmed (10): end of input at the
prompt. The emulator is shared by the module; each test works on a copy of one fetched data dir.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hostile import assert_clean, assert_one_error, copy_tree, files_state, hostile_emulator, invoke
from spotify_merger.emulator import Emulator
from spotify_merger.store.database import Database
from spotify_merger.store.pages import Page

pytestmark = pytest.mark.timeout(120)
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    emulator = hostile_emulator(sizes=(150, 100))
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def fetched(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("faults") / "data"
    out = invoke(emu, data, "run", "--yes", "--name", "Faults master")
    assert out.code == 0, out.output
    return data


def entries(data: Path) -> int:
    with Database(data / "spotify.duckdb", read_only=True) as db:
        row = db.fetchone("SELECT count(*) FROM entries")
    return int(row[0]) if row else 0


# -- a damaged database -------------------------------------------------------------------------


def damage_a_data_block(path: Path) -> None:
    """Flip bytes inside one 256 KiB block that holds table data (not the header or catalog), so
    the file still opens and only reading that data shows the bad checksum."""
    import duckdb

    pristine = path.read_bytes()
    block, header = 262_144, 3 * 4096
    for index in reversed(range((len(pristine) - header) // block)):
        start = header + index * block + 64
        damaged = bytearray(pristine)
        damaged[start : start + 2048] = os.urandom(2048)
        path.write_bytes(bytes(damaged))
        try:
            with duckdb.connect(str(path)) as conn:
                conn.execute("SELECT count(*) FROM playlists").fetchall()  # opens and reads the catalog
        except duckdb.Error:
            continue
        try:
            with Database(path) as db:
                db.check_readable()
        except Exception:
            return  # this block holds data a full read needs
    path.write_bytes(pristine)
    pytest.skip("no data block found to damage")


@pytest.mark.parametrize(
    "command", [["fetch"], ["report"], ["run", "--yes"], ["sync", "--yes"], ["verify"], ["undo", "--yes"]]
)
def test_a_damaged_database_is_exit_9_for_every_command(
    emu: Emulator, fetched: Path, tmp_path: Path, command: list[str]
) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    damage_a_data_block(data / "spotify.duckdb")
    before = files_state(data)
    out = invoke(emu, data, *command)
    assert_one_error(out, 9, "is damaged", "spotify.duckdb", "move", "aside")
    assert files_state(data) == before  # the damaged file is left as it was, for the user to keep


# -- a data dir that is a file, a read-only parent --------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["fetch"],
        ["report"],
        ["run", "--yes"],
        ["sync", "--yes"],
        ["verify"],
        ["undo", "--yes"],
        ["auth"],
        ["playlists"],
    ],
)
def test_a_data_dir_that_is_a_file_is_exit_9(emu: Emulator, tmp_path: Path, command: list[str]) -> None:
    data = tmp_path / "data"
    data.write_text("not a directory")
    out = invoke(emu, data, *command)
    assert_one_error(out, 9, "is a file, not a directory", str(data))
    assert data.read_text() == "not a directory"


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write in: mode 0555, or (for root, which ignores modes) a read-only
    tmpfs mount; skipped where neither is possible."""
    path = tmp_path / "read-only"
    path.mkdir()
    if not ROOT:
        path.chmod(stat.S_IRUSR | stat.S_IXUSR)
        yield path
        path.chmod(stat.S_IRWXU)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("running as root and cannot mount a read-only file system here")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


@pytest.mark.parametrize("command", [["fetch"], ["run", "--yes"], ["auth"]])
def test_a_new_data_dir_under_a_read_only_parent_is_exit_9(
    emu: Emulator, read_only_dir: Path, command: list[str]
) -> None:
    out = invoke(emu, read_only_dir / "data", *command)
    error = assert_one_error(out, 9, str(read_only_dir / "data"))
    assert "read-only" in error or "permission denied" in error


# -- a full disk ---------------------------------------------------------------------------------------


def test_disk_full_while_fetching_is_exit_9_and_the_rerun_reads_only_what_is_missing(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    import spotify_merger.fetch.playlists as fetching

    real = getattr(fetching, "store_pages")  # the name the fetch calls, patched below  # noqa: B009
    calls = {"n": 0}

    def store_until_full(db: Database, pages: list[Page], **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 1:  # DuckDB's own words when the disk fills up
            raise duckdb.IOException(
                f'IO Error: Could not write file "{db.path}.wal": No space left on device'
            )
        real(db, pages, **kwargs)

    monkeypatch.setattr(fetching, "store_pages", store_until_full)
    data = tmp_path / "data"
    out = invoke(emu, data, "fetch", "--no-features", "--concurrency", "1")
    assert_one_error(out, 9, "the disk is full", "spotify.duckdb")
    with Database(data / "spotify.duckdb", read_only=True) as db:
        kept = db.fetchone("SELECT count(*) FROM fetched_pages")[0]  # type: ignore[index]
    assert kept > 0  # what was stored before the disk filled is kept
    monkeypatch.setattr(fetching, "store_pages", real)
    emu.reset_counter()
    again = invoke(emu, data, "fetch", "--no-features")
    assert again.code == 0, again.output
    pages_total = sum(-(-emu.playlist(p)["total"] // 50) for p in emu.playlist_ids)
    assert emu.calls("GET", "/v1/playlists/{id}/items") == pages_total - kept


def test_disk_full_while_writing_the_report_is_exit_9_and_keeps_the_last_report(
    emu: Emulator, fetched: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import spotify_merger.store.files as files

    data = copy_tree(fetched, tmp_path / "data")
    before = files_state(data / "exports")

    monkeypatch.setattr(files, "os", _FullDisk())
    out = invoke(emu, data, "report")
    assert_one_error(out, 9, "the disk is full", "free some space")
    assert files_state(data / "exports") == before  # no half-written report replaced the last one


class _FullDisk:
    """`os` as the atomic file writer sees it, on a full disk: fsync fails with ENOSPC."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    @staticmethod
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.slow
def test_a_really_full_small_file_system_is_exit_9_and_nothing_is_lost(tmp_path: Path) -> None:
    """A 512 KiB tmpfs as the data dir (root only): DuckDB itself runs out of space mid-fetch.
    Moved to a roomy dir, the same data dir then finishes: the rerun reads only the missing pages."""
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(small)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here")
    big = hostile_emulator(sizes=(3000, 3000))
    try:
        out = invoke(big, small / "data", "fetch", "--no-features")
        assert_one_error(out, 9, "the disk is full")
        roomy = copy_tree(small / "data", tmp_path / "roomy")
    finally:
        subprocess.run(["umount", str(small)], check=False)
    try:
        big.reset_counter()
        again = invoke(big, roomy, "fetch", "--no-features")
        assert again.code == 0, again.output
        assert entries(roomy) == 6000
        assert big.calls("GET", "/v1/playlists/{id}/items") < 120  # not all 120 pages again
    finally:
        big.stop()


# -- the prompt --------------------------------------------------------------------------------------


def _on_a_terminal(data: Path, emu: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdin a pseudo-terminal that ends at once (Ctrl-D), as a user pressing it."""
    import pty

    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_"))}
    env.update(emu.env())
    try:
        os.write(primary, b"\x04")  # EOF for the first read of the prompt
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "spotify_merger",
                "--data-dir",
                str(data),
                "--env-file",
                os.devnull,
                *args,
            ],
            stdin=secondary,
            capture_output=True,
            text=True,
            env=env,
            timeout=90,
            check=False,
        )
    finally:
        os.close(primary)
        os.close(secondary)


def test_end_of_input_at_the_prompt_is_exit_10_and_nothing_is_written(
    emu: Emulator, fetched: Path, tmp_path: Path
) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    before = set(emu.user_playlist_ids())
    done = _on_a_terminal(data, emu, "run", "--new-master")
    assert done.returncode == 10, done.stderr
    lines = done.stderr.splitlines()
    assert sum(line.startswith("error:") for line in lines) == 1, done.stderr
    assert sum(line.startswith("hint:") for line in lines) == 1 and "Traceback" not in done.stderr
    assert "the input ended" in done.stderr
    assert set(emu.user_playlist_ids()) == before
    undone = _on_a_terminal(data, emu, "undo")
    assert undone.returncode == 10 and "the input ended" in undone.stderr, undone.stderr
    assert set(emu.user_playlist_ids()) == before


# -- settings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "missing.env", ["does not exist", "--env-file"]),
        (lambda d: (d / "dir.env").mkdir() or d / "dir.env", ["is a directory"]),
        (
            lambda d: (d / "bin.env").write_bytes(b"\xff\xfe\x00binary\x80") and d / "bin.env",
            ["not a text file"],
        ),
        (lambda d: (d / "nul.env").write_bytes(b"A=1\x00\n") and d / "nul.env", ["NUL bytes"]),
    ],
    ids=["missing", "directory", "binary", "nul"],
)
def test_a_bad_env_file_is_exit_2(
    emu: Emulator, tmp_path: Path, make: Callable[[Path], Path], words: list[str]
) -> None:
    path = make(tmp_path)
    for command in (["fetch"], ["report"], ["auth"]):
        out = invoke(emu, tmp_path / "data", *command, env_file=str(path))
        assert_one_error(out, 2, *words)


@pytest.mark.skipif(ROOT, reason="root reads any file")
def test_an_unreadable_env_file_is_exit_2(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "secret.env"
    path.write_text("SPOTIFY_CLIENT_ID=x\n")
    path.chmod(0)
    out = invoke(emu, tmp_path / "data", "fetch", env_file=str(path))
    assert_one_error(out, 2, "cannot read the settings file")


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("SPOTIFY_API_BASE", "not-a-url", ["SPOTIFY_API_BASE", "not an http:// or https:// URL"]),
        ("SPOTIFY_API_BASE", "ftp://example.com/v1", ["SPOTIFY_API_BASE"]),
        ("SPOTIFY_ACCOUNTS_BASE", "http://", ["SPOTIFY_ACCOUNTS_BASE"]),
        ("SPOTIFY_ACCOUNTS_BASE", "http://127.0.0.1:99999", ["SPOTIFY_ACCOUNTS_BASE"]),
        ("SPOTIFY_CLIENT_ID", "\x1b[5mid", ["SPOTIFY_CLIENT_ID", "control characters"]),
        ("PLAYLIST_1_ID", "[/]", ["'[/]' is not a playlist", "PLAYLIST_1_ID"]),
    ],
)
def test_bad_settings_are_exit_2(
    emu: Emulator, tmp_path: Path, key: str, value: str, words: list[str]
) -> None:
    out = invoke(emu, tmp_path / "data", "fetch", settings={key: value})
    assert_one_error(out, 2, *words)


@pytest.mark.parametrize(
    "args",
    [
        ["fetch", "--max-wait", value]
        for value in ("nan", "inf", "-inf", "-5", "0", "0.5", "1e999", "86401", "abc", "")
    ]
    + [["run", "--max-wait", "nan"]]
    + [["fetch", "--concurrency", value] for value in ("0", "17", "1.5", "nan", "-1", "1e3")]
    + [["emulator", "--port", value] for value in ("70000", "-1", "nan", "1.5", "65536")]
    + [["emulator", "--latency-ms", value] for value in ("-1", "inf", "nan", "60001")]
    + [["emulator", "--fault-rate", value] for value in ("2", "-0.1", "nan")]
    + [["emulator", "--token-ttl", value] for value in ("0", "inf")]
    + [
        ["emulator", "--rate-limit", "0"],
        ["emulator", "--quota", "-1"],
        ["emulator", "--retry-after-max", "1e9"],
    ]
    + [["emulator", "--sizes", value] for value in ("1", "10,nan", "-1,5", "10001,1", "1,2,3", "")]
    + [["demo", "--sizes", value] for value in ("-1,5", "9000", "1e3,5", "5,5,5")],
    ids=lambda a: " ".join(a),
)
def test_numbers_are_parsed_strictly(tmp_path: Path, args: list[str]) -> None:
    out = invoke(None, tmp_path / "data", *args)
    # Each names the option; a value out of range says the range, or what to use instead.
    assert_one_error(out, 2, args[1], "--help" if args[1] != "--sizes" else "--sizes 9000,9000")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("https://127.0.0.1:8888/callback", "uses https"),
        ("http://localhost:8888/callback", "uses `localhost`"),
        ("http://127.0.0.1/callback", "has no port"),
        ("http://example.com:8888/callback", "not on a loopback IP"),
    ],
)
@pytest.mark.timeout(30)
def test_a_redirect_uri_the_sign_in_cannot_use_is_refused_up_front(
    emu: Emulator, tmp_path: Path, uri: str, words: str
) -> None:
    out = invoke(
        emu, tmp_path / "data", "auth", settings={"SPOTIFY_REDIRECT_URI": uri, "SPOTIFY_REFRESH_TOKEN": None}
    )
    assert_one_error(out, 2, words, "http://127.0.0.1:PORT/PATH")
    assert "Open this URL" not in out.output


# -- the token cache -----------------------------------------------------------------------------------


def test_a_token_cache_others_can_read_is_made_private_with_one_warning(
    emu: Emulator, fetched: Path, tmp_path: Path
) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    cache = data / ".spotify-token-cache.json"
    cache.chmod(0o644)
    out = invoke(emu, data, "fetch", "--no-features")
    assert out.code == 0, out.output
    assert_clean(out)
    # Warned once, though read on every call; the line wraps where the temp path is long.
    assert " ".join(out.output.split()).count("readable by others") == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "content", [b"{not json", b"\xff\xfe binary", b"[1, 2]"], ids=["text", "binary", "list"]
)
def test_a_corrupt_token_cache_says_corrupt_and_how_to_recover(
    emu: Emulator, fetched: Path, tmp_path: Path, content: bytes
) -> None:
    data = copy_tree(fetched, tmp_path / "data")
    cache = data / ".spotify-token-cache.json"
    cache.write_bytes(content)
    out = invoke(emu, data, "fetch", settings={"SPOTIFY_REFRESH_TOKEN": None})
    if content == b"[1, 2]":  # valid JSON of another shape: simply not a sign-in of ours
        assert_one_error(out, 3, "not signed in")
    else:
        assert_one_error(out, 3, "corrupt", "delete", "spotify-merger auth")
    assert cache.read_bytes() == content  # left for the user to look at
    # With SPOTIFY_REFRESH_TOKEN the cache is only a cache: a warning, and the run goes on.
    headless = invoke(emu, data, "fetch", "--no-features")
    assert headless.code == 0, headless.output
    if content != b"[1, 2]":
        assert "corrupt" in headless.output


def test_emulator_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    out = invoke(None, tmp_path, "emulator", "--port", "70000")
    assert_one_error(out, 2, "'70000' is not a port number from 0 to 65,535")


def test_storage_errors_never_show_a_traceback_below_vv(emu: Emulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("file")
    for flags in ([], ["-v"]):
        out = invoke(emu, data, *flags, "fetch")
        assert_one_error(out, 9)
    vv = invoke(emu, data, "-vv", "fetch")
    assert vv.code == 9


def test_nothing_is_left_behind_by_a_refused_command(emu: Emulator, tmp_path: Path) -> None:
    out = invoke(emu, tmp_path / "data", "fetch", "--max-wait", "nan")
    assert out.code == 2
    assert not (tmp_path / "data").exists()
