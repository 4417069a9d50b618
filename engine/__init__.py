"""Monte Carlo cash-flow engine for mortgage notes and pools.

Public API::

    engine.run(config)                    # YAML path, dict or Config -> RunResult
    engine.project_cashflows(loans, a)    # arrays / Arrow table -> CashFlows
    engine.load_config(path_or_dict)      # -> validated, frozen Config
    engine.report(result, "r.html")       # the run's report page (engine.report: figures, plots)

Layers (docs/architecture.md): ``config`` and ``inputs`` validate,
``behavior`` and ``economy`` resolve models and paths, ``kernels`` compute,
``models`` run the kernels chunk by chunk, ``analytics`` measure, ``runs``
are the analysis kinds, ``output`` writes.
"""

__version__ = "0.1.0"

from .analytics.yields import yield_measures  # noqa: E402
from .api import RunResult, run  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import ConfigError, EngineError, InputError, TapeError  # noqa: E402
from .inputs.tape import Loans, loans_from_table, read_tape  # noqa: E402
from .models.standard import CashFlows, project_cashflows  # noqa: E402
from . import report  # noqa: E402  (a callable module: engine.report(result, path))

__all__ = [
    "__version__",
    "run",
    "RunResult",
    "report",
    "project_cashflows",
    "CashFlows",
    "load_config",
    "Config",
    "Loans",
    "loans_from_table",
    "read_tape",
    "yield_measures",
    "EngineError",
    "InputError",
    "ConfigError",
    "TapeError",
]
