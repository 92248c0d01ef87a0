"""The sync delta planner (pure): each rule on a hand-made case, then the planner against the
independent `MasterModel` over random histories of source edits, hand edits and syncs."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotify_merger.sync.delta import PartContents, PlanEntry, plan_delta
from sync_oracle import MasterModel

KEYS = {f"u{i}": f"s{i}" for i in range(40)}
KEYS.update({"u1b": "s1", "u2b": "s2"})  # a second copy (another track id) of songs 1 and 2


def entries(uris: list[str]) -> list[PlanEntry]:
    return [PlanEntry(u, KEYS[u], KEYS[u]) for u in uris]


def part(contents: list[str | None], ledger: list[str] | None = None, index: int = 1) -> PartContents:
    return PartContents(index, f"pl{index}", f"M ({index})", list(contents), Counter(ledger or []))


def test_new_songs_are_appended_in_plan_order_and_nothing_else_changes() -> None:
    master = part(["u1", "u2", "u3"], ["u1", "u2", "u3"])
    delta = plan_delta(entries(["u5", "u1", "u4", "u2", "u3"]), [master], KEYS, prune=False, base_name="M")
    assert delta.parts[0].appends == ["u5", "u4"]
    assert delta.parts[0].after == ["u1", "u2", "u3", "u5", "u4"]
    assert [n.uri for n in delta.new_songs] == ["u5", "u4"]
    assert not delta.removed_by_hand and not delta.added_by_hand and not delta.gone_from_sources


def test_nothing_changed_is_up_to_date() -> None:
    master = part(["u1", "u2"], ["u1", "u2"])
    delta = plan_delta(entries(["u1", "u2"]), [master], KEYS, prune=True, base_name="M")
    assert delta.up_to_date and delta.added == 0 and delta.removed == 0


def test_a_song_removed_by_hand_is_never_added_again() -> None:
    master = part(["u1", "u3"], ["u1", "u2", "u3"])
    delta = plan_delta(entries(["u1", "u2", "u3"]), [master], KEYS, prune=True, base_name="M")
    assert delta.up_to_date
    assert [(n.uri, n.copies) for n in delta.removed_by_hand] == [("u2", 1)]


def test_another_copy_of_a_song_removed_by_hand_is_not_added_either() -> None:
    # The source now holds u2b (same song as u2, another track id); the user had removed u2.
    master = part(["u1"], ["u1", "u2"])
    delta = plan_delta(entries(["u1", "u2b"]), [master], KEYS, prune=False, base_name="M")
    assert delta.up_to_date


def test_a_song_added_by_hand_is_kept_never_pruned_never_duplicated() -> None:
    master = part(["u1", "u7", "u2b"], ["u1"])  # u7 and u2b added by hand; u2b is song 2
    delta = plan_delta(entries(["u1", "u2"]), [master], KEYS, prune=True, base_name="M")
    assert delta.up_to_date  # u2 matches the hand-added u2b; u7 is in no source but never pruned
    assert sorted(str(n.uri) for n in delta.added_by_hand) == ["u2b", "u7"]


def test_gone_from_the_sources_is_kept_unless_pruned() -> None:
    master = part(["u1", "u2", "u3"], ["u1", "u2", "u3"])
    kept = plan_delta(entries(["u1", "u3"]), [master], KEYS, prune=False, base_name="M")
    assert kept.up_to_date and [n.uri for n in kept.gone_from_sources] == ["u2"]
    pruned = plan_delta(entries(["u1", "u3"]), [master], KEYS, prune=True, base_name="M")
    assert pruned.parts[0].after == ["u1", "u3"] and pruned.parts[0].delete_uris == ["u2"]
    assert pruned.parts[0].restores() == []


def test_pruning_keeps_a_hand_added_copy_of_the_same_uri_by_putting_it_back() -> None:
    # u2 was added by the tool (position 1) and again by hand (position 3); u2 leaves the sources.
    master = part(["u1", "u2", "u3", "u2"], ["u1", "u2", "u3"])
    delta = plan_delta(entries(["u1", "u3"]), [master], KEYS, prune=True, base_name="M")
    p = delta.parts[0]
    assert p.after == ["u1", "u3", "u2"]
    # DELETE removes both copies; the hand copy goes back at its final position 2.
    assert p.delete_uris == ["u2"] and p.restores() == [(2, ["u2"])]


def test_the_last_part_fills_to_the_cap_then_new_parts_are_named_like_the_others() -> None:
    parts = [part(["u1", "u2"], ["u1", "u2"], 1), part(["u3"], ["u3"], 2)]
    plan = entries(["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"])
    delta = plan_delta(plan, parts, KEYS, prune=False, base_name="M", cap=2)
    assert [(p.name, p.appends) for p in delta.parts] == [
        ("M (1)", []),
        ("M (2)", ["u4"]),
        ("M (3/4)", ["u5", "u6"]),
        ("M (4/4)", ["u7", "u8"]),
    ]
    assert [p.is_new for p in delta.parts] == [False, False, True, True]


def test_a_full_last_part_starts_a_new_part() -> None:
    master = part(["u1", "u2"], ["u1", "u2"])
    delta = plan_delta(entries(["u1", "u2", "u3"]), [master], KEYS, prune=False, base_name="M", cap=2)
    assert [(p.name, p.appends) for p in delta.parts] == [("M (1)", []), ("M (2/2)", ["u3"])]


def test_weighted_new_repeats_are_appended_and_prune_removes_repeats_beyond_the_weight() -> None:
    master = part(["u1", "u2", "u1"], ["u1", "u2", "u1"])  # u1 weight 2, u2 weight 1
    grown = plan_delta(entries(["u1", "u2", "u1", "u2", "u1"]), [master], KEYS, prune=True, base_name="M")
    # u1: 3 - 2 = 1 more; u2: 2 - 1 = 1 more; the copies are the plan's last ones, in plan order.
    assert grown.parts[0].appends == ["u2", "u1"]
    shrunk = plan_delta(entries(["u1", "u2"]), [master], KEYS, prune=True, base_name="M")
    p = shrunk.parts[0]
    assert p.after == ["u1", "u2"]  # the latest copy of u1 goes
    assert p.delete_uris == ["u1"] and p.restores() == [(0, ["u1"])]
    assert [n.uri for n in shrunk.over_weight] == ["u1"]


def test_weighted_copies_removed_by_hand_count_as_the_users_choice() -> None:
    master = part(["u1", "u2"], ["u1", "u2", "u1"])  # the user removed one of two u1 copies
    same = plan_delta(entries(["u1", "u2", "u1"]), [master], KEYS, prune=True, base_name="M")
    assert same.up_to_date
    grown = plan_delta(entries(["u1", "u2", "u1", "u1"]), [master], KEYS, prune=True, base_name="M")
    assert grown.parts[0].appends == ["u1"]  # weight 3 > 2 accounted: one new repeat


def test_restores_are_grouped_into_runs_of_consecutive_positions() -> None:
    master = part(["u1", "u1", "u2", "u1", "u3"], ["u1", "u2", "u3"])  # u1 twice by hand
    delta = plan_delta(entries(["u2", "u3"]), [master], KEYS, prune=True, base_name="M")
    p = delta.parts[0]
    assert p.after == ["u1", "u2", "u1", "u3"]
    assert p.restores() == [(0, ["u1"]), (2, ["u1"])]


def test_unavailable_and_local_entries_count_as_added_by_hand() -> None:
    master = part(["u1", None, "spotify:local:a:b:c:1"], ["u1"])
    delta = plan_delta(entries(["u1"]), [master], KEYS, prune=True, base_name="M")
    assert delta.up_to_date and len(delta.added_by_hand) == 2


def test_empty_master_is_rejected() -> None:
    with pytest.raises(ValueError):
        plan_delta(entries(["u1"]), [], KEYS, prune=False, base_name="M")


# -- the planner against the independent model, over random histories ----------------------------

URIS = sorted(KEYS)


Edit = tuple[str, int, int]
History = tuple[bool, list[str], list[tuple[list[str], list[Edit], bool]], int]


@st.composite
def histories(draw: st.DrawFn) -> History:
    weighted = draw(st.booleans())
    # A small pool makes repeats, hand copies of tool URIs and weight changes common.
    pool = [*URIS[: draw(st.integers(3, len(URIS)))], "u1b", "u2b"]
    uri_lists = st.lists(st.sampled_from(pool), max_size=14)
    initial = draw(uri_lists)
    steps: list[tuple[list[str], list[Edit], bool]] = []
    for _ in range(draw(st.integers(1, 4))):
        plan = draw(uri_lists)
        edits = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(("add", "remove", "reorder")), st.integers(0, 50), st.integers(0, 50)
                ),
                max_size=4,
            )
        )
        steps.append((plan, edits, draw(st.booleans())))
    return weighted, initial, steps, draw(st.integers(2, 6))


def as_plan(uris: list[str], weighted: bool) -> list[str]:
    """A plan as `run` would make it: one URI per song (the first copy seen), repeats only if weighted."""
    first: dict[str, str] = {}
    out: list[str] = []
    for u in uris:
        s = KEYS[u]
        if s in first and not weighted:
            continue
        out.append(first.setdefault(s, u))
    return out


@settings(max_examples=300, deadline=None)
@given(histories())
def test_the_planner_matches_the_independent_model(history: History) -> None:
    weighted, initial, steps, cap = history
    first = as_plan(initial, weighted) or ["u0"]
    chunks = [first[i : i + cap] for i in range(0, len(first), cap)]
    names = [f"M ({i + 1}/{len(chunks)})" for i in range(len(chunks))]
    model = MasterModel.after_run(chunks, names, "M")
    # What the tool holds: the playlists, and per part the ledger it keeps from its own writes.
    actual: list[list[str | None]] = [list(c) for c in chunks]
    ledgers = [Counter(c) for c in chunks]
    for plan_uris, edits, prune in steps:
        for kind, a, b in edits:
            p = a % len(actual)
            n = len(actual[p])
            if kind == "add":
                # Half the time a copy of an entry already there (a hand duplicate of a tool URI).
                there = actual[p][b % n] if n and a % 2 else None
                uri = there or URIS[b % 12]
                model.hand_add(p, [uri], a % (n + 1))
                actual[p][a % (n + 1) : a % (n + 1)] = [uri]
            elif kind == "remove" and n:
                model.hand_remove(p, [b % n])
                del actual[p][b % n]
            elif kind == "reorder" and n:
                model.hand_reorder(p, b % n, a % (n + 1))
                moved = actual[p].pop(b % n)
                at = a % (n + 1)
                actual[p].insert(at if at <= b % n else at - 1, moved)
        assert actual == model.parts
        plan = as_plan(plan_uris, weighted)
        states = [
            PartContents(i + 1, f"pl{i}", f"p{i}", list(c), Counter(ledgers[i])) for i, c in enumerate(actual)
        ]
        delta = plan_delta(
            [PlanEntry(u, KEYS[u], KEYS[u]) for u in plan], states, KEYS, prune=prune, base_name="M", cap=cap
        )
        model.sync(plan, KEYS.get, prune=prune, cap=cap)
        actual = [p.after for p in delta.parts]
        for change in delta.parts:
            if change.is_new:
                ledgers.append(Counter())
            led = ledgers[change.index - 1]
            for r in change.removals:
                led[r.uri] -= len(r.removed)
            led.update(change.appends)
            for u in [u for u, k in led.items() if k <= 0]:
                del led[u]
        assert actual == model.parts, (plan, prune)
        # A sync leaves the master up to date: planning again at once changes nothing.
        again = [PartContents(i + 1, f"pl{i}", f"p{i}", list(c), Counter()) for i, c in enumerate(actual)]
        assert [Counter(+led) for led in ledgers] == [Counter(+led) for led in model.ledger]
        for state, led in zip(again, ledgers, strict=True):
            state.ledger = Counter(led)
        entries = [PlanEntry(u, KEYS[u], KEYS[u]) for u in plan]
        assert plan_delta(entries, again, KEYS, prune=prune, base_name="M", cap=cap).up_to_date
        assert [p.name for p in delta.parts if p.is_new] == model.names[
            len(model.names) - len(delta.new_parts) :
        ]
