"""Analysis kinds: what a run computes from the projected cash flows.

Each kind is one module that registers an :class:`AnalysisKind`: its name,
the config keys it reads, and a function ``run(config, loans, progress,
executor) -> Analysis`` that produces its named tables, running its tasks on
``executor`` (:mod:`engine.execution`). ``engine.run`` looks the kind up
here by the config's ``analysis`` key (:attr:`engine.config.Config.analysis_kind`):
when it is not given, ``pricing`` for a config with a ``pricing`` block,
``valuation`` for one with rate paths (``economy.curve``), else
``projection``. An unknown name is a :class:`~engine.errors.ConfigError`
naming it.

To add a kind: write ``engine/runs/<name>.py`` with a ``run`` function and a
``register(AnalysisKind(...))`` call, and import it below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa

from ..errors import ConfigError

DEFAULT_KIND = "projection"


@dataclass
class Analysis:
    """What an analysis kind returns.

    tables : file stem -> table (``summary`` is always present).
    details : arrays behind the tables, for embedding (e.g. ``cash_flows``).
    metadata : extra Parquet key-value metadata (``engine.*`` keys).
    """

    tables: dict[str, pa.Table]
    details: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisKind:
    """A registered analysis kind.

    name : the config's ``analysis`` value.
    reads : the top-level config keys it reads (documentation, and the
        keys ``run.json`` shows for it).
    run : ``run(config, loans, progress, executor) -> Analysis``.

    Which kind a config runs when it names none is one rule, in
    :attr:`engine.config.Config.analysis_kind`.
    """

    name: str
    description: str
    reads: tuple[str, ...]
    run: Callable[..., Analysis]


_KINDS: dict[str, AnalysisKind] = {}


def register(kind: AnalysisKind) -> AnalysisKind:
    """Add ``kind`` to the registry (its name must be new)."""
    if kind.name in _KINDS:
        raise ValueError(f"analysis kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def for_config(config) -> AnalysisKind:
    """The kind a config runs (:attr:`engine.config.Config.analysis_kind`)."""
    return get(config.analysis_kind)


def get(name: str | None, config: Any = None) -> AnalysisKind:
    """The kind called ``name``; unknown names raise. With ``name`` None, the
    kind ``config`` runs by default (projection without a config)."""
    if name is None and config is not None:
        return for_config(config)
    key = DEFAULT_KIND if name is None else name
    try:
        return _KINDS[key]
    except KeyError:
        raise ConfigError(
            f"analysis: unknown analysis kind {key!r} (expected one of {', '.join(sorted(_KINDS))})"
        ) from None


def names() -> tuple[str, ...]:
    """Registered kinds, sorted."""
    return tuple(sorted(_KINDS))


from . import projection  # noqa: E402,F401  (registers itself)
from . import pricing  # noqa: E402,F401  (registers itself)
from . import valuation  # noqa: E402,F401  (registers itself)

__all__ = ["Analysis", "AnalysisKind", "DEFAULT_KIND", "for_config", "get", "names", "register"]
