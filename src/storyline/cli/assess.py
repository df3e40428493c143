"""Commands that score: eval stories/similarity, similarity of two articles, compare."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..models import Article, Quarantined
from ..report.terminal import print_similarity
from ..views import comparison as comparison_view
from ..views import copies_between
from .app import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    PrecisionOption,
    _open,
    _print_json,
    _settings,
    app,
    console,
    out,
)

#: the group these commands are listed under in ``storyline --help``: what scores
PANEL = "Score"


eval_app = typer.Typer(help="Score storyline against gold data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval", rich_help_panel=PANEL)


@eval_app.command("stories")
def eval_stories(
    gold: Annotated[
        Path, typer.Option("--gold", exists=True, dir_okay=False, help="Gold JSONL (ECB+ format).")
    ],
    json_out: JsonOption = False,
    precision: PrecisionOption = None,
    by_month: Annotated[
        bool, typer.Option("--by-month", help="Also score the articles of each publication month.")
    ] = False,
) -> None:
    """Cluster the gold file's articles from scratch, all together; print BCubed and pairwise P/R/F1
    (and of threads, when the gold rows have a ``thread`` field)."""
    from ..evaluation import evaluate_stories

    scores = evaluate_stories(str(gold), settings=_settings(precision=precision), by_month=by_month)
    if json_out:
        _print_json(scores)
        return
    # the summary on a line of its own: as the table's title it wrapped to the table's width
    out.print(
        Text(
            f"stories vs {gold.name}: {scores['n_articles']} articles, {scores['n_stories']} gold stories, "
            f"{scores['n_predicted']} predicted"
        )
    )
    table = Table()
    for col in ("metric", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    for metric in ("bcubed", "pairwise"):
        m = scores[metric]
        table.add_row(metric, f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}")  # type: ignore[index]
    threads: Any = scores.get("threads")
    if threads:
        for metric in ("bcubed", "pairwise"):
            m = threads[metric]
            table.add_row(f"threads {metric}", f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}")
    months: Any = scores.get("months", {})
    for month, ms in months.items():
        m = ms["bcubed"]
        table.add_row(
            f"{month} bcubed ({ms['n_articles']})", f"{m['p']:.4f}", f"{m['r']:.4f}", f"{m['f1']:.4f}"
        )
    out.print(table)


def _load_article(ref: str, db: Path) -> Article:
    """An article by store id (or unique prefix, or record id), or the first article of a file."""
    from ..errors import InputError, NotFoundError
    from ..pipeline import prepare_record
    from ..readers.sources import read_paths

    if Path(ref).is_file() or ref == "-":
        for record in read_paths([ref]):
            item = prepare_record(record)
            if isinstance(item, Quarantined):
                raise InputError(item.reason, origin=item.origin, position=item.position)
            return item
        raise InputError("no article in the file", origin=ref)
    if Path(ref).is_dir():
        raise InputError("a folder, not an article: give one file or an article id", origin=ref)
    if not db.exists():
        raise NotFoundError(
            f"{ref!r} is neither a file nor an article id: the store {str(db)!r} does not exist"
        )
    with _open(db, read_only=True) as store:
        return store.get_article(ref)


@app.command(rich_help_panel=PANEL)
def similarity(
    a: Annotated[str, typer.Argument(help="Article id in the store, or a file.")],
    b: Annotated[str, typer.Argument(help="Article id in the store, or a file.")],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """How alike two articles are on the SemEval-2022 Task 8 dimensions (1 = very similar, 4 = very dissimilar)."""
    from ..similarity.model import score_pair

    scores = score_pair(_load_article(a, db), _load_article(b, db))
    if json_out:
        _print_json(scores)
        return
    print_similarity(out, scores)
    for warning in scores.warnings:
        console.print(Text("warning:", style="yellow").append(f" {warning}", style="default"))


@app.command(rich_help_panel=PANEL)
def compare(
    refs: Annotated[
        list[str],
        typer.Argument(
            metavar="ARTICLE",
            help="Two or more articles: store id (or a unique prefix, or the record's own id), or a file.",
        ),
    ],
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    """Lay versions of one story side by side: shared facts, what only one says, conflicts, names, dates."""
    from ..compare.versions import compare_articles

    if len(refs) < 2:
        raise typer.BadParameter("give two or more articles to compare", param_hint="ARTICLE")
    versions = list({a.id: a for a in (_load_article(ref, db) for ref in refs)}.values())
    if len(versions) < 2:
        raise typer.BadParameter(
            f"{', '.join(refs)} are all one article ({versions[0].id}): give two different ones",
            param_hint="ARTICLE",
        )
    copies = []
    if db.exists():  # the copy links the store holds between these versions
        with _open(db, read_only=True) as store:
            copies = copies_between(store, (a.id for a in versions))
    with console.status("[bold]compare[/] aligning sentences, names and dates"):
        comparison = compare_articles(versions, copies=copies)
    if json_out:
        _print_json(comparison_view(comparison, versions))
    else:
        from ..report.terminal import print_comparison

        print_comparison(out, comparison, versions)


@eval_app.command("similarity")
def eval_similarity(
    gold: Annotated[
        Path, typer.Option("--gold", exists=True, dir_okay=False, help="Gold CSV (STS22 format).")
    ],
    json_out: JsonOption = False,
) -> None:
    """Pearson r between predicted and gold scores, per dimension, over all pairs and per language pair.

    The shipped model was trained on the STS22 training pairs: scored on those, r measures how
    well it fits them, not how well it scores new pairs (README gives cross-validated figures)."""
    from ..evaluation import evaluate_similarity
    from ..similarity.model import load_model

    # about 8 pairs a second on 2 cores: a thousand pairs take minutes, never in silence
    with console.status(f"[bold]eval similarity[/] scoring the pairs of {gold.name}"):
        result = evaluate_similarity(gold)
    if json_out:
        _print_json(result)
        return
    by_dim: dict[str, dict[str, float | None]] = result["by_dimension"]
    groups = list(by_dim["overall"])
    table = Table(title=f"Pearson r vs {gold.name} ({result['n_pairs']} pairs)")
    table.add_column("dimension")
    for group in groups:
        table.add_column(group, justify="right")
    for dim, values in by_dim.items():
        table.add_row(dim, *("-" if values.get(g) is None else f"{values[g]:.3f}" for g in groups))
    out.print(table)
    trained = load_model().info.get("trained_on_pairs")
    if trained:
        console.print(
            Text(
                f"note: the shipped model was trained on {trained:,} STS22 training pairs; on those "
                "pairs r measures fit, not quality (README: cross-validated figures)",
                style="dim",
            )
        )
