"""Spotify's ``fields`` response filter.

Syntax (from the Web API reference): a comma-separated list of field names; ``a.b`` descends into a
non-repeating object; ``a(b,c)`` selects fields inside ``a`` and applies to every element when ``a`` is a
list; ``!name`` excludes a field. Example: ``items(added_at,item(name,album(name,href)))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


class FieldsError(ValueError):
    pass


@dataclass
class Spec:
    include: dict[str, Spec | None] = field(default_factory=dict)
    exclude: set[str] = field(default_factory=set)


def _parse_field(s: str, i: int, depth: int) -> tuple[str, bool, Spec | None, int]:
    """One field at `i`: its name, whether it is excluded (`!`), its sub-selection, and the next index."""
    neg = False
    if i < len(s) and s[i] == "!":
        neg, i = True, i + 1
    start = i
    while i < len(s) and s[i] not in ",.()!":
        i += 1
    name = s[start:i].strip()
    if not name:
        raise FieldsError("empty field name")
    sub: Spec | None = None
    if i < len(s) and s[i] == ".":
        # After a dot comes exactly one (possibly nested) field: `added_by.id`, `item.album(name)`.
        one, i = Spec(), i + 1
        sub_name, sub_neg, sub_sub, i = _parse_field(s, i, depth)
        if sub_neg:
            one.exclude.add(sub_name)
        else:
            one.include[sub_name] = sub_sub
        sub = one
    elif i < len(s) and s[i] == "(":
        sub, i = _parse_list(s, i + 1, depth + 1)
        if i >= len(s) or s[i] != ")":
            raise FieldsError("unbalanced parentheses")
        i += 1
    return name, neg, sub, i


def _parse_list(s: str, i: int, depth: int) -> tuple[Spec, int]:
    spec = Spec()
    while True:
        name, neg, sub, i = _parse_field(s, i, depth)
        if neg:
            spec.exclude.add(name)
        else:
            prev = spec.include.get(name)
            spec.include[name] = _merge(prev, sub) if name in spec.include else sub
        if i >= len(s):
            if depth:
                raise FieldsError("unbalanced parentheses")
            return spec, i
        if s[i] == ",":
            i += 1
            continue
        if s[i] == ")" and depth:
            return spec, i
        raise FieldsError(f"unexpected {s[i]!r} at {i}")


def _merge(a: Spec | None, b: Spec | None) -> Spec | None:
    if a is None or b is None:
        return None  # one of them asked for the whole field
    out = Spec(dict(a.include), a.exclude | b.exclude)
    for k, v in b.include.items():
        out.include[k] = _merge(out.include[k], v) if k in out.include else v
    return out


@lru_cache(maxsize=256)
def parse_fields(text: str) -> Spec:
    text = text.strip()
    if not text:
        raise FieldsError("empty fields")
    spec, _ = _parse_list(text, 0, 0)
    return spec


def wants(spec: Spec | None, name: str) -> bool:
    """Whether a top-level field would survive the filter (lets callers skip rendering it)."""
    if spec is None:
        return True
    if spec.include:
        return name in spec.include
    return name not in spec.exclude


def apply(spec: Spec | None, value: Any) -> Any:
    if spec is None or value is None:
        return value
    if isinstance(value, list):
        return [apply(spec, v) for v in value]
    if not isinstance(value, dict):
        return value
    if spec.include:
        return {k: apply(sub, value[k]) for k, sub in spec.include.items() if k in value}
    return {k: v for k, v in value.items() if k not in spec.exclude}
