"""The title grammar of rule 3: a title's trailing annotations, what each one means, and artist sets.

The grammar reads *folded* text (see `normalize.fold`: lowercase, accents folded in Latin
script, typographic punctuation made ASCII, "and"/"+" made "&"). A title is a core followed by
trailing annotations, read from the end, several in a row and in any order:

    core  ( "(…)" | "[…]" | "{…}" | "<…>" | " - …" )*

Brackets nest ("(live (acoustic))" is one annotation); an unbalanced bracket ends the reading, and
what is left stays in the core. An annotation splits into parts at "/", ";" and " - "; each part is:

- **neutral**, dropped: remaster forms in any order with years, "digital", "deluxe",
  "anniversary", "version", "edition" ("2009 re-mastered digital version", "deluxe remaster",
  "remastered deluxe box set"), and release-level notes ("album version", "original version",
  "original mix", "bonus track", "deluxe edition", "explicit", "clean"). A bare year is neutral
  only beside a remaster part ("- 2011 - Remaster"); alone ("(1999)") it keeps songs apart;
- **credit** ("feat.", "ft.", "featuring", "with", "w/", "avec", "con"): the names join the
  artist set, and the part is dropped. " feat. X" without brackets at the end of the core too;
- **version**, kept: live, remix, acoustic, edit, demo, instrumental, re-recorded, "Taylor's
  Version", karaoke, sped up, mono, stereo, single version… and every part not recognised as
  neutral or credit: when in doubt, songs stay apart.

The key of a title is its cleaned core followed by its version parts, sorted, in parentheses:
"Song - Live / Remastered 2011" and "Song [Live]" both read "song (live)".

Pure functions of a string, so they can run once per distinct title, artist or album name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# Each reading stops after this many annotations; the rest stays in the core (bounded work on
# pathological titles such as a thousand "(" in a row).
MAX_ANNOTATIONS = 12

_OPEN = {")": "(", "]": "[", "}": "{", ">": "<"}
_BRACKETS = "()[]{}<>"
# Punctuation that carries no identity: runs of it become one space. Brackets are the grammar's.
_PUNCT = re.compile(r"""[!"#$%*,.:;?@\\^_`|~¡¿«»‹›「」『』【】〈〉《》、。・·…=/+-]+""")
_SPACES = re.compile(r"\s+")
_UNTITLED = re.compile(r"^(?:track|untitled|titre|pista|faixa)\s*\d+$")
# Already clean: words of letters, digits and "&" separated by single spaces.
_PLAIN = re.compile(r"[^\W_]+(?: (?:[^\W_]+|&))*")

_CREDIT = re.compile(r"^(?:feat\.?|ft\.?|featuring|with|w/|avec|con)\s+(?P<names>\S.*)$")
_BARE_CREDIT = re.compile(r"\s(?P<word>feat\.?|featuring|ft\.)\s+(?=\S)")
# A title without any of these has no annotation and no credit: it is only cleaned.
_TRIGGER = re.compile(r"[()\[\]{}<>]| - |feat|ft\.")
_PART_SPLIT = re.compile(r"\s+-\s+|\s*/\s*|\s*;\s*")

# Neutral parts: every word is one of these, and at least one is an anchor.
_REMASTER = re.compile(r"^(?:re|ri)master\w*$")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
_NEUTRAL_WORDS = frozenset(
    [
        "digital",
        "digitally",
        "version",
        "edition",
        "deluxe",
        "anniversary",
        "box",
        "set",
        "album",
        "original",
        "bonus",
        "track",
        "explicit",
        "clean",
        "lp",
        "expanded",
        "special",
        "super",
        "legacy",
        "the",
        "in",
        "en",
        "de",
        "&",
        "and",
        "reissue",
        "reissued",
        "collectors",
        "official",
        "audio",
        "soundtrack",
        "motion",
        "picture",
        "ost",
    ]
)
_ANCHORS = frozenset(
    [
        "album",
        "original",
        "bonus",
        "deluxe",
        "explicit",
        "clean",
        "lp",
        "edition",
        "reissue",
        "reissued",
        "audio",
    ]
)
_VERSION_WORDS = frozenset(["version", "ver"])
# Beside a remaster word: "24-bit", "'04".
_REMASTER_DETAIL = re.compile(r"^(?:\d+bit|\d\d)$")
# Who produced it, or which film it comes from, says nothing about the recording.
_RELEASE_NOTE = re.compile(r"^(?:prod\.?|produced by)\s|^from\s(?!.*\blive\b)")
# Titles shared by unrelated tracks of one artist: they never match by name and duration.
GENERIC_TITLES = frozenset(
    ["intro", "outro", "interlude", "skit", "prelude", "untitled", "hidden track", "bonus track", "silence"]
)

# Artist credits split at these separators, in artist names and in title credits alike.
_ARTIST_SPLIT = re.compile(
    r"\s*(?:,|&|;|×|、|\s/\s|(?<=\s)x(?=\s)|\bvs\.?(?=\s)|\bfeat\.?(?=\s)|\bft\.(?=\s)|"
    r"\bfeaturing\b|\bwith\b)\s*"
)

# Album names that mark a version: the tracks on them are that version.
_ALBUM_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "live",
        re.compile(
            r"\blive(?=$|[\s)\]}>!:,/@\-]*(?:$|at\b|in\b|from\b|on\b|@|\d|[)\]}>!:,/\-]))"
            r"|\b(?:en vivo|ao vivo|en directo|dal vivo|en concierto|in concert|concert)\b"
        ),
    ),
    ("unplugged", re.compile(r"\bunplugged\b")),
    ("acoustic", re.compile(r"\b(?:acoustic|acustico|acustica|akustisch|acoustique)\b")),
    ("sessions", re.compile(r"\bsessions?\b")),
    ("karaoke", re.compile(r"\bkaraoke\b")),
    ("instrumental", re.compile(r"\binstrumentals?\b")),
    ("remix", re.compile(r"\bremix(?:es|ed)?\b")),
    ("demo", re.compile(r"\bdemos?\b")),
    ("rerecorded", re.compile(r"\btaylor'?s version\b|\bre-?recorded\b")),
    ("a cappella", re.compile(r"\ba ?cap+el+a\b")),
    ("sped up", re.compile(r"\bsped up\b|\bslowed\b")),
)


class ParsedTitle(NamedTuple):
    core: str
    versions: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """'' when nothing identifying is left (empty, or a generic "Intro"): never linked by rule 3."""
        if not self.core or (self.core in GENERIC_TITLES and not self.versions) or _UNTITLED.match(self.core):
            return ""
        return self.core + "".join(f" ({v})" for v in self.versions)


def clean(text: str, *, keep_brackets: bool = False) -> str:
    """Apostrophes go, other punctuation runs become one space; never empties a non-blank text."""
    if _PLAIN.fullmatch(text):
        return text
    out = text.replace("'", "")
    out = _PUNCT.sub(" ", out)
    if not keep_brackets:
        out = out.translate({ord(c): " " for c in _BRACKETS})
    out = _SPACES.sub(" ", out).strip()
    return out or _SPACES.sub(" ", text).strip()


def _words(part: str) -> list[str]:
    # Hyphens inside words join them, so "re-mastered" is "remastered" and "re-recorded" "rerecorded".
    return clean(part.replace("-", "")).split()


def _last_annotation(text: str) -> tuple[str, str] | None:
    """(rest, annotation) for the last trailing annotation of `text`, or None when there is none."""
    if text and text[-1] in _OPEN:
        depth = 0
        for i in range(len(text) - 1, -1, -1):
            ch = text[i]
            if ch in _OPEN:
                depth += 1
            elif ch in "([{<":
                depth -= 1
                if depth == 0:
                    # A title that is only brackets ("(Live)") is its own core, not an annotation.
                    return (text[:i].rstrip(), text[i + 1 : -1].strip()) if text[:i].strip() else None
        return None  # unbalanced: the bracket stays in the core
    cut = text.rfind(" - ")
    if cut > 0 and text[:cut].strip():
        return text[:cut].rstrip(), text[cut + 3 :].strip()
    return None


@lru_cache(maxsize=1 << 16)  # annotation parts repeat a lot across a library ("live", "2011 remaster")
def _classify(part: str) -> tuple[str, str]:
    """('neutral' | 'year' | 'credit' | 'version', payload) for one part of an annotation."""
    credit = _CREDIT.match(part)
    if credit:
        return "credit", credit.group("names")
    if _RELEASE_NOTE.match(part):
        return "neutral", part
    words = _words(part)
    if not words:
        return "neutral", part
    if len(words) == 1 and _YEAR.match(words[0]):
        return "year", words[0]
    remaster = any(_REMASTER.match(w) for w in words)
    allowed = all(
        _REMASTER.match(w)
        or _YEAR.match(w)
        or _ORDINAL.match(w)
        or w in _NEUTRAL_WORDS
        or (remaster and _REMASTER_DETAIL.match(w))
        for w in words
    )
    original_mix = words in (["original", "mix"], ["original", "mix", "version"])
    if original_mix or (allowed and (remaster or any(w in _ANCHORS for w in words))):
        return ("remaster" if remaster else "neutral"), " ".join(words)
    # "Acoustic Version", "Acoustic Ver." and "Acoustic" are one version.
    kept = [w for w in words if w not in _VERSION_WORDS] or words
    return "version", " ".join(kept)


def _core(rest: str) -> str:
    if not rest:
        return ""
    core = clean(rest, keep_brackets=True)
    # A title that is only a dash annotation ("- Live") is not the bare word.
    return "- " + core if rest.startswith("-") and not core.startswith("-") else core


@lru_cache(maxsize=1 << 16)  # whole annotations repeat too ("- live", "(feat. x)", "[remastered 2009]")
def _annotation_parts(annotation: str) -> tuple[tuple[str, str], ...]:
    if _CREDIT.match(annotation):
        return (("credit", _CREDIT.match(annotation).group("names")),)  # type: ignore[union-attr]
    return tuple(_classify(piece.strip()) for piece in _PART_SPLIT.split(annotation) if piece.strip())


def parse_title(folded: str) -> ParsedTitle:
    """Read a folded title into its core, version parts, credited names and dropped parts."""
    rest = folded.strip()
    if not _TRIGGER.search(rest):
        return ParsedTitle(_core(rest))
    parts: list[tuple[str, str]] = []
    for _ in range(MAX_ANNOTATIONS):
        found = _last_annotation(rest)
        if found is None:
            break
        rest, annotation = found
        parts.extend(_annotation_parts(annotation))
    bare = _BARE_CREDIT.search(rest)
    before = rest[: bare.start()].strip() if bare else ""
    # "ft." after a bare number is a unit ("50 Ft. Queenie"), not a credit.
    if bare and before and not (bare.group("word") == "ft." and before.isdigit()):
        rest, names = rest[: bare.start()], rest[bare.end() :]
        parts.append(("credit", names))
    has_remaster = any(kind == "remaster" for kind, _ in parts)
    versions: set[str] = set()
    credits: list[str] = []
    neutral: list[str] = []
    for kind, text in parts:
        if kind == "credit":
            credits.extend(artist_atoms(text))
        elif kind == "version" or (kind == "year" and not has_remaster):
            versions.add(text)
        else:
            neutral.append(text)
    core = _core(rest)
    return ParsedTitle(core, tuple(sorted(versions)), tuple(sorted(set(credits))), tuple(neutral))


@lru_cache(maxsize=1 << 16)
def artist_atoms(folded: str) -> tuple[str, ...]:
    """The names a folded credit holds: "a & b", "a, b and c", "a x b", "a feat. b" → each name."""
    atoms = {clean(p) for p in _ARTIST_SPLIT.split(folded) if p and p.strip()}
    atoms.discard("")
    if not atoms:
        whole = clean(folded)
        return (whole,) if whole else ()
    return tuple(sorted(atoms))


# One search tells most album names apart from those that may carry a marker.
_ALBUM_HINT = re.compile(
    r"live|vivo|directo|concert|unplugged|acoust|acust|akust|session|karaoke|instrumental|remix|demo"
    r"|taylor|record|cap+el+a|sped|slowed"
)


def album_markers(folded_album: str) -> tuple[str, ...]:
    """The version kinds an album name states (live, unplugged, acoustic, sessions…), sorted."""
    if not _ALBUM_HINT.search(folded_album):
        return ()
    return tuple(kind for kind, pattern in _ALBUM_MARKERS if pattern.search(folded_album))
