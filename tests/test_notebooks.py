"""The notebooks 01-03 execute top to bottom against a database fetched from the emulator."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fixtures import LibraryOf

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_setup.ipynb", "02_weight_analysis.ipynb", "03_musical_dna.ipynb"]


def test_notebooks_are_committed_without_outputs() -> None:
    for name in NAMES:
        book = nbformat.read(NOTEBOOKS / name, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("profile", ["dev-2026"])
def test_notebook_runs_against_the_demo_database(
    fetched_library: LibraryOf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, profile: str
) -> None:
    lib = fetched_library(profile)
    monkeypatch.setenv("SPOTIFY_MERGER_DB", str(lib.db_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for key in ("PLAYLIST_1_ID", "PLAYLIST_2_ID"):
        monkeypatch.delenv(key, raising=False)
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    min_charts = {"01_setup.ipynb": 0, "02_weight_analysis.ipynb": 2, "03_musical_dna.ipynb": 4}[name]
    assert len(images) >= min_charts, f"{name} drew {len(images)} charts"
    if name == "03_musical_dna.ipynb":
        assert "mode: metadata" in text and "Development Mode" in text
    if name == "01_setup.ipynb":
        html = "\n".join(o.get("data", {}).get("text/html", "") for o in outputs)
        for pid in lib.sources:
            assert pid in html
