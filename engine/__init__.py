"""Monte Carlo cash-flow engine for mortgage notes and pools.

Public API::

    engine.run(config)                    # YAML path, dict or Config -> RunResult
    engine.project_cashflows(loans, a)    # arrays / Arrow table -> CashFlows
    engine.load_config(path_or_dict)      # -> validated, frozen Config
"""

__version__ = "0.1.0"

from .api import RunResult, run  # noqa: E402
from .cashflows import CashFlows, project_cashflows  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import ConfigError, EngineError, InputError, TapeError  # noqa: E402
from .measures import yield_measures  # noqa: E402
from .tape import Loans, loans_from_table, read_tape  # noqa: E402

__all__ = [
    "__version__",
    "run",
    "RunResult",
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
