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
from datetime import date
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .assumptions import Assumptions, Valuation
from .economy import Economy
from .fields import FilePath, FileRef, Fraction, Frozen
from .pricing import HolderCosts, Pricing, Purchase, check_pricing_keys
from .state_model import StateModel

# the default horizon of the state model covers every scheduled maturity plus
# a full default timeline, but never more than this many months
MAX_DEFAULT_HORIZON_MONTHS = 720

# where a run writes when neither `output.dir` nor `--out` is given
DEFAULT_OUTPUT_ROOT = Path("out")

# keys that choose how a run executes but never change its numbers (dotted
# paths); they are left out of the config hash and kept in run.json's config
EXECUTION_ONLY_KEYS = ("simulation.chunk_paths", "execution")

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


class Execution(Frozen):
    """Where and in what pieces a run executes; never changes a number.

    ``backend: local`` runs every task in this process; ``backend: dask``
    runs them on a Dask cluster: the scheduler at ``address``, or a local
    cluster of ``workers`` processes started for the run
    (:mod:`engine.execution.cluster`)."""

    backend: Literal["local", "dask"] = "local"
    address: str | None = Field(default=None, min_length=1, description="dask: scheduler address, tcp://host:8786")
    workers: int | None = Field(default=None, ge=1, le=1024, description="dask: start a local cluster of N processes")
    threads_per_worker: int | None = Field(
        default=None, ge=1, le=1024, description="dask: numba threads per worker; default cores / workers"
    )
    task_paths: int | None = Field(
        default=None, ge=1, le=4096, description="paths per task; default simulation.chunk_paths"
    )
    task_loans: int | None = Field(
        default=None, ge=1, description="loans per task; default the whole tape (local) or 20,000 (dask)"
    )

    @model_validator(mode="after")
    def _where(self) -> "Execution":
        if self.backend == "local":
            for key in ("address", "workers", "threads_per_worker"):
                if getattr(self, key) is not None:
                    raise ValueError(f"{key}: only with backend: dask")
        elif (self.address is None) == (self.workers is None):
            raise ValueError("backend dask: give exactly one of `address` (a running scheduler) or `workers` (N)")
        return self

    def loans_per_task(self) -> int | None:
        """Loans per task: ``task_loans``, else the whole tape locally and
        :data:`CLUSTER_TASK_LOANS` on a cluster (None: one block)."""
        if self.task_loans is not None:
            return self.task_loans
        return CLUSTER_TASK_LOANS if self.backend == "dask" else None


# loans per task on a cluster when `execution.task_loans` is not given
CLUSTER_TASK_LOANS = 20_000


class Output(Frozen):
    dir: Path | None = Field(default=None, description="default: out/<name>, relative to the current directory")
    loans: bool = Field(default=False, description="write loans.parquet (outcome probabilities per loan)")
    quantiles: tuple[Fraction, ...] = Field(
        default=(0.05, 0.25, 0.5, 0.75, 0.95), description="across-path quantiles, decimals in [0, 1]"
    )
    path_cashflows: bool | None = Field(
        default=None, description="pricing: write path_cashflows.parquet (holder cash per path and month)"
    )

    @field_validator("quantiles")
    @classmethod
    def _some_quantiles(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v:  # a validator, not min_length: pydantic would also report a list of bad items as empty
            raise ValueError("expected at least one quantile, e.g. [0.05, 0.5, 0.95]")
        return v


class InlineLoan(BaseModel):
    """A tape row written in the config; columns are checked with the tape rules.

    Every value is one cell: a number, text, true/false, a date or empty
    (null). Anything else (YAML ``!!binary``, a list, a mapping) is refused
    here, before the run, because the config could not be recorded in
    ``run.json`` or hashed."""

    model_config = ConfigDict(extra="allow", frozen=True)
    loan_id: str | int

    @model_validator(mode="after")
    def _cells(self) -> "InlineLoan":
        for key, value in (self.model_extra or {}).items():
            if value is None or isinstance(value, (str, int, float, bool, date)):
                continue
            got = "binary data" if isinstance(value, (bytes, bytearray)) else f"a {type(value).__name__}"
            raise ValueError(f"{key}: expected one value (a number, text, a date or empty), got {got}")
        return self


class Config(Frozen):
    """A validated run configuration.

    Attributes
    ----------
    name : run name, used in output metadata.
    tape : path of a Parquet or CSV loan tape, resolved against the config
        file's folder; or ``loans``, inline rows.
    model : the cash-flow model, ``standard`` (SIFMA) or ``state`` (loan level).
    analysis : the analysis kind run on it (:mod:`engine.runs`); None picks
        the first kind that applies (``pricing`` with a ``pricing`` block,
        ``valuation`` with rate paths, ``economy.curve``), else
        ``projection`` (:attr:`analysis_kind`).
    assumptions, valuation, output : see the README key reference.
    purchase, holder_costs, pricing : note pricing (:mod:`.pricing`).
    scenarios : named scenario files (``scenarios/NAME.yaml``) the
        valuation also runs, one row each in ``scenarios.parquet``.
    """

    name: str = Field(min_length=1)
    model: Literal["standard", "state"] = "standard"
    analysis: str | None = Field(
        default=None, description="analysis kind (engine.runs); default: pricing with a pricing block, else projection"
    )
    tape: FilePath = None
    loans: tuple[InlineLoan, ...] | None = None
    assumptions: Assumptions = Assumptions()
    valuation: Valuation | None = None
    output: Output = Output()
    simulation: Simulation = Simulation()
    execution: Execution = Execution()
    economy: Economy = Economy()
    state_model: StateModel = StateModel()
    purchase: Purchase | None = None
    holder_costs: HolderCosts | None = None
    pricing: Pricing | None = None
    scenarios: tuple[str, ...] | None = Field(
        default=None, description="scenario names or files run beside the valuation (rate paths only)"
    )

    @property
    def analysis_kind(self) -> str:
        """The analysis kind that runs: ``analysis``, else ``pricing`` with a
        ``pricing`` block, ``valuation`` with rate paths (``economy.curve``),
        else ``projection``."""
        if self.analysis is not None:
            return self.analysis
        if self.pricing is not None:
            return "pricing"
        return RATE_PATHS_KIND if self.economy.rate_paths else "projection"

    @model_validator(mode="after")
    def _pricing_keys(self) -> "Config":
        check_pricing_keys(self)
        return self

    @model_validator(mode="after")
    def _tape_or_loans(self) -> "Config":
        rate_paths = self.economy.rate_paths
        conflicts = model_conflicts(
            self.model,
            set(self.model_fields_set),
            set(self.assumptions.model_fields_set),
            self.assumptions.prepay.model,
            rate_paths=rate_paths,
            simulation_keys=set(self.simulation.model_fields_set),
            economy_keys=set(self.economy.model_fields_set),
        )
        if conflicts:
            key, message = next(iter(conflicts.items()))
            raise ValueError(f"{key}: {message}")
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
        is checked out; ``run.json`` records the tape's own sha256 beside it.
        Keys in :data:`EXECUTION_ONLY_KEYS` (chunk sizes) are left out: they
        never change a number, so they never change the hash."""
        data = map_files(self, lambda p: Path(p.name)).to_dict()
        for key in EXECUTION_ONLY_KEYS:
            *parents, leaf = key.split(".")
            node = data
            for part in parents:
                node = node.get(part, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                node.pop(leaf, None)
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


def model_conflicts(
    model: Any,
    keys: set,
    assumption_keys: set,
    prepay_model: Any,
    *,
    rate_paths: bool = False,
    simulation_keys: set = frozenset(),
    economy_keys: set = frozenset(),
) -> dict[str, str]:
    """Keys that belong to the other cash-flow model: key path -> message.

    Checked on the validated config and, when validation fails, on the raw
    data (:func:`engine.config.loader.load_config`), where such a message
    replaces the errors found inside that key: a turnover block under the
    standard model is one problem, not an unknown key per parameter. With
    rate paths (``economy.curve``) the standard model takes ``simulation``
    and ``economy`` too, but not the state model's keys."""
    found: dict[str, str] = {}
    if model == "state":
        for key in ("default", "loss"):
            if key in assumption_keys:
                found[f"assumptions.{key}"] = (
                    "not used by the state model, whose defaults and losses "
                    "come from state_model (delinquency, foreclosure, reo, liquidation)"
                )
        return found
    if not rate_paths:
        for key in ("simulation", "economy", "state_model"):
            if key in keys:
                found[key] = "only used by the state model (add `model: state`)"
        if prepay_model in RATE_DRIVEN_PREPAY:
            found["assumptions.prepay.model"] = (
                f"'{prepay_model}' needs the state model (model: state), "
                "the standard model takes psa, cpr, smm, vector or none (or, on rate paths with economy.curve, "
                f"'{prepay_model}')"
            )
        return found
    if "state_model" in keys:
        found["state_model"] = "only used by the state model (add `model: state`)"
    for key in ("integration", "horizon"):
        if key in simulation_keys:
            found[f"simulation.{key}"] = "only used by the state model (add `model: state`)"
    if "hpi" in economy_keys:
        found["economy.hpi"] = "home prices are not used by the standard model"
    return found


def raw_model_conflicts(data: Any) -> dict[str, str]:
    """:func:`model_conflicts` of unvalidated config data (a dict from YAML)."""
    if not isinstance(data, dict):
        return {}
    assumptions = data.get("assumptions")
    assumptions = assumptions if isinstance(assumptions, dict) else {}
    prepay = assumptions.get("prepay")
    prepay_model = prepay.get("model") if isinstance(prepay, dict) else None
    economy = data.get("economy") if isinstance(data.get("economy"), dict) else {}
    simulation = data.get("simulation") if isinstance(data.get("simulation"), dict) else {}
    return model_conflicts(
        data.get("model", "standard"), set(data), set(assumptions), prepay_model,
        rate_paths=economy.get("curve") is not None, simulation_keys=set(simulation), economy_keys=set(economy),
    )


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
