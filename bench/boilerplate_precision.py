"""Precision of learned boilerplate removal, on a hand-labelled sample of the real texts.

The gold (``bench/boilerplate_gold.jsonl``) holds references only, never the third-party text: each line
names a record of the corpus that ``bench/boilerplate.py`` builds from ``../shared/bench`` (``ecb:<doc_id>``
from ``ecbplus/dev.jsonl``, ``sts:<id>`` from ``sts22/train.csv``), the key of one of its sentences
(:func:`storyline.clean.keys.sentence_key`: words case-folded, digits masked), its language, and a
label read by a person: ``boilerplate`` (cookie and consent notices, disclaimers, paywall and ad-blocker
prompts, forum footers, share and follow prompts, a site's about-us blurb) or ``content`` (the news).

The script ingests the corpus (or reads ``--db`` from an earlier ``bench/boilerplate.py --db``), finds
each referenced sentence among the article's kept sentences or its removed spans, and prints, for the
sentences the learner removed, the share that is boilerplate, and for those it kept, the share that is
content, overall and per language; then every disagreement.

    .venv/bin/python bench/boilerplate_precision.py --db /tmp/bp.db      # a store from bench/boilerplate.py
    .venv/bin/python bench/boilerplate_precision.py                       # ingests the corpus itself
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from boilerplate import corpus_records

from storyline.clean.boilerplate import REASONS
from storyline.clean.keys import sentence_key
from storyline.models import Article
from storyline.pipeline import prepare_article
from storyline.readers.sources import record_to_article

GOLD = Path(__file__).with_name("boilerplate_gold.jsonl")


def decisions(db_path: Path) -> dict[str, dict[int, str]]:
    """Record id -> sentence key -> "removed" or "kept", as the store has them."""
    db = sqlite3.connect(db_path)
    out: dict[str, dict[int, str]] = {}
    for ext, sentences, removed in db.execute("SELECT external_id, sentences, removed FROM articles"):
        seen = out.setdefault(ext, {})
        for sentence in json.loads(sentences):
            seen.setdefault(sentence_key(sentence), "kept")
        for reason, text in json.loads(removed):
            if reason.startswith(REASONS):
                seen[sentence_key(text)] = "removed"
    # a record quarantined as all boilerplate had every sentence removed; positions are "line N" of the
    # corpus file, written in the order of corpus_records()
    records = list(corpus_records())
    for position, reason in db.execute("SELECT position, reason FROM quarantine"):
        if "learned boilerplate" not in reason or not str(position).startswith("line "):
            continue
        record = records[int(str(position).split()[1]) - 1]
        article = prepare_article(record_to_article(record, origin="corpus", position=str(position)))
        if isinstance(article, Article):
            out[record["doc_id"]] = {sentence_key(s): "removed" for s in article.sentences}
    db.close()
    return out


def main() -> None:
    """Resolve the gold references, score the store's decisions, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", type=Path, help="a store written by bench/boilerplate.py (default: ingest now)"
    )
    parser.add_argument("--gold", type=Path, default=GOLD)
    args = parser.parse_args()
    gold = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="storyline-bpp-") as tmp:
        db = args.db
        if db is None:
            from storyline.pipeline import ingest
            from storyline.store.sqlite import SQLiteStore

            corpus = Path(tmp) / "corpus.jsonl"
            corpus.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus_records()), encoding="utf-8"
            )
            db = Path(tmp) / "corpus.db"
            with SQLiteStore(db) as store:
                ingest([str(corpus)], store)
        found = decisions(db)
    texts = {r["doc_id"]: r["text"] for r in corpus_records()}
    table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)  # (decision, language) -> labels
    wrong: list[tuple[str, dict[str, object]]] = []
    missing = 0
    for item in gold:
        record, key, label, lang = (
            str(item["record"]),
            int(item["key"]),
            str(item["label"]),
            str(item["lang"]),
        )
        if record not in texts:
            missing += 1
            continue
        decision = found.get(record, {}).get(key)
        if decision is None:
            missing += 1
            continue
        table[(decision, lang)][label] += 1
        expected = "removed" if label == "boilerplate" else "kept"
        if decision != expected:
            wrong.append((decision, item))
    langs = sorted({lang for _, lang in table})
    print(f"gold: {len(gold)} labelled sentences ({args.gold.name}); {missing} not found in the store")
    for decision, good in (("removed", "boilerplate"), ("kept", "content")):
        total = Counter[str]()
        for lang in langs:
            total.update(table[(decision, lang)])
        n = sum(total.values())
        per = "  ".join(
            f"{lang} {table[(decision, lang)][good]}/{sum(table[(decision, lang)].values())}"
            for lang in langs
            if table[(decision, lang)]
        )
        print(f"{decision}: {n} sentences, precision {total[good] / max(1, n):.3f} ({good}) | {per}")
    for decision, item in wrong:
        print(
            f"  {decision} but labelled {item['label']}: {item['record']} key {item['key']} ({item['lang']})"
        )


if __name__ == "__main__":
    main()
