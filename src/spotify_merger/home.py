"""Where spotify-merger keeps its data and settings, and where each setting came from.

An installed copy must work from any folder, so the defaults are the platform's user directories
(platformdirs: `~/.local/share/spotify-merger` and `~/.config/spotify-merger` on Linux). Both can
be overridden, highest first:

- the data dir: `--data-dir`, then `SPOTIFY_MERGER_DATA_DIR` (from the settings below), then the
  platform default;
- each setting: the process environment, then `--env-file FILE` or a `.env` in the current
  folder, then the user settings file (`settings.env` in the config dir).

Earlier versions kept everything in `./data`. A `./data` holding a database is still used when the
platform default holds none (with a note saying how to keep or move it); when both hold one the
choice is the user's, so commands stop and say so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotify_merger import __version__
from spotify_merger.display import quote
from spotify_merger.errors import StorageError, UsageError
from spotify_merger.settings import read_settings_file

APP_NAME = "spotify-merger"
DATABASE_NAME = "spotify.duckdb"
SETTINGS_FILE_NAME = "settings.env"
LEGACY_DATA_DIR = Path("data")
DATA_DIR_KEY = "SPOTIFY_MERGER_DATA_DIR"

# Settings read from the environment, `.env` and the settings file; documented in `.env.example`.
SETTINGS = (
    "SPOTIFY_CLIENT_ID",
    "SPOTIFY_CLIENT_SECRET",
    "SPOTIFY_REDIRECT_URI",
    "SPOTIFY_REFRESH_TOKEN",
    "SPOTIFY_API_BASE",
    "SPOTIFY_ACCOUNTS_BASE",
    DATA_DIR_KEY,
    "PLAYLIST_1_ID",
    "PLAYLIST_2_ID",
)
SECRETS = frozenset({"SPOTIFY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN"})


def user_data_dir() -> Path:
    # Imported here, as in the two below: `--help` imports this module and needs no directory.
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def user_config_dir() -> Path:
    # Imported here: see user_data_dir.
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def user_cache_dir() -> Path:
    # Imported here: see user_data_dir.
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def settings_file() -> Path:
    return user_config_dir() / SETTINGS_FILE_NAME


def demo_dir() -> Path:
    """The demo's scratch data dir: recreated by every demo, so it lives with caches."""
    return user_cache_dir() / "demo"


@dataclass
class Layout:
    """The resolved locations and settings, each with where it came from (for `spotify-merger config`)."""

    data_dir: Path
    data_dir_from: str
    settings_file: Path
    env_file: Path | None  # the .env (or --env-file) that was read, if it exists
    settings: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # setting -> "environment", ".env", ...
    legacy_dir: Path | None = None  # a ./data of an earlier version, in use or not
    notes: list[str] = field(default_factory=list)


def resolve(
    *,
    data_dir: Path | None = None,
    env_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check_legacy: bool = True,
) -> Layout:
    """Settings and data dir in the documented order; UsageError when two data dirs compete."""
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    config = settings_file()
    dotenv = env_file if env_file is not None else cwd / ".env"
    settings: dict[str, str] = {}
    origins: dict[str, str] = {}
    layers = (
        (read_settings(config), f"settings file ({config})"),
        (
            read_settings_file(dotenv, given=env_file is not None),
            "--env-file" if env_file is not None else ".env here",
        ),
        ({k: environ.get(k, "") for k in SETTINGS}, "environment"),
    )
    for values, origin in layers:
        for key in SETTINGS:
            value = (values.get(key) or "").strip()
            if value:
                settings[key], origins[key] = value, origin
    layout = Layout(
        data_dir=Path(),
        data_dir_from="",
        settings_file=config,
        env_file=dotenv if _is_file(dotenv) else None,
        settings=settings,
        origins=origins,
    )
    legacy = cwd / LEGACY_DATA_DIR
    legacy_db = legacy / DATABASE_NAME
    if data_dir is not None:
        layout.data_dir, layout.data_dir_from = _absolute(data_dir, cwd), "--data-dir"
    elif DATA_DIR_KEY in settings:
        layout.data_dir = _absolute(Path(settings[DATA_DIR_KEY]), cwd)
        layout.data_dir_from = f"{DATA_DIR_KEY} ({origins[DATA_DIR_KEY]})"
    else:
        default = user_data_dir()
        layout.data_dir, layout.data_dir_from = default, "the platform's user data dir (default)"
        if check_legacy and _is_file(legacy_db) and legacy.resolve() != default.resolve():
            layout.legacy_dir = legacy
            if _is_file(default / DATABASE_NAME):
                raise UsageError(
                    f"two spotify-merger data dirs: ./{LEGACY_DATA_DIR} here (an earlier version's) and "
                    f"{default}; which one to use is your choice",
                    f"pass --data-dir {LEGACY_DATA_DIR} (or --data-dir {default}), or set {DATA_DIR_KEY}; "
                    "`spotify-merger config` shows both",
                )
            layout.data_dir, layout.data_dir_from = legacy.resolve(), f"./{LEGACY_DATA_DIR} (earlier layout)"
            layout.notes.append(
                f"using ./{LEGACY_DATA_DIR}, where earlier versions kept their data; to keep using it from "
                f"any folder run `spotify-merger config --set {DATA_DIR_KEY}={legacy.resolve()}`, or move "
                f"its contents to {default}"
            )
    return layout


def read_settings(path: Path) -> dict[str, str]:
    """KEY=value lines of the user settings file (missing: nothing); UsageError when it is not text."""
    if not _is_file(path):
        return {}  # a config dir that is a file: `config` reports it, and writing it says why not
    return read_settings_file(path, given=False)


def masked(key: str, value: str | None) -> str:
    """How `config` shows a value: secrets never, everything else as set."""
    if not value:
        return ""
    return "(set, hidden)" if key in SECRETS else value


def check_not_a_file(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise StorageError(
            f"the data dir {quote(path, 120)} is a file, not a folder",
            "pass another --data-dir (or SPOTIFY_MERGER_DATA_DIR), or move the file aside",
        )


def check_data_dir(path: Path) -> None:
    """Create the data dir (and exports/) or say in one line why it cannot be used."""
    check_not_a_file(path)
    try:
        (path / "exports").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the data dir {quote(path, 120)}: {exc.strerror or exc}",
            "pass a folder you can write to with --data-dir (or SPOTIFY_MERGER_DATA_DIR)",
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StorageError(
            f"the data dir {quote(path, 120)} is read-only",
            "pass a folder you can write to with --data-dir (or SPOTIFY_MERGER_DATA_DIR)",
        )


def update_settings_file(path: Path, changes: Mapping[str, str | None]) -> None:
    """Set (or, with None, remove) keys in the user settings file: atomic, mode 0600 (it may hold secrets)."""
    # Imported here: only `config --set` writes settings.
    from dotenv.main import DotEnv

    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise UsageError(f"unknown setting {quote(unknown[0])}", f"the settings are: {', '.join(SETTINGS)}")
    if path.parent.exists() and not path.parent.is_dir():
        raise StorageError(
            f"the config dir {quote(path.parent, 120)} is a file, not a folder",
            "move the file aside, then run the command again",
        )
    current: dict[str, str] = {}
    if _is_file(path):
        current = {k: v for k, v in DotEnv(path).dict().items() if v is not None}
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    lines = ["# spotify-merger settings (`spotify-merger config --set KEY=VALUE` edits this file)"]
    lines += [f"{key}={_quote(value)}" for key, value in sorted(current.items())]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError, UnboundLocalError):
            tmp.unlink()
        raise StorageError(
            f"cannot write the settings file {quote(path, 120)}: {exc.strerror or exc}",
            "check that the config dir is a folder you can write to (`spotify-merger config` shows it)",
        ) from None


def _quote(value: str) -> str:
    # Single quotes keep the value literal for python-dotenv (no ${VAR} expansion, no escapes).
    if "'" in value or "\n" in value:
        raise UsageError("a setting cannot contain a quote (') or a line break", "check the value")
    return f"'{value}'"


def _absolute(path: Path, cwd: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else cwd / path


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def describe(layout: Layout, cwd: Path | None = None) -> dict[str, Any]:
    """Where everything is and what is set (secrets masked): the `config` command's document."""
    cwd = cwd or Path.cwd()
    data = layout.data_dir
    database = data / DATABASE_NAME
    problems: list[str] = []
    if data.exists() and not data.is_dir():
        problems.append(f"the data dir {data} is a file, not a folder")
    elif data.is_dir() and not os.access(data, os.W_OK | os.X_OK):
        problems.append(f"the data dir {data} is read-only")
    config_dir = layout.settings_file.parent
    if config_dir.exists() and not config_dir.is_dir():
        problems.append(f"the config dir {config_dir} is a file, not a folder")
    legacy: dict[str, Any] | None = None
    legacy_dir = cwd / LEGACY_DATA_DIR
    if _is_file(legacy_dir / DATABASE_NAME) and legacy_dir.resolve() != data.resolve():
        state = "not used (another data dir was chosen)"
        if layout.data_dir_from.startswith("the platform"):
            state = "competing: commands stop until you choose one"
            problems.append(
                f"./{LEGACY_DATA_DIR} here holds an earlier version's database, and so does {data}: "
                f"choose with --data-dir or {DATA_DIR_KEY}"
            )
        legacy = {"path": str(legacy_dir.resolve()), "state": state}
    elif layout.legacy_dir is not None:
        legacy = {"path": str(layout.legacy_dir.resolve()), "state": "in use (earlier layout)"}
    return {
        "version": __version__,
        "data_dir": {"path": str(data), "from": layout.data_dir_from, "exists": data.is_dir()},
        "database": {
            "path": str(database),
            "exists": _is_file(database),
            "bytes": database.stat().st_size if _is_file(database) else None,
        },
        "token_cache": {
            "path": str(data / ".spotify-token-cache.json"),
            "exists": _is_file(data / ".spotify-token-cache.json"),
        },
        "exports_dir": {"path": str(data / "exports")},
        "settings_file": {"path": str(layout.settings_file), "exists": _is_file(layout.settings_file)},
        "env_file": {"path": str(layout.env_file) if layout.env_file else None},
        "demo_dir": {"path": str(demo_dir())},
        "legacy_data_dir": legacy,
        "settings": {
            key: {"value": masked(key, layout.settings.get(key)) or None, "from": layout.origins.get(key)}
            for key in SETTINGS
        },
        "order": "environment > --env-file or .env here > settings file; --data-dir > "
        f"{DATA_DIR_KEY} > ./{LEGACY_DATA_DIR} of an earlier version > platform default",
        "problems": problems,
    }


def repository_root(start: Path) -> Path | None:
    """The clone `start` is in (the folder holding pyproject.toml), if any."""
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    return None


@dataclass
class NotebookData:
    path: Path
    which: str  # said in words: the notebooks' outputs never show a path of the machine
    sources: list[str] | None  # PLAYLIST_1_ID / PLAYLIST_2_ID for your data; None: every fetched one


def notebook_database(start: Path | None = None) -> NotebookData:
    """The database the notebooks read, and which one it is, wherever the kernel was started.

    SPOTIFY_MERGER_DB if set; else your data (settings resolved from the repository root, as the
    command line run there would); else the demo's. FileNotFoundError says what to run first."""
    start = start or Path.cwd()
    root = repository_root(start) or start
    try:
        layout = resolve(cwd=root)
    except UsageError:
        layout = resolve(cwd=root, check_legacy=False)
    configured = [layout.settings[k] for k in ("PLAYLIST_1_ID", "PLAYLIST_2_ID") if k in layout.settings]
    explicit = os.environ.get("SPOTIFY_MERGER_DB", "").strip()
    if explicit:  # a database named outright: only sources named outright (the environment) apply
        given = [os.environ.get(k, "").strip() for k in ("PLAYLIST_1_ID", "PLAYLIST_2_ID")]
        return NotebookData(Path(explicit).expanduser(), "SPOTIFY_MERGER_DB", [s for s in given if s] or None)
    own = layout.data_dir / DATABASE_NAME
    if _is_file(own):
        return NotebookData(own, "your data (`spotify-merger fetch`)", configured or None)
    demo = demo_dir() / DATABASE_NAME
    if _is_file(demo):
        return NotebookData(demo, "the demo's (`spotify-merger demo`)", None)
    raise FileNotFoundError(
        f"no database yet in {layout.data_dir} nor in the demo dir: run `spotify-merger fetch` "
        "(or `spotify-merger demo --yes`) first, or set SPOTIFY_MERGER_DB"
    )
