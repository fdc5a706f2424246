"""The last line of defence of every command: honest exit codes and no traceback a user can cause.

0 clean, 1 issues found, 2 bad usage / unreadable input / bad configuration / an output that
cannot be written, 3 an internal error (a bug: the traceback is saved to a file and named),
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from dataquality.errors import EXIT_USAGE, DQError
from dataquality.i18n import normalise_lang, text
from dataquality.terminal import echo

EXIT_BUG = 3
EXIT_INTERRUPTED = 130

# errno -> what to do about it (a catalogue key under safety.oserror).
_ADVICE = {
    errno.EACCES: "permission", errno.EPERM: "permission", errno.EROFS: "read_only",
    errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.ENOTDIR: "not_a_folder",
    errno.EISDIR: "is_a_folder", errno.ENAMETOOLONG: "name_too_long", errno.ENOENT: "missing",
    errno.EBUSY: "busy", errno.ETXTBSY: "busy",
}


def crash_dir() -> Path:
    """Where tracebacks of internal errors are saved (DQ_CRASH_DIR, else the system temp folder)."""
    return Path(os.environ.get("DQ_CRASH_DIR") or tempfile.gettempdir())


def save_traceback(exc: BaseException) -> Path | None:
    """Write the full traceback of `exc` to a new file and return its path (None if even that fails)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        folder = crash_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"dq-crash-{stamp}-", suffix=".txt", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"dq {' '.join(sys.argv[1:])}\n\n")
            fh.write("".join(traceback.format_exception(exc)))
        return Path(name)
    except OSError:
        return None


def _die(line: str, code: int) -> NoReturn:
    echo(f"dq: {line}", err=True)
    sys.exit(code)


def os_error_line(exc: OSError, lang: str) -> str:
    """One line naming the path of an OSError and what to do about it."""
    path = exc.filename if exc.filename is not None else "-"
    if exc.filename2 is not None:
        path = f"{path} -> {exc.filename2}"
    advice = text(f"safety.advice.{_ADVICE.get(exc.errno or 0, 'other')}", lang)
    return text("safety.oserror", lang, path=path, error=exc.strerror or type(exc).__name__, advice=advice)


def guarded(fn: Callable[[], Any], lang: str | None) -> Any:
    """Run `fn`; map our errors to 2, OSError to 2 naming the path, Ctrl-C to 130, anything else to 3."""
    try:
        return fn()
    except DQError as exc:
        _die(exc.message(normalise_lang(lang)), exc.exit_code)
    except KeyboardInterrupt:
        _die(text("safety.interrupted", normalise_lang(lang)), EXIT_INTERRUPTED)
    except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
        raise
    except MemoryError:  # the limits should stop this first; a huge input is still the user's to fix
        _die(text("safety.out_of_memory", normalise_lang(lang)), EXIT_USAGE)
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # the reader of our output went away (dq ... | head): not an error
            sys.exit(0)
        _die(os_error_line(exc, normalise_lang(lang)), EXIT_USAGE)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
        _bug(exc, lang)


def _bug(exc: BaseException, lang: str | None) -> NoReturn:
    saved = save_traceback(exc)
    where = str(saved) if saved else "-"
    _die(text("safety.bug", normalise_lang(lang), error=f"{type(exc).__name__}: {str(exc)[:200]}", path=where), EXIT_BUG)
