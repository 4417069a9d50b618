"""Run configuration: YAML (or a dict) -> validated, frozen objects.

- :mod:`.fields`: field types (annual rates, fractions, file references) and
  the percent hint;
- :mod:`.assumptions`: prepayment/default speed models, loss, valuation;
- :mod:`.state_model`: the loan-level state model's parameters;
- :mod:`.economy`: market rates and home prices;
- :mod:`.schema`: :class:`Config` itself;
- :mod:`.loader`: reading YAML, ``--set`` overrides, error formatting.

Every default lives in this package.
"""

from .assumptions import (
    SEASONALITY,
    Assumptions,
    Default,
    DefaultCDR,
    DefaultMDR,
    DefaultNone,
    DefaultSDA,
    DefaultVector,
    Loss,
    Prepay,
    PrepayCPR,
    PrepayNone,
    PrepayPSA,
    PrepaySMM,
    PrepayTurnover,
    PrepayVector,
    Valuation,
)
from .economy import HPI, Economy
from .loader import apply_overrides, format_errors, load_config
from .schema import Config, Execution, InlineLoan, Output, Simulation
from .state_model import StateModel

__all__ = [
    "Assumptions",
    "Config",
    "Default",
    "DefaultCDR",
    "DefaultMDR",
    "DefaultNone",
    "DefaultSDA",
    "DefaultVector",
    "Economy",
    "HPI",
    "InlineLoan",
    "Loss",
    "Output",
    "Prepay",
    "PrepayCPR",
    "PrepayNone",
    "PrepayPSA",
    "PrepaySMM",
    "PrepayTurnover",
    "PrepayVector",
    "SEASONALITY",
    "Simulation",
    "Execution",
    "StateModel",
    "Valuation",
    "apply_overrides",
    "format_errors",
    "load_config",
]
