"""The top-level run configuration: :class:`Config` and its small sections.

A config names a cash-flow model (``model``: ``standard`` SIFMA or ``state``
loan-level) and an analysis kind (``analysis``: what is computed from the
projected cash flows; see :mod:`engine.runs`). All defaults live in the
config package; rates are annual decimals, prices percent of current face,
times months.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .assumptions import Assumptions, Valuation
from .economy import Economy
from .fields import FilePath, FileRef, Frozen
from .state_model import StateModel

# the default horizon of the state model covers every scheduled maturity plus
# a full default timeline, but never more than this many months
MAX_DEFAULT_HORIZON_MONTHS = 720

# where a run writes when neither `output.dir` nor `--out` is given
DEFAULT_OUTPUT_ROOT = Path("out")

# keys that choose how a run executes but never change its numbers; they are
# left out of the config hash
EXECUTION_ONLY_KEYS = ()

# the analysis kind a config with rate paths (economy.curve) runs by default
RATE_PATHS_KIND = "valuation"

# prepayment models whose refinancing responds to the market mortgage rate
RATE_DRIVEN_PREPAY = ("turnover_refi", "turnover")


class Simulation(Frozen):
    """How many paths, which integration, and how the paths are drawn."""

    integration: Literal["expected", "sampled"] = "sampled"
    paths: int = Field(default=1000, ge=1, le=10_000_000)
    seed: int = Field(default=1, ge=0, lt=2**63)
    horizon: int | None = Field(default=None, ge=1, le=1200, description="months; default: long enough to resolve")
    chunk_paths: int = Field(default=64, ge=1, description="paths per chunk; does not change results")
    start_month: int = Field(default=12, ge=1, le=12, description="calendar month of projection month 1")
    antithetic: bool | None = Field(default=None, description="rate paths in antithetic pairs; default false")
    sobol: bool | None = Field(default=None, description="rate paths from scrambled Sobol points; default false")


class Output(Frozen):
    dir: Path | None = Field(default=None, description="default: out/<name>, relative to the current directory")
    loans: bool = Field(default=False, description="write loans.parquet (outcome probabilities per loan)")
    quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


class InlineLoan(BaseModel):
    """A tape row written in the config; columns are checked with the tape rules."""

    model_config = ConfigDict(extra="allow", frozen=True)
    loan_id: str | int


class Config(Frozen):
    """A validated run configuration.

    Attributes
    ----------
    name : run name, used in output metadata.
    tape : path of a Parquet or CSV loan tape, resolved against the config
        file's folder; or ``loans``, inline rows.
    model : the cash-flow model, ``standard`` (SIFMA) or ``state`` (loan level).
    analysis : the analysis kind run on it (:mod:`engine.runs`); None picks
        the default: ``valuation`` when ``economy.curve`` is given (rate
        paths), else ``projection`` (:attr:`analysis_kind`).
    assumptions, valuation, output : see the README key reference.
    scenarios : named scenario files (``scenarios/NAME.yaml``) the
        valuation also runs, one row each in ``scenarios.parquet``.
    """

    name: str = Field(min_length=1)
    model: Literal["standard", "state"] = "standard"
    analysis: str | None = Field(default=None, description="analysis kind (engine.runs); default: projection")
    tape: FilePath = None
    loans: tuple[InlineLoan, ...] | None = None
    assumptions: Assumptions = Assumptions()
    valuation: Valuation | None = None
    output: Output = Output()
    simulation: Simulation = Simulation()
    economy: Economy = Economy()
    state_model: StateModel = StateModel()
    scenarios: tuple[str, ...] | None = Field(
        default=None, description="scenario names or files run beside the valuation (rate paths only)"
    )

    @property
    def analysis_kind(self) -> str:
        """The analysis kind that runs: ``analysis``, else ``valuation`` with
        rate paths (``economy.curve``), else ``projection``."""
        if self.analysis is not None:
            return self.analysis
        return RATE_PATHS_KIND if self.economy.rate_paths else "projection"

    @model_validator(mode="after")
    def _tape_or_loans(self) -> "Config":
        rate_paths = self.economy.rate_paths
        if self.model == "standard" and not rate_paths:
            for key in ("simulation", "economy", "state_model"):
                if key in self.model_fields_set:
                    raise ValueError(f"{key}: only used by the state model (add `model: state`)")
        elif self.model == "standard":
            if "state_model" in self.model_fields_set:
                raise ValueError("state_model: only used by the state model (add `model: state`)")
            for key in ("integration", "horizon"):
                if key in self.simulation.model_fields_set:
                    raise ValueError(f"simulation.{key}: only used by the state model (add `model: state`)")
            if "hpi" in self.economy.model_fields_set:
                raise ValueError("economy.hpi: home prices are not used by the standard model")
        if self.model == "state":
            for key in ("default", "loss"):
                if key in self.assumptions.model_fields_set:
                    raise ValueError(
                        f"assumptions.{key}: not used by the state model, whose defaults and losses "
                        "come from state_model (delinquency, foreclosure, reo, liquidation)"
                    )
        if self.model == "standard" and self.assumptions.prepay.model in RATE_DRIVEN_PREPAY and not rate_paths:
            raise ValueError(
                f"assumptions.prepay.model: '{self.assumptions.prepay.model}' needs market rates: rate paths "
                "(economy.curve) or the state model (model: state); without them the standard model "
                "takes psa, cpr, smm, vector or none"
            )
        self._check_rate_paths(rate_paths)
        if (self.tape is None) == (self.loans is None):
            raise ValueError("give exactly one of `tape` (a file) or `loans` (inline rows)")
        if self.loans is not None and len(self.loans) == 0:
            raise ValueError("loans: expected at least one loan")
        return self

    def _check_rate_paths(self, rate_paths: bool) -> None:
        val = self.valuation
        kind = self.analysis_kind
        if rate_paths:
            if "mortgage_rate" in self.economy.model_fields_set:
                raise ValueError(
                    "economy.mortgage_rate: a flat market rate; with economy.curve the mortgage rate is each "
                    "path's 10-year par rate + economy.mortgage_spread"
                )
            if kind == RATE_PATHS_KIND:
                if val is None:
                    raise ValueError("valuation: required on rate paths (give `price` or `oas`)")
                if val.yield_ is not None:
                    raise ValueError("valuation.yield: the valuation on rate paths takes `price` or `oas`")
        elif kind == RATE_PATHS_KIND:
            raise ValueError(f"economy.curve: required by analysis: {RATE_PATHS_KIND} (the zero curve)")
        if kind != RATE_PATHS_KIND:
            needs = "economy.curve" if not rate_paths else f"analysis: {RATE_PATHS_KIND}, not {kind}"
            if val is not None:
                for key in ("oas", "shift_bp", "key_rate_durations"):
                    if getattr(val, key) is not None:
                        raise ValueError(f"valuation.{key}: needs rate paths ({needs})")
            for key in ("antithetic", "sobol"):
                if getattr(self.simulation, key) is not None:
                    raise ValueError(f"simulation.{key}: draws rate paths ({needs})")
            if self.scenarios is not None:
                raise ValueError(f"scenarios: run beside a valuation on rate paths ({needs})")

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain JSON-able data: every key the chosen
        model uses, defaults included, and none it does not."""
        if self.model == "standard" and not self.economy.rate_paths:
            exclude: Any = {"simulation", "economy", "state_model"}
        elif self.model == "standard":
            exclude = {
                "simulation": {"integration", "horizon"},
                "economy": {"mortgage_rate", "hpi"},
                "state_model": True,
            }
        else:
            exclude = {"assumptions": {"default", "loss"}}
            if self.economy.rate_paths:
                exclude["economy"] = {"mortgage_rate"}
        return json.loads(self.model_dump_json(by_alias=True, exclude_none=True, exclude=exclude))

    def hash(self) -> str:
        """sha256 of the resolved config (stable key order). Files are named by
        their file name only, so the hash does not depend on where the project
        is checked out; ``run.json`` records the tape's own sha256 beside it."""
        data = map_files(self, lambda p: Path(p.name)).to_dict()
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def output_dir(self) -> Path:
        """``output.dir``, or ``out/<name>`` when it is not given."""
        return self.output.dir if self.output.dir is not None else DEFAULT_OUTPUT_ROOT / self.name

    def files(self) -> list[Path]:
        """Every file the config names (tape, scenario files), in key order."""
        found: list[Path] = []
        map_files(self, lambda p: found.append(p) or p)
        return found


def map_files(model: BaseModel, fn: Callable[[Path], Path]) -> Any:
    """A copy of ``model`` with ``fn`` applied to every field marked as a file
    reference (:class:`engine.config.fields.FileRef`), at any depth."""
    update: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        if FileRef in info.metadata:
            update[name] = fn(value)
        elif isinstance(value, BaseModel) and not isinstance(value, InlineLoan):
            mapped = map_files(value, fn)
            if mapped is not value:
                update[name] = mapped
    return model.model_copy(update=update) if update else model
