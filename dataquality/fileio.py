"""Safe output: atomic writes and file names built from data that cannot escape a folder."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_open(target: Path | str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file beside `target` for writing; it replaces `target` only when complete."""
    with atomic_path(target) as tmp:
        text_mode = "b" not in mode
        with open(tmp, mode, encoding=encoding if text_mode else None, newline="" if text_mode else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def safe_filename(name: str, fallback: str = "unnamed") -> str:
    """A file name made from data (a department, a sheet) that cannot leave its folder."""
    cleaned = unicodedata.normalize("NFKC", str(name))
    cleaned = _UNSAFE.sub("_", cleaned).strip().strip(".").strip()
    cleaned = cleaned.replace("..", "_")
    if not cleaned or cleaned.upper() in _RESERVED:
        cleaned = fallback
    return cleaned[:120]


def inside(folder: Path, name: str) -> Path:
    """`folder / safe_filename(name)`, guaranteed to stay inside `folder`."""
    folder = folder.resolve()
    path = (folder / safe_filename(name)).resolve()
    if path.parent != folder:
        raise ValueError(f"refusing to write outside {folder}: {name!r}")
    return path
