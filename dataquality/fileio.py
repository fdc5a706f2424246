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
    except OSError as exc:
        if exc.filename is not None:
            raise
        # A write that fails (disk full, file too large) names no file: the user's output is the one to name.
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
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
    if not cleaned or cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = fallback
    return cleaned[:120]


def inside(folder: Path, name: str) -> Path:
    """`folder / safe_filename(name)`, guaranteed to stay inside `folder`."""
    folder = folder.resolve()
    path = (folder / safe_filename(name)).resolve()
    if path.parent != folder:
        raise ValueError(f"refusing to write outside {folder}: {name!r}")
    return path


# The longest file-name stem built from data, in UTF-8 bytes: 255 is the limit of one name on Linux
# and macOS (and 255 UTF-16 units on Windows), and Windows paths still break near 260 characters.
MAX_STEM_BYTES = 72


def _cut(stem: str, max_bytes: int) -> str:
    out = stem.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return out.rstrip(" .")


def unique_filenames(names: list[str], suffix: str, reserved: tuple[str, ...] = ()) -> dict[str, str]:
    """name -> a file name made from it: safe on Linux, macOS and Windows, short, and distinct even
    where the file system ignores case or the cleaning made two names alike (a/b, a:b, a_b).

    A name that had to be changed (characters replaced, cut, reserved, or clashing) gets a short
    hash of the original, so the same department always gets the same file.
    """
    import hashlib

    taken = {r.casefold() for r in reserved}
    out: dict[str, str] = {}
    for name in sorted(set(names), key=lambda n: (safe_filename(n) != n, n)):  # unchanged names first
        stem = _cut(safe_filename(name, fallback=""), MAX_STEM_BYTES)
        if stem != name or (stem + suffix).casefold() in taken or stem.upper() in _RESERVED:
            digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
            stem = f"{_cut(stem, MAX_STEM_BYTES - 9)}-{digest}" if stem else digest
        n = 2
        candidate = stem + suffix
        while candidate.casefold() in taken:  # a hash collision, in theory
            candidate = f"{stem}-{n}{suffix}"
            n += 1
        taken.add(candidate.casefold())
        out[name] = candidate
    return out
