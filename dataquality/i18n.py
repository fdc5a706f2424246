"""The message catalogue: every user-facing string, in zh-CN and English.

Messages live in `dataquality/messages/*.yaml` as nested mappings whose leaves are
`{en: ..., zh: ...}`; a key is the dotted path to a leaf, e.g. `rules.FMT001.message`.
"""

from __future__ import annotations

import os
import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
_MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
# libyaml's safe loader when PyYAML was built with it: the catalogue loads in 0.3 s instead of 3 s.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def normalise_lang(lang: str | None) -> str:
    """Map zh, zh-CN, zh_CN.UTF-8, en, en-US ... to one of LANGUAGES; default from the environment
    (`env_lang`), else English."""
    if not lang:
        lang = env_lang() or "en"
    return "zh" if lang.lower().startswith("zh") else "en"


# Locales that say nothing about the reader's language: a bare container, a CI runner, cron.
_NEUTRAL_LOCALES = {"c", "posix", "c.utf-8", "c.utf8"}


def env_lang() -> str | None:
    """The language the environment asks for (DQ_LANG, else the locale: LC_ALL, LC_MESSAGES, LANG),
    or None when it names none: unset, or a neutral locale such as C.UTF-8 (the data decides then)."""
    wanted = os.environ.get("DQ_LANG")
    if wanted:
        return "zh" if wanted.lower().startswith("zh") else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            if value.lower() in _NEUTRAL_LOCALES:
                return None
            return "zh" if value.lower().startswith("zh") else "en"
    return None


def _flatten(prefix: str, node: Any, out: dict[str, dict[str, str]], source: Path) -> None:
    if isinstance(node, dict) and set(node) <= set(LANGUAGES) and node:
        missing = set(LANGUAGES) - set(node)
        if missing:
            raise ValueError(f"{source.name}: message {prefix!r} lacks {sorted(missing)}")
        out[prefix] = {lang: str(node[lang]) for lang in LANGUAGES}
        return
    if not isinstance(node, dict):
        raise ValueError(f"{source.name}: message {prefix!r} must map en/zh to text")
    for k, v in node.items():
        _flatten(f"{prefix}.{k}" if prefix else str(k), v, out, source)


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """All messages, keyed by dotted key, each with an `en` and a `zh` text."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(_MESSAGES_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            _flatten("", yaml.load(fh, Loader=_LOADER) or {}, out, path)  # noqa: S506 - a safe loader
    return out


def add_messages(prefix: str, node: Any, source: str) -> None:
    """Add messages shipped outside this package (a plugin's rule texts) under `prefix`.

    `node` has the shape of a catalogue file; a key already present is an error (a plugin
    cannot silently replace dataquality's texts)."""
    out: dict[str, dict[str, str]] = {}
    _flatten(prefix, node, out, Path(source))
    known = catalogue()
    clash = sorted(set(out) & set(known))
    if clash:
        raise ValueError(f"{source}: message {clash[0]!r} is already defined")
    known.update(out)


def remove_messages(prefix: str) -> None:
    """Forget the messages under `prefix` that add_messages added (a rule unregistered in a test)."""
    known = catalogue()
    for key in [k for k in known if k.startswith(prefix + ".")]:
        del known[key]


def add_catalogue(path: Path, source: str) -> None:
    """Add a catalogue file a plugin ships (same shape as dataquality/messages/*.yaml)."""
    with path.open(encoding="utf-8") as fh:
        add_messages("", yaml.safe_load(fh) or {}, f"{source}: {path.name}")


def has(key: str) -> bool:
    """Whether the catalogue holds `key`."""
    return key in catalogue()


def text(key: str, lang: str = "en", /, **params: Any) -> str:
    """The message `key` in `lang`, formatted with `params` (values are never re-interpreted)."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r} in the catalogue")
    template = entry[lang if lang in LANGUAGES else normalise_lang(lang)]
    try:
        if ":?" in template:
            return _FORMATTER.format(template, **params)
        # No plural field: str.format gives the same text in C (reports call this per issue).
        return template.format(**params) if "{" in template or "}" in template else template
    except (KeyError, IndexError, ValueError):
        return template


class _PluralFormatter(string.Formatter):
    """`{n:?issue|issues}` is the word for n: "1 issue", "2 issues" (English needs it; zh does not)."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec.startswith("?") and "|" in format_spec:
            one, many = format_spec[1:].split("|", 1)
            return one if value == 1 else many
        return super().format_field(value, format_spec)


_FORMATTER = _PluralFormatter()
