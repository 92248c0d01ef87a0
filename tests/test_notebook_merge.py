"""notebooks/04_merge_execute.ipynb runs top to bottom against the emulator and ends with a verified master."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_merge_execute.ipynb"


def test_merge_notebook_executes_and_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERGE_NOTEBOOK_SIZES", "400,400")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = {
        i: "".join(
            o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])
        )
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    }
    text = "\n".join(outputs.values())
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert "verified: True" in text
    assert "WRITE OPERATION PREVIEW" in text and "Operation Summary" in text
    assert "POST /v1/me/playlists" in text and "signed in as" in text
    assert os.environ["MERGE_NOTEBOOK_SIZES"] == "400,400"
