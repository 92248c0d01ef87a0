"""CLI commands, one module per area; each exposes `register(app)`.

Modules here stay light at import time (no spotipy, DuckDB, pandas or matplotlib at the top) so
that `spotify-merger --help` starts fast; heavy imports happen inside the command functions.
"""

__all__ = ["common", "emulator", "fetch", "report", "sync", "write"]
