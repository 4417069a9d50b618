"""Compiling the kernels ahead of the first run.

Numba compiles the kernels the first time a model runs (about 45 s for the
state model on two cores) and keeps them in its on-disk cache
(``engine/kernels/__pycache__``), so later runs start at once.
``python -m engine warm-up`` (:func:`warm_up`) pays that cost up front by
running both cash-flow models on a tiny inline pool through the public API;
:func:`kernels_cached` tells the CLI whether a run is about to compile.
"""

from __future__ import annotations

import importlib
import time

# each cash-flow model's top-level kernel (the one whose compilation dominates)
MODEL_KERNELS = {
    "standard": ("engine.kernels.standard", "project_pool"),
    "state": ("engine.kernels.integration", "simulate"),
}

_LOANS = [
    {"loan_id": "W1", "balance": 200_000.0, "note_rate": 0.065, "remaining_term": 24, "age": 12,
     "servicing_fee": 0.0025, "state": "NY"},
    {"loan_id": "W2", "balance": 90_000.0, "note_rate": 0.07, "remaining_term": 12, "status": "dq90+",
     "payments_behind": 5, "property_value": 120_000.0, "state": "TX"},
]

# tiny configs that reach every kernel of both models (valuation included)
WARM_UP_CONFIGS = (
    {
        "name": "warm-up-standard",
        "loans": _LOANS,
        "assumptions": {
            "prepay": {"model": "psa", "speed": 150},
            "default": {"model": "sda", "speed": 100},
            "loss": {"severity": 0.2, "liquidation_lag": 6},
        },
        "valuation": {"price": 100.0, "delay_days": 24},
    },
    *(
        {
            "name": f"warm-up-state-{integration}",
            "model": "state",
            "loans": _LOANS,
            "assumptions": {"prepay": {"model": "turnover"}},
            "simulation": {"integration": integration, "paths": 2, "horizon": 24},
            "valuation": {"yield": 0.08},
            "output": {"loans": True},
        }
        for integration in ("sampled", "expected")
    ),
)


def kernels_cached(model: str) -> bool | None:
    """Whether ``model``'s kernel is compiled in this process or in Numba's
    on-disk cache (so a run starts without compiling); None when it cannot
    be told (an unknown model, or a Numba whose cache looks different)."""
    try:
        module, name = MODEL_KERNELS[model]
        dispatcher = getattr(importlib.import_module(module), name)
        if dispatcher.signatures:
            return True
        # Numba's cache index: empty when missing, stale or from another Numba version
        return bool(dispatcher._cache._cache_file._load_index())
    except Exception:  # a hint for the progress display only: never fail a run on it
        return None


def warm_up() -> float:
    """Run both cash-flow models on a tiny inline pool, compiling (and caching)
    every kernel they use. Returns the seconds it took."""
    from .api import run

    t0 = time.perf_counter()
    for config in WARM_UP_CONFIGS:
        run(config)
    return time.perf_counter() - t0


__all__ = ["MODEL_KERNELS", "WARM_UP_CONFIGS", "kernels_cached", "warm_up"]
