"""Which files a list of sources names: files, folders (recursively, following links to
folders safely), glob patterns and ``-`` for standard input, with the store's own files and
anything excluded left out. :func:`iter_sources` yields each file name, or a
:class:`~storyline.models.Quarantined` record for a name that matches nothing or a file that
cannot be read as one (a pipe, a device, a folder that cannot be listed)."""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterable, Iterator

from ..models import Quarantined

#: What a store file leaves beside it (SQLite's write-ahead log, shared memory, rollback journal;
#: storyline's grouping lock).
STORE_SIDECARS = ("", "-wal", "-shm", "-journal", "-lock")


def store_files(db: str | os.PathLike[str]) -> list[str]:
    """The files a store at ``db`` consists of: never read them as articles."""
    return [os.fspath(db) + suffix for suffix in STORE_SIDECARS]


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def iter_sources(
    paths: Iterable[str | os.PathLike[str]], *, exclude: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[str | Quarantined]:
    """Expand files, folders (recursively, in sorted order), globs and ``-`` into file names.

    A name that matches nothing is yielded as a :class:`Quarantined` record, so a
    typo in one path never stops the others. Files and folders in ``exclude`` (the
    store's own files, the report folder) are skipped inside folders and globs. Links to
    folders inside a folder are followed, each folder once (see :func:`_walk`).
    """
    skip = {_real(os.fspath(e)) for e in exclude}
    for raw in paths:
        path = os.fspath(raw)
        if path == "-":
            yield path
        elif os.path.isdir(path):
            yield from _walk(path, skip)
        elif os.path.exists(path):
            yield path
        elif glob.has_magic(path):
            matches = _recursive_glob(path, skip) if "**" in path else sorted(glob.glob(path))
            if not matches:
                yield Quarantined(path, "", "the pattern matches no file")
            for match in matches:
                if _real(match) in skip:
                    continue
                if os.path.isdir(match):
                    yield from iter_sources([match], exclude=exclude)
                else:
                    yield _regular(match)
        else:
            yield Quarantined(path, "", "no such file or folder")


def _walk(top: str, skip: set[str]) -> Iterator[str | Quarantined]:
    """The files of a folder, recursively, in sorted order; hidden names and ``skip`` (real
    paths) left out (see :func:`_tree`)."""
    for step in _tree(top, skip):
        if isinstance(step, Quarantined):
            yield step
        else:
            root, _dirs, files = step
            for name in files:
                yield _regular(os.path.join(root, name))


def _tree(top: str, skip: set[str]) -> Iterator[tuple[str, list[str], list[str]] | Quarantined]:
    """:func:`os.walk` of ``top`` (each folder, its subfolders and files, sorted), hidden names
    and ``skip`` (real paths) left out.

    Symbolic links to folders are followed (a crawl is often laid out with them: a month's
    folder linked from elsewhere), safely: a folder is read once, under the first name found for it
    (the walk looks at all of a folder's entries before it enters any), so a link back up the tree (a loop) or a second link to a folder is not followed again,
    and a link to a folder inside ``top`` is not followed at all (it is read under its own
    name). Nothing is lost by these skips: every file of them is read through the other path. A
    folder that cannot be listed (no permission) is quarantined with the reason.
    """
    top_real = _real(top)
    walked = {top_real}
    failed: list[OSError] = []
    for root, dirs, files in os.walk(top, followlinks=True, onerror=failed.append):
        yield from _unlisted(failed)
        kept = []
        for d in sorted(dirs):
            full = os.path.join(root, d)
            real = _real(full)
            if d.startswith(".") or real in skip or real in walked:
                continue
            if os.path.islink(full) and real.startswith(top_real + os.sep):
                continue  # read under its own name
            walked.add(real)
            kept.append(d)
        dirs[:] = kept
        names = [
            n for n in sorted(files) if not n.startswith(".") and _real(os.path.join(root, n)) not in skip
        ]
        yield root, kept, names
    yield from _unlisted(failed)


def _recursive_glob(pattern: str, skip: set[str]) -> list[str]:
    """The files a pattern with ``**`` names, sorted: those it matches and those inside the
    folders it matches, each once.

    :func:`glob.glob` follows links to folders round a loop up to the system's limit, taking every
    path on the way (two loops make it explode); this walks the folder before the first wildcard
    with :func:`_tree` (each folder once) and matches the paths against the pattern, part by part
    (``**`` is any number of folders, ``*``, ``?`` and ``[…]`` stay within one name). A folder
    that cannot be listed is left out here (a pattern is a loose selection)."""
    parts = pattern.replace(os.altsep or os.sep, os.sep).split(os.sep)
    k = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = os.sep.join(parts[:k]) or (os.sep if k else "")
    wanted = parts[k:]
    while len(wanted) > 1 and not wanted[-1]:  # "crawl/**/": the folders, so all their files
        wanted.pop()
    if not os.path.isdir(base or "."):
        return []
    found: list[str] = []
    for step in _tree(base or ".", skip):
        if isinstance(step, Quarantined):
            continue
        root, _dirs, files = step
        rel = [p for p in os.path.relpath(root, base or ".").split(os.sep) if p != "."]
        # a folder the pattern matches brings all its files; else each file is matched on its own
        inside = any(_matches(wanted, rel[:n]) for n in range(1, len(rel) + 1))
        for name in files:
            if inside or _matches(wanted, [*rel, name]):
                found.append(os.path.join(root, name) if base else os.path.relpath(os.path.join(root, name)))
    return sorted(found)


def _matches(pattern: list[str], names: list[str]) -> bool:
    """Whether the path ``names`` (its parts) matches the pattern's parts."""
    if not pattern:
        return not names
    if pattern[0] == "**":
        return any(_matches(pattern[1:], names[i:]) for i in range(len(names) + 1))
    return bool(names) and fnmatch.fnmatch(names[0], pattern[0]) and _matches(pattern[1:], names[1:])


def _unlisted(failed: list[OSError]) -> Iterator[Quarantined]:
    while failed:
        exc = failed.pop(0)
        yield Quarantined(str(exc.filename or ""), "", f"cannot list the folder: {exc.strerror or exc}")


def _regular(path: str) -> str | Quarantined:
    """A file of a folder or pattern, or why it is skipped (a pipe or device would be read forever)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return path  # a broken link: opening it says why
    if stat.S_ISREG(mode):
        return path
    return Quarantined(path, "", "not a regular file (a pipe, device or socket): skipped")
