"""Connected groups of linked keys (one union-find for every stage)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def connected_groups(links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The connected groups of the ids that ``links`` join (a pair ``(x, x)`` adds ``x`` alone),
    each in first-seen order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[find(b)] = find(a)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        groups[find(x)].append(x)
    return list(groups.values())
