"""The ingest stage with Spark reading (``storyline run --spark``) beside the local runner, on one
machine: time, and whether the two stores hold the same articles and quarantine.

Generates synthetic HTML pages (``bench/ingest.py``'s, extraction being the costly part Spark
takes over) in a temporary folder, then ingests them twice in this process, once with the local
runner (``settings.workers`` processes) and once with Spark (``--master``, default ``local[2]``;
the session's start is timed apart). On one 2-core machine Spark cannot be quicker than the
local pool; the figure to read is its overhead, and that the results are the same.

    .venv/bin/python bench/spark.py                  # 2,000 pages
    .venv/bin/python bench/spark.py --pages 500 --master 'local[2]'
    .venv/bin/python bench/spark.py --run 4000       # the whole job: the executors embed the leads too
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from ingest import fake_article, html_page

from storyline.pipeline import ingest
from storyline.spark import SparkPreparer, spark_session
from storyline.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument(
        "--run",
        type=int,
        default=0,
        metavar="N",
        help="instead: the whole main job (storyline.run: stories, threads, copies; no reports) on N "
        "synthetic JSONL articles in 8 files, local vs Spark (the executors embed the leads)",
    )
    args = parser.parse_args()
    if args.run:
        whole_job(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "html"
        folder.mkdir()
        rng = random.Random(7)
        for i in range(args.pages):
            (folder / f"{i:05d}.html").write_text(html_page(fake_article(rng, i)))
        seen = {}
        start = time.perf_counter()
        with open_store(Path(tmp) / "local.db") as store:
            stats, _ = ingest([folder], store)
            seen["local"] = ([a.id for a in store.iter_articles()], sorted(map(str, store.iter_quarantine())))
        local = time.perf_counter() - start
        start = time.perf_counter()
        session = spark_session(args.master)
        started = time.perf_counter() - start
        start = time.perf_counter()
        with open_store(Path(tmp) / "spark.db") as store:
            ingest([folder], store, prepare=SparkPreparer(session, args.partitions))
            seen["spark"] = ([a.id for a in store.iter_articles()], sorted(map(str, store.iter_quarantine())))
        spark = time.perf_counter() - start
        session.stop()
    n = stats.read
    print(f"{n} HTML pages, {stats.stored} stored")
    print(f"local runner:  {local:6.1f} s  {n / local:7.1f} pages/s")
    print(
        f"spark {args.master}: {spark:6.1f} s  {n / spark:7.1f} pages/s (session start {started:.1f} s apart)"
    )
    print(f"same articles and quarantine: {seen['local'] == seen['spark']}")


def whole_job(args: argparse.Namespace) -> None:
    import json

    from storyline.pipeline import run
    from storyline.views import story_rows

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "jsonl"
        folder.mkdir()
        rng = random.Random(7)
        files = [(folder / f"part-{k}.jsonl").open("w") for k in range(8)]
        for i in range(args.run):
            files[i * 8 // args.run].write(json.dumps(fake_article(rng, i)) + "\n")
        for f in files:
            f.close()
        seen, took = {}, {}
        start = time.perf_counter()
        with open_store(Path(tmp) / "local.db") as store:
            run([folder], store=store)
            seen["local"] = story_rows(store)
        took["local"] = time.perf_counter() - start
        start = time.perf_counter()
        session = spark_session(args.master)
        started = time.perf_counter() - start
        start = time.perf_counter()
        preparer = SparkPreparer(session, args.partitions)
        with open_store(Path(tmp) / "spark.db") as store:
            run([folder], store=store, prepare=preparer, embedder=preparer.embedder)
            seen["spark"] = story_rows(store)
        took["spark"] = time.perf_counter() - start
        session.stop()
    n = args.run
    print(f"{n} JSONL articles in 8 files, the whole job (no reports)")
    print(f"local runner:  {took['local']:6.1f} s  {n / took['local']:7.1f} articles/s")
    print(
        f"spark {args.master}: {took['spark']:6.1f} s  {n / took['spark']:7.1f} articles/s "
        f"(session start {started:.1f} s apart)"
    )
    print(f"same stories: {seen['local'] == seen['spark']} ({len(seen['local'])} stories)")


if __name__ == "__main__":
    main()
