"""Exit codes and the domain exceptions that map onto them.

Every failure the user can meet is one of these exceptions. The CLI turns each into a single
line "error: <what happened>" plus a "hint: <what to do next>" and exits with its code, so scripts
can tell a rate-limit pause from a revoked token without parsing text.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in the README's "Exit codes" table."""

    OK = 0
    ERROR = 1  # unexpected internal error (a bug: please report it)
    USAGE = 2  # bad arguments or input: fix the command line or .env
    AUTH = 3  # missing, invalid or revoked credentials: run `spotify-merger auth`
    NOT_FOUND = 4  # a playlist or resource does not exist
    FORBIDDEN = 5  # not allowed: not the owner, or a scope is missing
    RATE_LIMITED = 6  # Spotify asked us to wait longer than --max-wait; progress is saved
    QUOTA_EXCEEDED = 7  # the app's quota is used up; progress is saved
    SERVER = 8  # Spotify kept failing (5xx, connection errors, malformed answers)
    STORAGE = 9  # the local DuckDB file is corrupt, locked or unwritable
    NOT_CONFIRMED = 10  # the write was not confirmed (declined, or no TTY without --yes)
    CONFLICT = 11  # the plan or the master changed under us: re-run the report / start anew
    VERIFY_FAILED = 12  # the master playlist does not match the plan
    NOTHING_TO_DO = 13  # nothing to add or nothing fetched yet
    BUSY = 14  # another spotify-merger command holds the data dir's lock; nothing was done
    INTERRUPTED = 130  # Ctrl-C; progress made so far is kept
    PIPE_CLOSED = 141  # stdout's reader went away (`| head`): stopped quietly, as a shell reports SIGPIPE


class MergerError(Exception):
    """Base class: a one-line message plus a hint naming the next step."""

    exit_code: ExitCode = ExitCode.ERROR
    default_hint: str = "progress made so far is kept; re-run with -vv for details and please report it"

    def __init__(
        self, message: str, hint: str | None = None, *, details: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        # What a --json error document carries besides the message (e.g. verify's per-part results).
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class UsageError(MergerError):
    exit_code = ExitCode.USAGE
    default_hint = "check the command line and .env; `spotify-merger COMMAND --help` lists the options"


class AuthError(MergerError):
    exit_code = ExitCode.AUTH
    default_hint = "run `spotify-merger auth` to sign in again"


class NotFoundError(MergerError):
    exit_code = ExitCode.NOT_FOUND
    default_hint = "run `spotify-merger playlists` to list the playlists you can use"


class ForbiddenError(MergerError):
    exit_code = ExitCode.FORBIDDEN
    default_hint = "`spotify-merger playlists` shows which playlists you may read"


class RateLimitedError(MergerError):
    """Spotify asked for a wait longer than the user allows (--max-wait)."""

    exit_code = ExitCode.RATE_LIMITED
    default_hint = "progress is saved; re-run the same command later, or allow a longer --max-wait"

    def __init__(self, message: str, hint: str | None = None, *, retry_after: float = 0.0) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class QuotaExceededError(MergerError):
    exit_code = ExitCode.QUOTA_EXCEEDED
    default_hint = "the app's quota resets later; progress is saved, so re-run the same command then"


class ServerError(MergerError):
    exit_code = ExitCode.SERVER
    default_hint = "Spotify is having trouble; progress is saved, so re-run the same command in a few minutes"


class StorageError(MergerError):
    exit_code = ExitCode.STORAGE
    default_hint = "check the data dir (--data-dir): its disk space and permissions"


class NotConfirmedError(MergerError):
    exit_code = ExitCode.NOT_CONFIRMED
    default_hint = "nothing was changed; re-run when ready (--yes confirms in advance)"


class ConflictError(MergerError):
    exit_code = ExitCode.CONFLICT
    default_hint = "re-run `spotify-merger report` to see where things stand now"


class VerifyError(MergerError):
    exit_code = ExitCode.VERIFY_FAILED
    default_hint = "`spotify-merger run --new-master` builds a fresh master playlist"


class NothingToDoError(MergerError):
    exit_code = ExitCode.NOTHING_TO_DO
    default_hint = "`spotify-merger fetch` reads the sources first"


class BusyError(MergerError):
    """Another process holds the data dir's lock (see `store.lock`)."""

    exit_code = ExitCode.BUSY


# -- raised by the Spotify layer -------------------------------------------------------------------


class LostResponseError(ServerError):
    """A state-changing request may have reached Spotify but its answer was lost.

    Raised at once, never retried: the caller must re-read the server's state (for example the
    playlist's tail) before deciding whether to send the request again.
    """

    default_hint = "the request may or may not have been applied; re-run the same command: it checks first"


class CallCancelled(Exception):
    """Raised in worker threads once the policy is cancelled (Ctrl-C or a failure elsewhere)."""


class TokenServerError(ServerError):
    """The accounts service failed (5xx, 429) while refreshing a token: transient, retried."""
