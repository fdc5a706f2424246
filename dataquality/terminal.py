"""The console dq prints tables and reports to: rich, except when the reader goes away.

rich ends the program with exit code 1 when standard output is a closed pipe (`dq rules | head`);
1 means "issues found" for dq. This console sends further output to /dev/null and raises
BrokenPipeError instead, which dq's last line of defence (safety.guarded) turns into exit 0.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console


class _Console(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # no real file descriptor (an in-process test's captured output)
            pass
        finally:
            os.close(devnull)
        raise BrokenPipeError(32, "Broken pipe")


def console(**options: Any) -> Console:
    """A rich Console (same options); a closed pipe is BrokenPipeError, not exit 1."""
    return _Console(**options)
