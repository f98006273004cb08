"""Walking an imported folder: no recursion, bounded depth, and nothing from outside the folder.

A symbolic link inside the folder that resolves outside it (a file or a folder) is skipped and
reported: importing a folder must not read /etc/passwd because someone left a link there. A
link named on the command line is the user's own choice and is read (see `expand_paths`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from fieldsignal.errors import InputError
from fieldsignal.ingest.text import shown

MAX_DEPTH = 64  # folder levels below the imported folder


def walk_folder(root: Path, suffixes: Collection[str], max_depth: int = MAX_DEPTH) -> Iterator[Path | InputError]:
    """The files under `root` with one of `suffixes`, sorted; then one InputError per thing skipped.

    Hidden files and folders (names starting with '.') are ignored, as are other file types.
    Folders are walked with an explicit stack; each real folder is visited once, so links
    that loop back inside the folder end there.
    """
    base = Path(os.path.realpath(root))
    seen = {base}
    found: list[Path] = []
    skipped: list[InputError] = []
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(InputError(f"{shown(folder)}: cannot read this folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            path, is_dir = Path(entry.path), _safe(entry.is_dir)
            wanted = path.suffix.lower() in suffixes
            real = Path(os.path.realpath(path)) if is_dir or entry.is_symlink() else path
            if entry.is_symlink() and not real.is_relative_to(base):
                if is_dir or wanted:
                    where = f"{shown(path)}: symbolic link to {shown(real)}"
                    skipped.append(InputError(f"{where} is outside the folder {shown(root)}; skipped"))
            elif is_dir and real not in seen:
                if depth + 1 > max_depth:
                    where = f"{shown(path)}: folders nested deeper than {max_depth} levels"
                    skipped.append(InputError(f"{where} under {shown(root)} are not read"))
                    continue
                seen.add(real)
                stack.append((path, depth + 1))
            elif not is_dir and wanted and _safe(entry.is_file):
                found.append(path)
    yield from sorted(found)
    yield from skipped


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except OSError:
        return False
