"""Connected groups of linked keys: one union-find for every stage (story links, entity forms,
fact groups)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class UnionFind(Generic[K]):
    """Union-find (path halving) over hashable keys, kept in first-seen order.

    ``why`` records, for a key whose union joined two groups, the reason given to its first such
    :meth:`union` (entity merging explains its merges with it)."""

    def __init__(self, keys: Iterable[K] = ()) -> None:
        self.parent: dict[K, K] = {}
        self.why: dict[K, str] = {}
        for key in keys:
            self.parent.setdefault(key, key)

    def find(self, key: K) -> K:
        """The root of ``key``'s group (a new key is a group of its own)."""
        parent = self.parent
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(self, key: K, into: K, why: str | None = None) -> bool:
        """Join ``key``'s group into ``into``'s (whose root stays the root); False when they were
        one group already. ``into`` is seen before ``key`` when both are new."""
        b = self.find(into)
        a = self.find(key)
        if a == b:
            return False
        self.parent[a] = b
        if why is not None:
            self.why.setdefault(key, why)
        return True

    def groups(self) -> dict[K, list[K]]:
        """Root -> the keys of its group, groups and keys in first-seen order."""
        out: dict[K, list[K]] = defaultdict(list)
        for key in self.parent:
            out[self.find(key)].append(key)
        return out


def connected_groups(links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The connected groups of the ids that ``links`` join (a pair ``(x, x)`` adds ``x`` alone),
    each in first-seen order."""
    groups: UnionFind[str] = UnionFind()
    for a, b in links:
        groups.union(b, a)
    return list(groups.groups().values())
