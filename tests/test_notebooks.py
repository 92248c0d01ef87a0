"""The notebooks: committed executed (small outputs, shown on GitHub), and 01-03 still run top to bottom.

They are executed here with the kernel started in notebooks/ and nothing named: the database is
found from the repository root (here: the demo's, as when the committed outputs were made).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fixtures import LibraryOf, UserDirs
from spotify_merger.home import notebook_database

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_setup.ipynb", "02_weight_analysis.ipynb", "03_musical_dna.ipynb"]
ALL = [*NAMES, "04_merge_execute.ipynb"]
MACHINE_PATH = re.compile(r"(?<![\w.])(/(root|home|tmp|work|Users|var|private)/|[A-Z]:\\\\)")


def _outputs(book: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]


def _text(outputs: list[nbformat.NotebookNode]) -> str:
    parts = []
    for o in outputs:
        parts.append(o.get("text", ""))
        for kind in ("text/plain", "text/html"):
            parts.append(str(o.get("data", {}).get(kind, "")))
    return "\n".join(parts)


@pytest.mark.parametrize("name", ALL)
def test_notebooks_are_committed_executed_with_small_outputs(name: str) -> None:
    path = NOTEBOOKS / name
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run top to bottom, once"
    outputs = _outputs(book)
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    assert path.stat().st_size < 300_000, f"{name} is {path.stat().st_size:,} bytes"
    for o in outputs:
        png = o.get("data", {}).get("image/png", "")
        assert len(png) < 80_000, "a chart over 60 KB"
    text = _text(outputs)
    assert not MACHINE_PATH.search(text), MACHINE_PATH.search(text)
    if name in NAMES:
        assert "database: the demo's" in text  # made from `spotify-merger demo --yes`
    if name == "01_setup.ipynb":
        assert "9,000" in text or "9000" in text


def test_the_default_database_is_found_from_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_dirs: UserDirs
) -> None:
    repo = tmp_path / "clone"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "data").mkdir()
    (repo / "data" / "spotify.duckdb").write_bytes(b"")  # an earlier version's ./data
    monkeypatch.chdir(tmp_path)
    found = notebook_database(repo / "notebooks")
    assert found.path == (repo / "data" / "spotify.duckdb").resolve()
    (repo / ".env").write_text("SPOTIFY_MERGER_DATA_DIR=mine\nPLAYLIST_1_ID=liked\n")
    (repo / "mine").mkdir()
    (repo / "mine" / "spotify.duckdb").write_bytes(b"")
    found = notebook_database(repo / "notebooks")
    assert found.path == repo / "mine" / "spotify.duckdb" and found.sources == ["liked"]
    (repo / ".env").write_text("SPOTIFY_MERGER_DATA_DIR=nothing-here\n")
    with pytest.raises(FileNotFoundError, match="spotify-merger demo"):
        notebook_database(repo / "notebooks")
    user_dirs.cache.joinpath("demo").mkdir(parents=True)
    user_dirs.cache.joinpath("demo", "spotify.duckdb").write_bytes(b"")
    found = notebook_database(repo / "notebooks")
    assert found.which.startswith("the demo's") and found.sources is None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("profile", ["dev-2026"])
def test_notebook_runs_against_the_demo_database(
    fetched_library: LibraryOf,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    user_dirs: UserDirs,
    name: str,
    profile: str,
) -> None:
    lib = fetched_library(profile)
    # The demo's database where `spotify-merger demo` leaves it; no data of one's own.
    demo = user_dirs.cache / "demo"
    demo.mkdir(parents=True)
    shutil.copy(lib.db_path, demo / "spotify.duckdb")
    monkeypatch.setenv("SPOTIFY_MERGER_DATA_DIR", str(tmp_path / "no-data-yet"))
    monkeypatch.delenv("SPOTIFY_MERGER_DB", raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for key in ("PLAYLIST_1_ID", "PLAYLIST_2_ID"):
        monkeypatch.delenv(key, raising=False)
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    outputs = _outputs(book)
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "database: the demo's" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    min_charts = {"01_setup.ipynb": 0, "02_weight_analysis.ipynb": 2, "03_musical_dna.ipynb": 4}[name]
    assert len(images) >= min_charts, f"{name} drew {len(images)} charts"
    if name == "03_musical_dna.ipynb":
        assert "mode: metadata" in text and "Development Mode" in text
    if name == "01_setup.ipynb":
        html = "\n".join(o.get("data", {}).get("text/html", "") for o in outputs)
        for pid in lib.sources:
            assert pid in html
        # p1 and p2 are the playlists in the order they were fetched, as in `run` and `report`.
        assert _text(outputs).index(lib.sources[0]) < _text(outputs).index(lib.sources[1])
