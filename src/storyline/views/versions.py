"""The comparison of versions as plain JSON values: what ``storyline compare --json`` prints, what
the HTML report's facts are built from (:mod:`storyline.views.report`), what the API returns."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

from ..compare.versions import fact_status
from ..models import Article, Comparison, Passage, to_dict


def _ref(p: Passage) -> dict[str, Any]:
    return {"article": p.article_id, "index": p.index, "text": p.text, "kind": p.kind}


def facts_to_json(comparison: Comparison) -> list[dict[str, Any]]:
    """The facts told by two or more versions: each once, with every version's wording, its
    status (shared / partly shared / conflicting) and, for a partial pair, the words each side
    has that the other lacks."""
    pairs = {frozenset((p.a, p.b)): p for p in comparison.pairs}
    out = []
    for number, group in enumerate(comparison.groups, start=1):
        differs = []
        for a, b in combinations(group, 2):
            pair = pairs.get(frozenset((a, b)))
            if pair is None or pair.relation == "same":
                continue
            entry: dict[str, Any] = {"a": _ref(pair.a), "b": _ref(pair.b), "relation": pair.relation}
            for key in ("only_a", "only_b", "numbers", "dates"):
                if key in pair.evidence:
                    entry[key] = to_dict(pair.evidence[key])
            differs.append(entry)
        out.append(
            {
                "fact": number,
                "status": fact_status(group, pairs),
                "versions": sorted({p.article_id for p in group}),
                "everyone": {p.article_id for p in group} >= set(comparison.article_ids),
                "wording": [_ref(p) for p in group],
                "differs": differs,
            }
        )
    return out


def comparison_to_json(comparison: Comparison, articles: Sequence[Article] = ()) -> dict[str, Any]:
    """The comparison as plain JSON values: ``entities``, ``timeline``, ``shared``, ``only_in``,
    ``conflicts`` (the shape ``storyline compare --json`` prints), plus ``agreed`` facts,
    ``copies``, reference dates and evidence. ``articles`` adds each version's title and source."""
    by_id = {a.id: a for a in articles}
    return {
        "articles": [
            {
                "id": i,
                "title": by_id[i].headline if i in by_id else "",
                "source": by_id[i].source if i in by_id else "",
                "url": by_id[i].url if i in by_id else "",
                "published": by_id[i].published if i in by_id else None,
                "reference_date": comparison.references.get(i, {}),
                "passages": sum(1 for p in comparison.passages if p.article_id == i),
            }
            for i in comparison.article_ids
        ],
        "entities": [
            {
                "name": e.name,
                "label": e.label,
                "variants": list(e.variants),
                "flagged": list(e.flagged),
                "mentions": len(e.mentions),
                "articles": sorted({m.article_id for m in e.mentions}),
                "evidence": to_dict(e.evidence),
            }
            for e in comparison.entities
        ],
        "timeline": [
            {
                "date": t.date,
                "precision": t.precision,
                "sentence": t.sentence.text,
                "article": t.sentence.article_id,
                "index": t.sentence.index,
                "kind": t.sentence.kind,
                "expression": t.expression,
                "relative": t.relative,
                "sources": list(t.sources),
                "evidence": to_dict(t.evidence),
            }
            for t in comparison.timeline
        ],
        "shared": [
            {
                "a": _ref(p.a),
                "b": _ref(p.b),
                "relation": p.relation,
                "score": p.score,
                "similarity": p.similarity,
                "diff": [{"op": op, "a": x, "b": y} for op, x, y in p.diff],
                "evidence": to_dict(p.evidence),
            }
            for p in comparison.pairs
        ],
        "agreed": [[_ref(p) for p in group] for group in comparison.agreed()],
        "facts": facts_to_json(comparison),
        "only_in": {
            i: [
                {**_ref(p), "closest": [dict(c) for c in comparison.unique_evidence.get(p, ())]}
                for p in comparison.only_in(i)
            ]
            for i in comparison.article_ids
        },
        "conflicts": [
            {
                "kind": c.kind,
                "subject": c.subject,
                "values": list(c.values),
                "sentences": [_ref(p) for p in c.sentences],
                "evidence": to_dict(c.evidence),
            }
            for c in comparison.conflicts
        ],
        "copies": to_dict(list(comparison.copies)),
        "evidence": to_dict(comparison.evidence),
    }
