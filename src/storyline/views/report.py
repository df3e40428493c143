"""What the HTML report of a story (or of compared versions) shows, as plain values: the versions
in columns with every sentence's status, the facts, conflicts, entities, timeline, pairs and copy
links. :mod:`storyline.report.html` renders it (and only renders); tested apart from the HTML."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..models import Article, Comparison, CopyLink, Entity, Passage, Story
from ..text.dates import date_sort_key
from ..text.normalize import fold
from .versions import facts_to_json

#: a story with more versions than this shows ``SHOWN_VERSIONS`` of them side by side at first; the
#: reader ticks the others in (no script: CSS ``:has()``), and the rest are listed collapsed
PICK_ABOVE = 4
SHOWN_VERSIONS = 3

#: one colour per version, cycling after ten; each holds white 12 px badge letters at a contrast of
#: at least 4.5:1 (WCAG AA): 6.6, 5.6, 5.1, 7.6, 4.8, 5.6, 5.9, 7.0, 5.5, 5.6
PALETTE = (
    "#1f5f9e", "#c62828", "#2e7d32", "#6a3d9a", "#b35900",
    "#00737a", "#8c564b", "#ad1457", "#5f6b76", "#6b6b00",
)  # fmt: skip


def version_label(k: int) -> str:
    """A, B, ..., Z, AA, AB, ...: short names for versions."""
    letters = ""
    k += 1
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _safe_url(url: str) -> str:
    """The URL when it is plain http(s) (then it may be a link), else ""."""
    return url if url.lower().startswith(("http://", "https://")) and '"' not in url else ""


def report_context(
    story: Story | None, articles: Sequence[Article], comparison: Comparison, copies: Sequence[CopyLink] = ()
) -> dict[str, Any]:
    """Everything the template shows, as plain values (tested apart from the HTML)."""
    by_id = {a.id: a for a in articles}
    ids = list(comparison.article_ids)
    label = {i: version_label(k) for k, i in enumerate(ids)}
    color = {i: PALETTE[k % len(PALETTE)] for k, i in enumerate(ids)}
    group_of: dict[Passage, int] = {}
    for number, group in enumerate(comparison.groups, start=1):
        for p in group:
            group_of[p] = number
    agreed = {p for g in comparison.agreed() for p in g}
    # a name conflict lists the consensus spelling first: that sentence is right; every sentence using
    # a flagged spelling is not
    why: dict[tuple[str, int], list[str]] = defaultdict(list)
    for c in comparison.conflicts:
        for p in c.sentences if c.kind != "name" else ():
            why[(p.article_id, p.index)].append(c.kind)
    for pair in comparison.pairs:
        for p in (pair.a, pair.b) if pair.relation == "conflict" else ():
            why[(p.article_id, p.index)].append("number" if "numbers" in pair.evidence else "date")
    for e in comparison.entities:
        flagged = {fold(v).removesuffix("s") for v in e.flagged}
        for m in e.mentions:
            if fold(m.form).removesuffix("s") in flagged:
                why[(m.article_id, m.index)].append(f"spelling of {e.name}")
    conflicting = {p for p in comparison.passages if (p.article_id, p.index) in why}
    conflicting |= {p for pair in comparison.pairs if pair.relation == "conflict" for p in (pair.a, pair.b)}
    unique = set(comparison.unique)
    versions = []
    for i in ids:
        article = by_id.get(i)
        rows = []
        # a title is in the version's header; its alignments are in the facts
        for p in (p for p in comparison.passages if p.article_id == i and p.kind != "title"):
            group = comparison.groups[group_of[p] - 1] if p in group_of else ()
            others = sorted({label[q.article_id] for q in group if q.article_id != i})
            status = "conflict" if p in conflicting else "unique" if p in unique else "shared"
            rows.append(
                {
                    "anchor": f"p-{label[i]}-{p.index}",
                    "text": p.text,
                    "status": status,
                    "agreed": p in agreed,
                    "embed": p.kind.removeprefix("embed:") if p.kind.startswith("embed:") else "",
                    "fact": group_of.get(p),
                    "also_in": others,
                    "why": ", ".join(dict.fromkeys(why.get((p.article_id, p.index), []))),
                    "closest": "; ".join(
                        f"closest in {label.get(c['article'], c['article'])}: {c['why_not']}"
                        for c in comparison.unique_evidence.get(p, ())
                    ),
                }
            )
        reference = comparison.references.get(i, {})
        title = next((p for p in comparison.passages if p.article_id == i and p.kind == "title"), None)
        versions.append(
            {
                "id": i,
                "label": label[i],
                # the header's headline is the target of the badges of facts that cite the title
                "title_anchor": f"p-{label[i]}-{title.index}" if title is not None else "",
                "color": color[i],
                "title": article.headline if article else i,
                "source": article.source if article else "",
                "url": article.url if article else "",
                "link": _safe_url(article.url) if article else "",
                "published": (article.published or "") if article else "",
                # the story stage did not believe this date (far in the future): it placed the
                # version as undated
                "date_doubted": bool(story and i in story.doubted_dates),
                "language": comparison.evidence.get("languages", {}).get(i, ""),
                "reference": reference,
                "rows": rows,
                "only": sum(1 for r in rows if r["status"] == "unique"),
            }
        )

    def ref(p: Passage) -> dict[str, Any]:
        return {
            "label": label[p.article_id],
            "color": color[p.article_id],
            "anchor": f"p-{label[p.article_id]}-{p.index}",
            "text": p.text,
            "kind": p.kind,
        }

    timeline: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in comparison.timeline:
        timeline[entry.date].append(
            {
                **ref(entry.sentence),
                "expression": entry.expression,
                "relative": entry.relative,
                "precision": entry.precision,
                "rule": str(entry.evidence.get("rule", "")),
                "reference_note": str((entry.evidence.get("reference") or {}).get("note", "")),
                "sources": sorted((label[s] for s in entry.sources if s in label), key=lambda x: (len(x), x)),
            }
        )
    pair_groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for pair in comparison.pairs:
        pair_groups[(label[pair.a.article_id], label[pair.b.article_id])].append(
            {
                "a": ref(pair.a),
                "b": ref(pair.b),
                "relation": pair.relation,
                "similarity": pair.similarity,
                "decided_by": pair.evidence.get("decided_by", ""),
                "diff": [{"op": op, "a": x, "b": y} for op, x, y in pair.diff],
            }
        )
    for ps in pair_groups.values():  # the close renderings first; the loose fact matches after them
        ps.sort(key=lambda q: not _close(q))
    links = [*comparison.copies, *(c for c in copies if c not in comparison.copies)]
    many = len(versions) > PICK_ABOVE
    for k, v in enumerate(versions):
        v["picked"] = not many or k < SHOWN_VERSIONS
    by_key = {(p.article_id, p.index): p for p in comparison.passages}
    return {
        "many_versions": many,
        "close_cosine": CLOSE_COSINE,
        "title": (story.title if story else "") or (versions[0]["title"] if versions else "Comparison"),
        "story_id": story.id if story else "",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": versions,
        "has_embeds": any(r["embed"] for v in versions for r in v["rows"]),
        "counts": {
            "versions": len(ids),
            "facts": len(comparison.groups),
            "agreed": len(comparison.agreed()),
            "pairs": len(comparison.pairs),
            "unique": len(comparison.unique),
            "conflicts": len(comparison.conflicts),
            # the entities the table lists: named more than once, or spelled in a flagged way
            "entities": sum(1 for e in comparison.entities if _listed(e)),
            "entities_once": sum(1 for e in comparison.entities if not _listed(e)),
        },
        "conflicts": [
            _with_sayings(
                {
                    "kind": c.kind,
                    "subject": c.subject,
                    "rule": str(c.evidence.get("rule", "")),
                    "sentences": sorted(
                        (
                            {**ref(p), "value": v, "consensus": c.kind == "name" and v == c.subject}
                            for p, v in zip(c.sentences, c.values, strict=True)
                        ),
                        key=lambda r: (not r["consensus"], len(r["label"]), r["label"]),
                    ),
                }
            )
            for c in comparison.conflicts
        ],
        "entities": [
            {
                "name": e.name,
                "label": e.label,
                "variants": [
                    {
                        "form": v,
                        "flagged": v in e.flagged,
                        "note": str(e.evidence.get("variants", {}).get(v, "")),
                    }
                    for v in e.variants
                ],
                "mentions": len(e.mentions),
                "versions": sorted({label[m.article_id] for m in e.mentions if m.article_id in label}),
            }
            for e in comparison.entities
            if _listed(e)
        ],
        "timeline": [
            {"date": d, "entries": _same_rows(timeline[d])} for d in sorted(timeline, key=date_sort_key)
        ],
        "pair_groups": [
            {
                "a": a,
                "b": b,
                "pairs": ps,
                "close": [q for q in ps if _close(q)],
                "loose": [q for q in ps if not _close(q)],
            }
            for (a, b), ps in pair_groups.items()
        ],
        "facts": [_fact_view(f, label, by_key, ref) for f in facts_to_json(comparison)],
        "copies": [
            {
                "copy": label.get(c.copy, c.copy),
                "original": label.get(c.original, c.original),
                "type": str(c.type),
                "score": c.score,
                "rule": str(c.evidence.get("rule", "")),
                "original_by": _original_by(c.evidence, label),
            }
            for c in links
        ],
    }


#: an aligned pair the paraphrase model did not align is shown among the close renderings only from
#: this cosine; below it, the fact model matched two sentences of one fact in other words (a
#: headline and the sentence that tells it in full), which a word-by-word diff mostly strikes out
CLOSE_COSINE = 0.6


def _close(pair: dict[str, Any]) -> bool:
    """Whether an aligned pair is one sentence rendered twice (its word diff reads well)."""
    return bool(pair["decided_by"] != "fact model" or pair["similarity"] >= CLOSE_COSINE)


def _original_by(evidence: dict[str, Any], label: dict[str, str]) -> str:
    """How a copy link's original was told from its copy, in words, versions by their labels."""
    how = evidence.get("original_by", "")
    if how == "earlier-date":
        return "the original was published first"
    if how == "undecided":
        return "which came first is unknown (same day, no other sign)"
    reasons = [str(r) for r in evidence.get("original_reasons", ()) if "publication date" not in str(r)]
    for article_id, name in sorted(label.items(), key=lambda kv: -len(kv[0])):
        reasons = [r.replace(article_id, name) for r in reasons]
    return "the original by its signs: " + "; ".join(reasons) if reasons else str(how)


def _listed(entity: Entity) -> bool:
    """Whether the report's Entities table lists an entity: named more than once, or flagged."""
    return len(entity.mentions) > 1 or bool(entity.flagged)


def _label_key(label: str) -> tuple[int, str]:
    """Version labels in their order: A … Z, then AA …"""
    return (len(label), label)


def _pair_key(pair: tuple[str, str]) -> tuple[tuple[int, str], tuple[int, str]]:
    return (_label_key(pair[0]), _label_key(pair[1]))


def _same_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timeline entries of one date, the ones saying the same thing dated the same way (one
    sentence told word for word by several versions) as one row with every version's badge."""
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for e in entries:
        key = (e["text"], e["kind"], e["expression"], e["rule"], e["reference_note"])
        if key in rows:
            rows[key]["badges"].append(e)
        else:
            rows[key] = {**e, "badges": [e]}
    return list(rows.values())


def _fact_view(
    f: dict[str, Any],
    label: dict[str, str],
    by_key: dict[tuple[str, int], Passage],
    ref: Callable[[Passage], dict[str, Any]],
) -> dict[str, Any]:
    """One fact for the report: its wordings in version order (a wording several versions share
    word for word once, with all their badges), and its differences, the pairs of versions that
    differ the same way on one line."""
    wording = sorted(
        (ref(by_key[(w["article"], w["index"])]) for w in f["wording"]), key=lambda r: _label_key(r["label"])
    )
    wordings: dict[tuple[str, str], dict[str, Any]] = {}
    for r in wording:
        group = wordings.setdefault(
            (r["text"], r["kind"]), {"text": r["text"], "kind": r["kind"], "refs": []}
        )
        group["refs"].append(r)
    differs: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for d in f["differs"]:
        a, b = label[d["a"]["article"]], label[d["b"]["article"]]
        only_a, only_b = ", ".join(d.get("only_a", [])), ", ".join(d.get("only_b", []))
        numbers = [(n["unit"], str(n["a"]), str(n["b"])) for n in d.get("numbers", [])]
        dates = (d["dates"]["a"], d["dates"]["b"]) if "dates" in d else None
        if _label_key(b) < _label_key(a):  # one orientation, so that 14 / 12 and 12 / 14 read alike
            a, b, only_a, only_b = b, a, only_b, only_a
            numbers = [(u, y, x) for u, x, y in numbers]
            dates = (dates[1], dates[0]) if dates else None
        value_diff = "; ".join(
            [f"{u}: {x} / {y}" for u, x, y in numbers] + ([f"date: {dates[0]} / {dates[1]}"] if dates else [])
        )
        differs.setdefault((value_diff, only_a, only_b), []).append((a, b))
    return {
        "number": f["fact"],
        "status": f["status"],
        "everyone": f["everyone"],
        "wording": wording,
        "wordings": list(wordings.values()),
        "differs": [
            {
                "pairs": ", ".join(f"{a} / {b}" for a, b in sorted(pairs, key=_pair_key)),
                "a": pairs[0][0] if len(pairs) == 1 else "the first",
                "b": pairs[0][1] if len(pairs) == 1 else "the second",
                "value_diff": value_diff,
                "only_a": only_a,
                "only_b": only_b,
            }
            for (value_diff, only_a, only_b), pairs in differs.items()
        ],
    }


def _with_sayings(conflict: dict[str, Any]) -> dict[str, Any]:
    """A conflict with ``sayings``: its sentences, the ones several versions word alike with the
    same value once, with all their badges (twelve copies of one sentence are one line)."""
    sayings: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in conflict["sentences"]:
        key = (str(r["value"]), r["text"], r["consensus"])
        sayings.setdefault(key, {**r, "badges": []})["badges"].append(r)
    return {**conflict, "sayings": list(sayings.values())}
