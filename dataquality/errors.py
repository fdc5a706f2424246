"""Errors a user can cause. Each carries a catalogue key so it can be shown in zh-CN or English."""

from __future__ import annotations

import os
from typing import Any

from dataquality.i18n import normalise_lang, text
from dataquality.paths import shown

EXIT_OK = 0
EXIT_ISSUES = 1
EXIT_USAGE = 2


class DQError(Exception):
    """An error caused by input or configuration; the CLI prints one line and exits with `exit_code`."""

    exit_code = EXIT_USAGE

    def __init__(self, message_key: str, /, **params: Any) -> None:
        self.key = message_key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        """The one-line message for the user, in `lang` (parameters given as {en, zh} are picked too)."""
        lang = normalise_lang(lang)
        params = {k: v[lang] if isinstance(v, dict) and lang in v else v for k, v in self.params.items()}
        for k in _PATH_PARAMS.intersection(params):
            if isinstance(params[k], str) and os.path.isabs(params[k]):
                params[k] = shown(params[k])  # as every other path dq prints: relative when under here
        return text(self.key, lang, **params)


# The parameters that name a file or folder (the catalogue's names for them).
_PATH_PARAMS = frozenset({"file", "path", "folder", "config", "output", "gitignore"})


class InputError(DQError):
    """An input file that cannot be read or understood."""


class ConfigError(DQError):
    """A schema, rule file or project configuration that is wrong."""
