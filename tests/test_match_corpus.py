"""The labelled corpus: well-formed, and the real analysis gets it right (zero false merges, recall >= 97%)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the benchmarks package, beside tests/

from benchmarks.match_corpus import CORPUS, evaluate, load


def test_the_corpus_is_large_labelled_and_sourced() -> None:
    pairs = load(CORPUS)
    assert len(pairs) >= 200
    for pair in pairs:
        assert pair["verdict"] in ("same", "different"), pair
        assert pair["reason"].strip() and "\n" not in pair["reason"], pair
        assert re.match(r"^https://\S+$", pair["source"]), pair
        for side in ("a", "b"):
            assert isinstance(pair[side]["t"], str) and isinstance(pair[side]["ar"], list), pair
    classes = {p["class"] for p in pairs}
    for needed in (
        "remaster", "neutral", "feat-credit", "artist-set", "punctuation", "version", "album-marker",
        "language", "non-latin", "malformed", "generic-title",
    ):  # fmt: skip
        assert needed in classes
    # Both verdicts are well represented: near misses that must stay apart, copies that must merge.
    assert sum(p["verdict"] == "same" for p in pairs) >= 80
    assert sum(p["verdict"] == "different" for p in pairs) >= 80


def test_smart_matching_on_the_corpus_has_no_false_merge_and_high_recall() -> None:
    result = evaluate()
    assert result["false_merges"] == 0, result["false_merge_pairs"]
    assert result["recall"] >= 0.97, result["missed_merge_pairs"]
    # Rule 3 is what finds these: ISRCs alone would find almost none of them.
    assert result["recall_rules_1_2_only"] < 0.2
    assert result["merges_by_reason"]["same-title-artist-duration"] > result["merges_by_reason"]["same-isrc"]
