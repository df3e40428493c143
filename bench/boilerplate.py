"""Boilerplate on real scraped text: the copy links of 3,118 real texts, and what was learned.

Builds the corpus of issue 14 from ``../shared/bench`` (never copied into the repository): the ECB+ dev
articles (``ecbplus/dev.jsonl``: ``doc_id``, ``text``, ``url``) and every distinct text of the STS22
training pairs (``sts22/train.csv``: ``pair_id`` is ``<id1>_<id2>``, ``text1``/``text2`` with
``lang1``/``lang2``; scraped blobs, the headline often glued to the page's banner). It writes them as
one JSONL file in a temporary folder and runs ``storyline run`` on it with the default settings
(``--no-reports``), then prints:

* the copy links by type;
* every link that joins texts of neither one STS22 pair, nor one STS22 text and its machine translation
  (``<id>`` and ``<id>es``), nor one ECB+ story: candidates for links made through shared boilerplate,
  with both headlines and the evidence;
* with ``--save FILE``: the links as JSON (by record id); with ``--against FILE``: the links that appeared
  and disappeared since that file (run the same command on the commit before a change to get it);
* when the store has learned boilerplate (``storyline boilerplate``): how many keys, per scope.

    .venv/bin/python bench/boilerplate.py --save /tmp/links-before.json          # on the old commit
    .venv/bin/python bench/boilerplate.py --against /tmp/links-before.json       # after the change
    .venv/bin/python bench/boilerplate.py --db /tmp/bp.db --reuse                 # print from an existing run

Precision of the removal on the labelled sample: ``bench/boilerplate_precision.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench"
ECB = SHARED / "ecbplus" / "dev.jsonl"
STS = SHARED / "sts22" / "train.csv"


def corpus_records() -> Iterator[dict[str, str]]:
    """The corpus as ingest records: ECB+ first (file order), then each STS22 text once (first seen)."""
    with ECB.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            yield {"doc_id": f"ecb:{doc['doc_id']}", "text": doc["text"], "url": doc.get("url") or ""}
    seen: set[str] = set()
    with STS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for side, text_id in zip(("1", "2"), row["pair_id"].split("_"), strict=True):
                if text_id in seen:
                    continue
                seen.add(text_id)
                yield {"doc_id": f"sts:{text_id}", "text": row[f"text{side}"], "language": row[f"lang{side}"]}


def groups() -> dict[str, set[str]]:
    """Record id -> the labels saying which other records it belongs with (ECB+ story, STS22 pairs)."""
    out: dict[str, set[str]] = {}
    with ECB.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            out.setdefault(f"ecb:{doc['doc_id']}", set()).add(f"story:{doc['story']}")
    with STS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            a, b = row["pair_id"].split("_")
            for t in (a, b):
                # "1484394669es" is the Spanish machine translation of text 1484394669
                base = t.rstrip("abcdefghijklmnopqrstuvwxyz")
                out.setdefault(f"sts:{t}", set()).update({f"pair:{row['pair_id']}", f"text:{base}"})
    return out


def _headline(db: sqlite3.Connection, article_id: str) -> tuple[str, str]:
    row = db.execute("SELECT external_id, title, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return article_id, ""
    head = row[1] or row[2].strip().split("\n", 1)[0]
    head = "".join(ch if ch.isprintable() else " " for ch in head)
    return row[0], head[:90]


def read_links(db_path: Path) -> list[dict[str, object]]:
    """The copy links of a store, by record id, with headlines and evidence."""
    db = sqlite3.connect(db_path)
    links = []
    for copy, original, kind, score, evidence in db.execute(
        "SELECT copy, original, type, score, evidence FROM copies ORDER BY rowid"
    ):
        ev = json.loads(evidence)
        (copy_ext, copy_head), (orig_ext, orig_head) = _headline(db, copy), _headline(db, original)
        links.append(
            {
                "copy": copy_ext,
                "original": orig_ext,
                "type": kind,
                "score": score,
                "copy_headline": copy_head,
                "original_headline": orig_head,
                "rule": ev.get("rule", ""),
                "shared_content": ev.get("shared_content"),
            }
        )
    db.close()
    return links


def _key(link: dict[str, object]) -> tuple[str, str]:
    return tuple(sorted((str(link["copy"]), str(link["original"]))))  # type: ignore[return-value]


def report(db_path: Path, against: Path | None, save: Path | None) -> None:
    """Print the links by type, the suspect ones, and the change against a saved run."""
    links = read_links(db_path)
    label = groups()
    db = sqlite3.connect(db_path)
    stored = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    quarantined = db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
    print(f"store: {stored} articles, {quarantined} quarantined records")
    has_bp = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'boilerplate'").fetchone() is not None
    if has_bp:
        rows = db.execute("SELECT scope = '', COUNT(*), SUM(unrelated >= 2) FROM boilerplate GROUP BY 1")
        for corpus, n, recurring in rows:
            print(
                f"  boilerplate counts, {'corpus' if corpus else 'site'} scope: {n} keys, {recurring} recurring"
            )
        flagged = db.execute("SELECT COUNT(*) FROM articles WHERE removed LIKE '%boilerplate%'").fetchone()[0]
        print(f"  articles with boilerplate removed: {flagged}")
    db.close()
    by_type = Counter(str(link["type"]) for link in links)
    print(f"copy links: {len(links)}  " + "  ".join(f"{k} {v}" for k, v in sorted(by_type.items())))
    suspect = [
        link
        for link in links
        if not (label.get(str(link["copy"]), set()) & label.get(str(link["original"]), set()))
    ]
    kinds = Counter(str(link["type"]) for link in suspect)
    same = Counter(str(link["type"]) for link in links if link not in suspect)
    print(
        "links within one STS22 pair, one STS22 text and its translation, or one ECB+ story: "
        f"{sum(same.values())}  " + "  ".join(f"{k} {v}" for k, v in sorted(same.items()))
    )
    print(
        f"links joining texts of neither (unrelated by the labels): {len(suspect)}  "
        + "  ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    for link in suspect:
        print(f"  [{link['type']}] {link['copy']} {link['copy_headline']!r}")
        print(f"      <- {link['original']} {link['original_headline']!r}")
        print(f"      {link['rule']}; shared content: {link['shared_content']}")
    if save is not None:
        save.write_text(json.dumps(links, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"links saved to {save}")
    if against is not None:
        before = {_key(link): link for link in json.loads(against.read_text(encoding="utf-8"))}
        now = {_key(link): link for link in links}
        gone = [before[k] for k in sorted(before.keys() - now.keys())]
        new = [now[k] for k in sorted(now.keys() - before.keys())]
        kept = before.keys() & now.keys()
        print(f"against {against}: {len(before)} links before, {len(now)} now; {len(kept)} kept")
        for name, rows in (("gone", gone), ("new", new)):
            print(f"  {name}: {len(rows)}")
            for link in rows:
                same = bool(label.get(str(link["copy"]), set()) & label.get(str(link["original"]), set()))
                print(
                    f"    [{link['type']}] {'same pair/story' if same else 'unrelated labels'}: "
                    f"{link['copy_headline']!r} <- {link['original_headline']!r}"
                )


def main() -> None:
    """Build the corpus, run storyline on it, print the copy links."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="store to write (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="do not run: print from the existing --db")
    parser.add_argument("--save", type=Path, help="write the links as JSON here")
    parser.add_argument("--against", type=Path, help="a file written by --save on an earlier commit")
    args = parser.parse_args()
    if not ECB.exists() or not STS.exists():
        sys.exit(f"needs {ECB} and {STS}")
    with tempfile.TemporaryDirectory(prefix="storyline-bp-") as tmp:
        db = args.db or Path(tmp) / "corpus.db"
        if not args.reuse:
            if db.exists():
                db.unlink()
            corpus = Path(tmp) / "corpus.jsonl"
            with corpus.open("w", encoding="utf-8") as fh:
                n = 0
                for record in corpus_records():
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                    n += 1
            print(f"corpus: {n} records ({ECB.name} + distinct texts of {STS.name})")
            start = time.perf_counter()
            env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
            cmd = [sys.executable, "-m", "storyline", "run", str(corpus), "--db", str(db), "--no-reports"]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if done.returncode not in (0, 3):
                sys.exit(f"storyline run failed ({done.returncode}):\n{done.stderr[-3000:]}")
            print(f"storyline run: {time.perf_counter() - start:.0f} s (exit {done.returncode})")
        report(db, args.against, args.save)


if __name__ == "__main__":
    main()
