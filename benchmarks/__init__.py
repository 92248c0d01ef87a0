"""Benchmarks for spotify-merger: `uv run python -m benchmarks [--quick]`.

Every scenario runs against the built-in emulator and is reported as a ratio against a baseline
measured in the same process (the seed plan's strategy, in `baseline.py`), never as a bare time.
"""
