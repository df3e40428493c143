"""The one union-find (graph.py) that story links, entity forms and fact groups share."""

from __future__ import annotations

from storyline.graph import UnionFind, connected_groups


def test_connected_groups_keep_first_seen_order() -> None:
    links = [("b", "a"), ("c", "d"), ("x", "x"), ("d", "a"), ("e", "f")]
    assert connected_groups(links) == [["b", "a", "c", "d"], ["x"], ["e", "f"]]


def test_union_keeps_the_root_of_into_and_records_the_first_reason() -> None:
    groups: UnionFind[str] = UnionFind(["k1", "k2", "k3"])
    assert groups.union("k1", "k2", "plural")
    assert groups.find("k1") == "k2"
    assert not groups.union("k2", "k1", "again")  # one group already: nothing recorded
    assert groups.union("k1", "k3", "later")  # k1's group joins k3's; k1 keeps its first reason
    assert groups.why == {"k1": "plural"}
    assert {groups.find(k) for k in ("k1", "k2", "k3")} == {"k3"}
    assert groups.groups() == {"k3": ["k1", "k2", "k3"]}


def test_any_hashable_key() -> None:
    groups: UnionFind[tuple[int, int]] = UnionFind()
    groups.union((1, 2), (3, 4))
    groups.union((5, 6), (5, 6))
    assert list(groups.groups().values()) == [[(3, 4), (1, 2)], [(5, 6)]]
