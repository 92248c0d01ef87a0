"""Matching quality on the labelled corpus: precision, recall, false and missed merges, each rule's share.

`uv run python -m benchmarks.match_corpus [--json FILE]`

`tests/data/match_corpus.json` holds pairs of tracks, each labelled "same" (one recording: the
master must keep one) or "different" (two songs: the master must keep both), with a one-line
reason and the public source the case comes from. All pairs go into one library (pair i's tracks
sit 1,000 s of duration away from pair i+1's, and carry their own ISRCs, so pairs cannot chain),
the real analysis runs over it, and each pair's verdict is read from the groups it made.

- A **false merge** is a "different" pair put in one group: a song silently lost from the master.
- A **missed merge** is a "same" pair left apart: a song played twice.
- **What each rule contributes**: for every pair merged, the reason that linked its two tracks;
  and the recall `--match isrc` (rules 1-2 alone) would reach, so rule 3's share is visible.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spotify_merger.store.database import Database

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "match_corpus.json"
PAIR_SPACING_MS = 1_000_000
BASE_DURATION_MS = 180_000
DEFAULT_GAP_MS = 700  # b's duration when the pair gives none: a remaster's typical wobble


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return pairs


def _track_rows(i: int, side: str, spec: dict[str, Any], duration: int) -> tuple[tuple[Any, ...], list[Any]]:
    from spotify_merger.store.database import utc_now

    tid = f"c{i:05d}{side}".ljust(22, "0")
    artists = spec["ar"] or [""]
    album = spec.get("al", "Album")
    row = (
        tid,
        f"spotify:track:{tid}",
        "track",
        spec["t"],
        f"ar{i}{side}0",
        artists[0],
        ", ".join(artists),
        f"al{i}{side}",
        album,
        "album",
        "2020-01-01",
        2020,
        duration,
        bool(spec.get("x", False)),
        spec.get("isrc") or f"ZZC{i:05d}{side}",
        utc_now(),
    )
    credits = [(tid, pos, f"ar{i}{side}{pos}", name) for pos, name in enumerate(artists)]
    return row, credits


def build(db: Database, pairs: list[dict[str, Any]]) -> None:
    """Store the corpus as two playlists: P1 holds every pair's first track, P2 every second."""
    from spotify_merger.store.database import insert_rows, utc_now

    tracks, credits, entries = [], [], []
    for i, pair in enumerate(pairs):
        offset = i * PAIR_SPACING_MS
        a_duration = pair["a"].get("d", BASE_DURATION_MS) + offset
        b_duration = pair["b"]["d"] + offset if "d" in pair["b"] else a_duration + DEFAULT_GAP_MS
        for side, spec, duration, playlist in (
            ("a", pair["a"], a_duration, "P1"),
            ("b", pair["b"], b_duration, "P2"),
        ):
            row, rows = _track_rows(i, side, spec, duration)
            tracks.append(row)
            credits.extend(rows)
            entries.append((playlist, i, "track", row[0], row[1], utc_now(), "me", False, False, None, None))
    with db.transaction() as conn:
        insert_rows(
            conn,
            "INSERT INTO tracks (id, uri, type, name, primary_artist_id, primary_artist_name, artist_names, "
            "album_id, album_name, album_type, release_date, release_year, duration_ms, explicit, isrc, fetched_at)",
            tracks,
            ["VARCHAR"] * 11 + ["INTEGER", "INTEGER", "BOOLEAN", "VARCHAR", "TIMESTAMP"],
        )
        insert_rows(conn, "INSERT INTO track_artists", credits, ["VARCHAR", "INTEGER", "VARCHAR", "VARCHAR"])
        for pid in ("P1", "P2"):
            conn.execute(
                "INSERT INTO playlists VALUES (?, ?, 'me', 'Me', 'snap', ?, 100, ?, TRUE)",
                [pid, f"Corpus {pid}", len(pairs), utc_now()],
            )
        insert_rows(
            conn,
            "INSERT INTO entries (playlist_id, position, item_type, item_id, uri, added_at, added_by, is_local, "
            "is_unavailable, local_name, local_artist)",
            entries,
            ["VARCHAR", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMP", "VARCHAR", "BOOLEAN", "BOOLEAN",
             "VARCHAR", "VARCHAR"],
        )  # fmt: skip


def _verdicts(db: Database, n: int, match: str) -> list[tuple[bool, str | None]]:
    """Per pair: merged?, and the reason recorded on the merged copy."""
    from spotify_merger.analyze import MergeOptions, SpotifyAnalyzer

    with SpotifyAnalyzer(db, ["P1", "P2"], MergeOptions(match=match)) as an:  # type: ignore[arg-type]
        groups = an.track_groups()
    gid = {tid: g for tid, (g, _) in groups.items()}
    reason = {tid: r for tid, (_, r) in groups.items()}
    out = []
    for i in range(n):
        a, b = (f"c{i:05d}{s}".ljust(22, "0") for s in "ab")
        merged = gid[a] == gid[b]
        out.append((merged, (reason[a] or reason[b]) if merged else None))
    return out


def evaluate(path: Path = CORPUS) -> dict[str, Any]:
    from spotify_merger.store.database import Database

    pairs = load(path)
    with Database(":memory:") as db:
        build(db, pairs)
        smart = _verdicts(db, len(pairs), "smart")
        isrc_only = _verdicts(db, len(pairs), "isrc")
    same = [p["verdict"] == "same" for p in pairs]
    tp = sum(1 for s, (m, _) in zip(same, smart, strict=True) if s and m)
    fp = sum(1 for s, (m, _) in zip(same, smart, strict=True) if not s and m)
    fn = sum(1 for s, (m, _) in zip(same, smart, strict=True) if s and not m)
    tn = len(pairs) - tp - fp - fn
    tp_isrc = sum(1 for s, (m, _) in zip(same, isrc_only, strict=True) if s and m)
    per_class: dict[str, dict[str, int]] = {}
    for pair, (merged, _) in zip(pairs, smart, strict=True):
        c = per_class.setdefault(pair["class"], {"pairs": 0, "right": 0})
        c["pairs"] += 1
        c["right"] += int(merged == (pair["verdict"] == "same"))

    def listed(want_same: bool) -> list[dict[str, Any]]:
        return [
            {"class": p["class"], "a": p["a"]["t"][:80], "b": p["b"]["t"][:80], "reason": p["reason"]}
            for p, s, (m, _) in zip(pairs, same, smart, strict=True)
            if s == want_same and m != want_same
        ]

    return {
        "pairs": len(pairs),
        "same_pairs": sum(same),
        "different_pairs": len(pairs) - sum(same),
        "true_merges": tp,
        "false_merges": fp,
        "missed_merges": fn,
        "kept_apart": tn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "accuracy": round((tp + tn) / len(pairs), 4),
        "merges_by_reason": dict(Counter(r for s, (m, r) in zip(same, smart, strict=True) if s and m)),
        "recall_rules_1_2_only": round(tp_isrc / sum(same), 4) if sum(same) else 1.0,
        "per_class": per_class,
        "false_merge_pairs": listed(False),
        "missed_merge_pairs": listed(True),
    }


def print_report(r: dict[str, Any]) -> None:
    print(f"corpus: {r['pairs']} pairs ({r['same_pairs']} same, {r['different_pairs']} different)")
    print(f"precision {r['precision']:.2%}   recall {r['recall']:.2%}   accuracy {r['accuracy']:.2%}")
    print(f"false merges {r['false_merges']}   missed merges {r['missed_merges']}")
    print(f"merges by reason: {r['merges_by_reason']}")
    print(f"recall with rules 1-2 only (--match isrc): {r['recall_rules_1_2_only']:.2%}")
    print("per class (right / pairs):")
    for name, c in sorted(r["per_class"].items()):
        print(f"  {name:<16} {c['right']:>3} / {c['pairs']}")
    for label, key in (("FALSE MERGE", "false_merge_pairs"), ("missed", "missed_merge_pairs")):
        for p in r[key]:
            print(f"  {label}: [{p['class']}] {p['a']!r} vs {p['b']!r} ({p['reason']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    result = evaluate()
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
