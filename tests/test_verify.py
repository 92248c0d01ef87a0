"""verify's comparison: every kind of difference is found and said in words."""

from __future__ import annotations

from spotify_merger.write.verify import compare

PLAN = [f"spotify:track:{c * 22}" for c in "abcdefgh"]


def test_an_exact_copy_has_no_problems() -> None:
    assert compare(PLAN, list(PLAN)) == []


def test_a_missing_song_is_named_with_the_count_and_first_position() -> None:
    actual = PLAN[:3] + PLAN[4:]
    problems = compare(PLAN, actual)
    assert problems[0] == f"{len(actual)} songs instead of the planned {len(PLAN)}"
    assert f"position 4: expected {PLAN[3]}, found {PLAN[4]}" in problems
    assert any(p.startswith("1 planned songs missing") and PLAN[3] in p for p in problems)


def test_a_duplicate_and_a_swap_are_reported() -> None:
    dup = [*PLAN, PLAN[0]]
    assert any("unplanned or repeated" in p and PLAN[0] in p for p in compare(PLAN, dup))
    swapped = [PLAN[1], PLAN[0], *PLAN[2:]]
    problems = compare(PLAN, swapped)
    assert problems[:2] == [
        f"position 1: expected {PLAN[0]}, found {PLAN[1]}",
        f"position 2: expected {PLAN[1]}, found {PLAN[0]}",
    ]
    assert not any("missing" in p for p in problems)  # same songs, wrong order


def test_many_differences_are_summarised() -> None:
    shifted = PLAN[1:] + PLAN[:1]
    problems = compare(PLAN, shifted, limit=3)
    assert problems[-1] == "... and 5 more positions differ"
