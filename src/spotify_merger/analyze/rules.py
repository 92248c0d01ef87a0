"""The user's own matching rules: a small text file in the data dir, edited by hand or by `match`.

One rule a line; `#` starts a comment; blank lines are ignored:

    same     spotify:track:AAAA…  spotify:track:BBBB…   # one song: merge them
    never    spotify:track:AAAA…  spotify:track:CCCC…   # two songs: keep them apart
    exclude  spotify:track:DDDD…                       # never in any master

Tracks may be written as ids, `spotify:track:` URIs or open.spotify.com links; the file stores
URIs. A rule always wins: `same` merges whatever the automatic rules say, `never` splits whatever
they (or a chain of `same` rules) say, `exclude` keeps a track out. A malformed line, an unknown
key, a rule given twice, `same` and `never` for one pair, or a reference that is not a track is
an error naming the file and the line. `add` and `forget` keep every other line as written
(comments too), check the new content parses, and replace the file atomically (temporary file,
fsync, rename): a bad edit never loses the rules already there.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotify_merger.errors import UsageError
from spotify_merger.spotify.ids import TRACK_ACCEPTED, parse_ref

RULES_FILE = "match_rules.txt"
KEYS = {"same": 2, "never": 2, "exclude": 1}
HEADER = (
    "# spotify-merger match rules: one rule a line (see `spotify-merger match --help`).\n"
    "#   same A B     A and B are one song\n"
    "#   never A B    A and B are two songs\n"
    "#   exclude A    A stays out of every master\n"
)


class RulesFileError(UsageError):
    """The rules file (or a rule given on the command line) cannot be used as it stands."""


@dataclass(frozen=True)
class Rule:
    key: str
    tracks: tuple[str, ...]  # track ids; pairs sorted, so `same A B` is `same B A`

    @property
    def text(self) -> str:
        """The rule as a line of the file (keys padded so the tracks line up)."""
        return " ".join([self.key.ljust(7), *(f"spotify:track:{t}" for t in self.tracks)])

    def __str__(self) -> str:
        return " ".join([self.key, *(f"spotify:track:{t}" for t in self.tracks)])


@dataclass
class MatchRules:
    rules: list[Rule] = field(default_factory=list)

    def of(self, key: str) -> list[Rule]:
        return [r for r in self.rules if r.key == key]

    @property
    def excluded(self) -> set[str]:
        return {r.tracks[0] for r in self.of("exclude")}

    @property
    def tracks(self) -> set[str]:
        return {t for r in self.rules for t in r.tracks}

    def __bool__(self) -> bool:
        return bool(self.rules)


def rule(key: str, refs: list[str], where: str = "") -> Rule:
    """A rule from its key and track references, checked like a line of the file (`where` names the line)."""
    where = f"{where}: " if where else ""
    if key not in KEYS:
        raise RulesFileError(
            f"{where}unknown rule {key!r}", f"a rule starts with {', '.join(KEYS)}; `#` starts a comment"
        )
    if len(refs) != KEYS[key]:
        want = "one track" if KEYS[key] == 1 else "two tracks"
        raise RulesFileError(f"{where}`{key}` takes {want}, got {len(refs)}", f"write `{key}` then {want}")
    ids = []
    for ref in refs:
        tid = parse_ref(ref, "track")
        if tid is None:
            raise RulesFileError(f"{where}{ref!r} is not a track", f"give {TRACK_ACCEPTED}")
        ids.append(tid)
    if len(ids) == 2 and ids[0] == ids[1]:
        raise RulesFileError(f"{where}both tracks are {ids[0]}", "name two different tracks")
    return Rule(key, tuple(sorted(ids)))


def _check(existing: list[Rule], new: Rule, where: str) -> None:
    for old in existing:
        if old == new:
            raise RulesFileError(f"{where} repeats `{old}`", "give each rule once")
        if old.tracks == new.tracks and {old.key, new.key} == {"same", "never"}:
            raise RulesFileError(
                f"{where} contradicts `{old}`: one pair cannot be both `same` and `never`",
                f"forget one of them first: `spotify-merger match forget {' '.join(new.tracks)}`",
            )


def parse(text: str, path: Path | str = RULES_FILE) -> MatchRules:
    rules: list[Rule] = []
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        where = f"{path} line {number}"
        key, *refs = content.split()
        new = rule(key.lower(), refs, where)
        _check(rules, new, where)
        rules.append(new)
    return MatchRules(rules)


def recorded(
    options: dict[str, str | bool], rules: MatchRules | None, exclude_playlist: str | None
) -> dict[str, Any]:
    """The options a write records: the merge options, plus the user's rules and the exclusions
    playlist when there are any, so that `sync` matches as the write did and sees when that changed.
    (Left out when absent, so a write without them records what it always has.)"""
    out: dict[str, Any] = dict(options)
    if rules:
        out["rules"] = sorted(str(r) for r in rules.rules)
    if exclude_playlist:
        out["exclude_playlist"] = exclude_playlist
    return out


def rules_path(data_dir: Path) -> Path:
    return data_dir / RULES_FILE


def load(data_dir: Path) -> MatchRules:
    """The rules in the data dir (none when the file does not exist)."""
    path = rules_path(data_dir)
    return parse(_read(path), path)


def add(data_dir: Path, new: Rule) -> Path:
    """Append `new` to the rules file (created with a short header); the lines already there stay as written."""
    path = rules_path(data_dir)
    text = _read(path)
    _check(parse(text, path).rules, new, "that rule")
    if text and not text.endswith("\n"):
        text += "\n"
    _write(path, (text or HEADER) + new.text + "\n")
    return path


def forget(data_dir: Path, tracks: tuple[str, ...], key: str | None = None) -> list[Rule]:
    """Remove the rules on exactly these tracks (of `key`, if given); every other line stays as written."""
    path = rules_path(data_dir)
    text = _read(path)
    parse(text, path)  # a broken file is reported, not half-rewritten
    wanted = tuple(sorted(tracks))
    kept, removed = [], []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        content = line.split("#", 1)[0].strip()
        if content:
            head, *refs = content.split()
            found = rule(head.lower(), refs, f"{path} line {number}")
            if found.tracks == wanted and key in (None, found.key):
                removed.append(found)
                continue
        kept.append(line)
    if removed:
        _write(path, "".join(kept))
    return removed


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesFileError(
            f"cannot read {path}: {exc}", "check the file's permissions and encoding"
        ) from None


def _write(path: Path, text: str) -> None:
    """Temporary file in the same directory, fsync, rename: the old file or the new one, never half."""
    parse(text, path)  # never write what could not be read back
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".match_rules.", dir=path.parent, text=True)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
