"""The one context object every command and library call receives.

It carries the consoles (progress and messages on stderr, data on stdout), the verbosity, the
paths of the data dir, and the settings read from the environment and `.env`. Tests build a
quiet one with `Environment.for_tests(...)` instead of patching globals.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from spotify_merger.display import as_text, styled
from spotify_merger.settings import base_url, load_settings_file, setting

if TYPE_CHECKING:
    from rich.text import Text

    from spotify_merger.console import SafeConsole

DEFAULT_API_BASE = "https://api.spotify.com/v1"
DEFAULT_ACCOUNTS_BASE = "https://accounts.spotify.com"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8888/callback"
DEFAULT_MAX_WAIT = 120.0

# Settings read from the environment (and `.env`); documented one by one in `.env.example`.
SETTINGS = (
    "SPOTIFY_CLIENT_ID",
    "SPOTIFY_CLIENT_SECRET",
    "SPOTIFY_REDIRECT_URI",
    "SPOTIFY_REFRESH_TOKEN",
    "SPOTIFY_API_BASE",
    "SPOTIFY_ACCOUNTS_BASE",
    "SPOTIFY_MERGER_DATA_DIR",
    "PLAYLIST_1_ID",
    "PLAYLIST_2_ID",
)


@dataclass
class Environment:
    data_dir: Path = field(default_factory=lambda: Path("data"))
    verbosity: int = 0  # -1 quiet, 0 normal, 1 logs each request (-v), 2 debug (-vv)
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str = DEFAULT_REDIRECT_URI
    refresh_token: str | None = None
    api_base: str = DEFAULT_API_BASE
    accounts_base: str = DEFAULT_ACCOUNTS_BASE
    default_sources: tuple[str, ...] = ()
    max_wait: float = DEFAULT_MAX_WAIT
    interactive: bool = False  # stdin is a TTY: we may prompt
    open_browser: bool = True
    _stdout: SafeConsole | None = None
    _stderr: SafeConsole | None = None

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_env(
        cls,
        *,
        env_file: Path | None = None,
        data_dir: Path | None = None,
        verbosity: int = 0,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> Environment:
        """Read settings from the process environment, after loading `.env` (which never overrides).

        A settings file given with --env-file must exist; any settings file must be readable UTF-8
        text. Problems are UsageErrors (exit 2), like every other bad setting.
        """
        load_settings_file(env_file if env_file is not None else Path(".env"), given=env_file is not None)
        return cls.from_mapping(os.environ, data_dir=data_dir, verbosity=verbosity, max_wait=max_wait)

    @classmethod
    def from_mapping(
        cls,
        env: dict[str, str] | os._Environ[str],
        *,
        data_dir: Path | None = None,
        verbosity: int = 0,
        max_wait: float = DEFAULT_MAX_WAIT,
        interactive: bool | None = None,
    ) -> Environment:
        def get(key: str) -> str | None:
            return setting(env, key)

        sources = tuple(s for s in (get("PLAYLIST_1_ID"), get("PLAYLIST_2_ID")) if s)
        return cls(
            data_dir=data_dir or Path(get("SPOTIFY_MERGER_DATA_DIR") or "data"),
            verbosity=verbosity,
            client_id=get("SPOTIFY_CLIENT_ID"),
            client_secret=get("SPOTIFY_CLIENT_SECRET"),
            redirect_uri=get("SPOTIFY_REDIRECT_URI") or DEFAULT_REDIRECT_URI,
            refresh_token=get("SPOTIFY_REFRESH_TOKEN"),
            api_base=base_url("SPOTIFY_API_BASE", get("SPOTIFY_API_BASE") or DEFAULT_API_BASE),
            accounts_base=base_url(
                "SPOTIFY_ACCOUNTS_BASE", get("SPOTIFY_ACCOUNTS_BASE") or DEFAULT_ACCOUNTS_BASE
            ),
            default_sources=sources,
            max_wait=max_wait,
            interactive=sys.stdin.isatty() if interactive is None else interactive,
        )

    @classmethod
    def for_tests(
        cls, data_dir: Path, settings: dict[str, str] | None = None, **overrides: object
    ) -> Environment:
        """A quiet, non-interactive environment writing under `data_dir`; never prompts nor opens a browser."""
        envobj = cls.from_mapping(settings or {}, data_dir=data_dir, verbosity=-1, interactive=False)
        envobj.open_browser = False
        envobj.capture(open(os.devnull, "w"), open(os.devnull, "w"), width=120)  # noqa: SIM115
        for key, value in overrides.items():
            setattr(envobj, key, value)
        return envobj

    # -- consoles -----------------------------------------------------------------------------

    def capture(self, stdout: TextIO | None, stderr: TextIO | None, **console_options: Any) -> None:
        """Send the consoles to these files (tests): safe consoles like the real ones."""
        # Imported here: the console brings rich, loaded only once something is printed.
        from spotify_merger.console import make_console

        if stdout is not None:
            self._stdout = make_console(file=stdout, **console_options)
        if stderr is not None:
            self._stderr = make_console(file=stderr, stderr=True, **console_options)

    @property
    def stdout(self) -> SafeConsole:
        if self._stdout is None:
            # Imported here: the console brings rich, loaded only once something is printed.
            from spotify_merger.console import make_console

            # Results always print: --quiet hides progress and status lines (stderr), not data.
            self._stdout = make_console()
        return _checked(self._stdout)

    @property
    def stderr(self) -> SafeConsole:
        """Progress bars, warnings and errors go here, so stdout stays clean for data."""
        if self._stderr is None:
            # Imported here: the console brings rich, loaded only once something is printed.
            from spotify_merger.console import make_console

            self._stderr = make_console(stderr=True)
        return _checked(self._stderr)

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    @property
    def show_progress(self) -> bool:
        """Progress bars only on a terminal, and never with --quiet."""
        return not self.quiet and self.stderr.is_terminal

    def say(self, message: str | Text) -> None:
        """A status line on stderr, unless quiet. A str is shown as plain text (see `display`)."""
        if not self.quiet:
            self.stderr.print(message)

    def warn(self, message: str | Text) -> None:
        """Warnings are shown even when quiet: they explain a degraded result."""
        self.stderr.print(styled("[yellow]warning:[/yellow] ") + as_text(message))

    # -- paths --------------------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.data_dir / "spotify.duckdb"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def token_cache_path(self) -> Path:
        return self.data_dir / ".spotify-token-cache.json"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.exports_dir.mkdir(parents=True, exist_ok=True)


def _checked(console: SafeConsole) -> SafeConsole:
    # Every console must be a SafeConsole: a plain rich Console would parse outside text as markup.
    from spotify_merger.console import SafeConsole  # here: it brings rich (see above)

    if not isinstance(console, SafeConsole):
        raise TypeError("Environment consoles must be spotify_merger.console.SafeConsole instances")
    return console
