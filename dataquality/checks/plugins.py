"""Company rules as plugins: packages that register rules through the entry point group `dataquality.rules`.

An entry point names a module (`my_rules = "acme_dq.rules"`); importing it registers its rules
(checks/registry.py decorators, texts declared or in a catalogue the package ships). When the
module's folder holds `messages.yaml` it is added to the catalogue, and its `cases/*.yaml`
(tests/cases format) are run by tests/checks/test_cases.py with dataquality's own.
A plugin that fails to import or declares a bad or duplicate code is a ConfigError (exit 2)
naming the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from dataquality.checks import registry
from dataquality.errors import ConfigError

GROUP = "dataquality.rules"


@dataclass(frozen=True)
class Plugin:
    """One loaded plugin: its distribution, entry point and the folder of its module."""

    distribution: str
    name: str
    folder: Path | None

    @property
    def cases(self) -> list[Path]:
        """Its rule cases (tests/cases format) shipped in the package."""
        return sorted((self.folder / "cases").glob("*.yaml")) if self.folder else []


_loaded: list[Plugin] | None = None


def load_plugins() -> list[Plugin]:
    """Import every installed plugin once (their rules register themselves); the plugins loaded."""
    global _loaded
    if _loaded is not None:
        return _loaded
    _loaded = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
        _loaded.append(_load(ep.name, ep.value, dist, ep.load))
    return _loaded


def _load(name: str, value: str, dist: str, load) -> Plugin:  # noqa: ANN001 - EntryPoint.load
    registry._origin.append(dist)
    try:
        module = load()
        folder = _folder(module)
        if folder is not None and (folder / "messages.yaml").is_file():
            from dataquality.i18n import add_catalogue

            add_catalogue(folder / "messages.yaml", dist)
        _check_texts(dist)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a plugin raises on import is its package's fault
        raise ConfigError("config.plugin", package=dist, entry_point=f"{name} = {value}",
                          error=f"{type(exc).__name__}: {exc}") from None
    finally:
        registry._origin.pop()
    return Plugin(dist, name, folder)


def _folder(module: object) -> Path | None:
    if isinstance(module, ModuleType) and getattr(module, "__file__", None):
        return Path(module.__file__).resolve().parent  # type: ignore[arg-type]
    return None


def _check_texts(dist: str) -> None:
    """Every rule of the plugin has its title, message and hint in zh and en."""
    from dataquality.i18n import has

    for rule in registry.REGISTRY.values():
        if rule.origin != dist:
            continue
        for part in registry.TEXT_PARTS:
            if not has(f"rules.{rule.code}.{part}"):
                raise registry.RuleDeclarationError(f"rule {rule.code} has no {part} (texts= or messages.yaml: rules.{rule.code}.{part})")
