"""Ingest speed and memory: text files, JSONL, HTML pages (beside trafilatura alone).

Generates synthetic articles (~450 words) in a temporary folder, then runs each ingest in
a fresh subprocess and prints articles per second and peak memory (max RSS). Memory is
measured at two corpus sizes to show it stays flat as the corpus grows.

    .venv/bin/python bench/ingest.py                    # 100,000 text/JSONL articles, 5,000 HTML pages
    .venv/bin/python bench/ingest.py --scale 0.1        # a quicker run
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "the council minister police officials said on after before week year government city report "
    "people market company shares percent million billion election vote court judge ruling fire storm "
    "rescue workers hospital school bridge river harbour airport strike union talks agreement deal "
    "president spokesman statement announced according investigation damage residents local national "
    "were was has have had will would could into over under about against between during since while"
).split()
NAMES = ["Mara Quint", "Tomas Ebner", "Lucia Ferro", "Ade Okafor", "Ilse Brandt", "Ravi Menon", "Joan Pike"]
PLACES = ["Sallow Bay", "Lindenfeld", "Port Ardent", "Kessel", "Ostrava Nova", "San Telmo", "Brackwater"]


def fake_article(rng: random.Random, i: int) -> dict[str, str]:
    paragraphs = []
    for _ in range(rng.randint(5, 8)):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
            words.insert(rng.randrange(len(words)), rng.choice(NAMES))
            words.insert(rng.randrange(len(words)), rng.choice(PLACES))
            sentences.append(" ".join(words).capitalize() + ".")
        paragraphs.append(" ".join(sentences))
    day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    title = f"{rng.choice(PLACES)} {rng.choice(WORDS)} {rng.choice(WORDS)} report {i}"
    return {
        "title": title,
        "date": day,
        "text": "\n\n".join(paragraphs),
        "url": f"https://news{i % 50}.example/{i}",
    }


def html_page(a: dict[str, str]) -> str:
    body = "".join(f"<p>{p}</p>\n" for p in a["text"].split("\n\n"))
    return (
        f"<!doctype html><html><head><title>{a['title']}</title>"
        f"<link rel='canonical' href='{a['url']}'><meta property='article:published_time' content='{a['date']}'>"
        f"</head><body><header><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></header>"
        f"<main><article><h1>{a['title']}</h1>{body}</article></main>"
        f"<aside><h3>Most read</h3><ul><li>Another story</li><li>More news</li></ul></aside>"
        f"<footer>© News Group</footer></body></html>"
    )


def generate(folder: Path, n_text: int, n_html: int) -> dict[str, Path]:
    rng = random.Random(7)
    paths = {"text": folder / "text", "jsonl": folder / "all.jsonl", "html": folder / "html"}
    paths["text"].mkdir()
    paths["html"].mkdir()
    with paths["jsonl"].open("w") as jsonl:
        for i in range(n_text):
            a = fake_article(rng, i)
            jsonl.write(json.dumps(a) + "\n")
            (paths["text"] / f"{i:06d}.txt").write_text(f"date {a['date']}\n\n{a['title']}\n\n{a['text']}\n")
    for i in range(n_html):
        (paths["html"] / f"{i:05d}.html").write_text(html_page(fake_article(rng, 10**6 + i)))
    return paths


def worker(kind: str, source: str, db: str, limit: int) -> None:
    """Runs in a subprocess: one measured job, prints a JSON line."""
    start = time.perf_counter()
    if kind == "trafilatura":
        import trafilatura

        files = sorted(Path(source).iterdir())[:limit]
        n = sum(1 for f in files if trafilatura.extract(f.read_text()))
    else:
        from storyline.pipeline import ingest
        from storyline.store.sqlite import SQLiteStore

        src: list[str] = [source]
        if kind == "text" and limit:
            src = [str(p) for p in sorted(Path(source).iterdir())[:limit]]
        if kind == "jsonl" and limit:
            part = Path(db).with_suffix(".part.jsonl")
            with open(source) as fh, part.open("w") as out:
                for i, line in enumerate(fh):
                    if i >= limit:
                        break
                    out.write(line)
            src = [str(part)]
        with SQLiteStore(db) as store:
            stats, _ = ingest(src, store)
        n = stats.stored
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": kind, "n": n, "seconds": seconds, "per_s": n / seconds, "peak_mb": rss_mb}))


def measure(kind: str, source: Path, tmp: Path, limit: int) -> dict[str, float]:
    db = tmp / f"{kind}-{limit}.db"
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(source), str(db), str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full corpus sizes")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, source, db, limit = args.worker
        worker(kind, source, db, int(limit))
        return
    n_text, n_html = int(100_000 * args.scale), int(5_000 * args.scale)
    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as d:
        tmp = Path(d)
        t = time.perf_counter()
        paths = generate(tmp, n_text, n_html)
        print(
            f"generated {n_text:,} text + JSONL articles and {n_html:,} HTML pages "
            f"in {time.perf_counter() - t:.0f} s (~450 words each)"
        )
        print(f"{'job':<34}{'articles':>10}{'seconds':>10}{'articles/s':>12}{'peak MB':>10}")
        rows = []
        for kind, source in (("jsonl", paths["jsonl"]), ("text", paths["text"])):
            for limit in (n_text // 10, n_text):
                rows.append((f"storyline ingest {kind} ({limit:,})", measure(kind, source, tmp, limit)))
        rows.append(
            (f"trafilatura.extract alone ({n_html:,})", measure("trafilatura", paths["html"], tmp, n_html))
        )
        rows.append((f"storyline ingest html ({n_html:,})", measure("html", paths["html"], tmp, n_html)))
        for label, r in rows:
            print(f"{label:<34}{r['n']:>10,}{r['seconds']:>10.1f}{r['per_s']:>12.0f}{r['peak_mb']:>10.0f}")
        html_ratio = rows[-1][1]["per_s"] / rows[-2][1]["per_s"]
        print(
            f"HTML: storyline (extraction, cleaning, language, sentences, store) runs at {html_ratio:.2f}x "
            "the speed of trafilatura's default extraction alone"
        )
        small, big = rows[0][1]["peak_mb"], rows[1][1]["peak_mb"]
        print(f"memory, JSONL: {small:.0f} MB at {n_text // 10:,} articles, {big:.0f} MB at {n_text:,}")


if __name__ == "__main__":
    main()
