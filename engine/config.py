"""Run configuration: YAML (or a dict) -> validated, frozen objects.

Nothing runs until the whole config has been checked. A mistake stops the run
with one line that names the key path, the value and what was expected::

    assumptions.prepay.rate: expected a decimal in [0, 1), got 6 (a percent? write 0.06)

All defaults live in this module. Rates are annual decimals (0.065), prices
are percent of current face (101.25), times are months; see the README for
the full key reference.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError
from .timelines import REO_MARKETING_MONTHS, default_timelines

# --------------------------------------------------------------------------
# reusable field checks


def _decimal(value: float, *, upper: float = 1.0, closed: bool = False) -> float:
    """A rate written as a decimal; reject percents with a hint."""
    ok = 0.0 <= value <= upper if closed else 0.0 <= value < upper
    if not ok:
        bracket = "]" if closed else ")"
        hint = ""
        if 1.0 <= value <= 100.0:
            hint = f" (a percent? write {value / 100:g})"
        raise ValueError(f"expected a decimal in [0, {upper:g}{bracket}, got {value:g}{hint}")
    return value


def _signed(value: float) -> float:
    """An annual growth rate in (-1, 1), e.g. a home-price drift."""
    if not -1.0 < value < 1.0:
        hint = f" (a percent? write {value / 100:g})" if 1.0 <= abs(value) <= 100.0 else ""
        raise ValueError(f"expected an annual decimal in (-1, 1), got {value:g}{hint}")
    return value


AnnualRate = Annotated[float, AfterValidator(_decimal)]
"""An annual decimal rate in [0, 1) (CPR, CDR, a coupon)."""
Fraction = Annotated[float, AfterValidator(lambda v: _decimal(v, closed=True))]
"""A decimal in [0, 1]: a monthly probability (SMM, MDR) or a share (severity)."""
SignedRate = Annotated[float, AfterValidator(_signed)]
"""An annual decimal in (-1, 1) that may be negative (a drift)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------
# prepayment assumptions (SIFMA SF section B.2)


class PrepayPSA(_Frozen):
    """PSA ramp: CPR = speed/100 x 6% x min(age, 30)/30, age = loan age at the payment."""

    model: Literal["psa"]
    speed: float = Field(ge=0, le=5000, description="percent of the PSA benchmark (150 = 150% PSA)")


class PrepayCPR(_Frozen):
    model: Literal["cpr"]
    rate: AnnualRate = Field(description="annual decimal CPR")


class PrepaySMM(_Frozen):
    model: Literal["smm"]
    rate: Fraction = Field(description="monthly decimal SMM")


class PrepayVector(_Frozen):
    """CPR by projection month (month 1 first); the last value is carried forward."""

    model: Literal["vector"]
    cpr: tuple[AnnualRate, ...] = Field(min_length=1)


class PrepayNone(_Frozen):
    model: Literal["none"]


# approximate month-of-year prepayment factors (January first), after the
# seasonal pattern of agency turnover in Richard & Roll (1989) and Hayre (ed.),
# "Salomon Smith Barney Guide to MBS": slow winter, fast late summer.
SEASONALITY = (0.80, 0.82, 0.92, 1.00, 1.06, 1.12, 1.12, 1.14, 1.08, 1.02, 0.98, 0.94)


class PrepayTurnover(_Frozen):
    """Turnover with seasoning and seasonality, plus a refinancing S-curve.

    CPR = base_cpr x min(1, age / ramp_months) x seasonality[month of year]
          + refi_max_cpr x burnout / (1 + exp(-(incentive - refi_midpoint) / refi_slope)),
    incentive = note rate - the path's mortgage rate [annual decimal];
    burnout = exp(-burnout x sum of past positive incentive in rate-years).
    After Richard & Roll (1989); parameters are typical agency magnitudes.
    """

    model: Literal["turnover"]
    base_cpr: AnnualRate = 0.06
    ramp_months: int = Field(default=30, ge=1, le=360)
    seasonality: tuple[float, ...] = SEASONALITY
    refi_max_cpr: AnnualRate = 0.30
    refi_midpoint: float = 0.0075
    refi_slope: float = Field(default=0.0025, gt=0)
    burnout: float = Field(default=0.0, ge=0)

    @field_validator("seasonality")
    @classmethod
    def _season(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if len(v) != 12 or any(x < 0 for x in v):
            raise ValueError(f"expected 12 non-negative month-of-year factors, got {list(v)}")
        return v


Prepay = Annotated[
    Union[PrepayPSA, PrepayCPR, PrepaySMM, PrepayVector, PrepayTurnover, PrepayNone],
    Field(discriminator="model"),
]

# --------------------------------------------------------------------------
# default assumptions (SIFMA SF section C.4)


class DefaultSDA(_Frozen):
    """SDA curve by loan age; see :func:`engine.curves.sda_cdr`."""

    model: Literal["sda"]
    speed: float = Field(ge=0, le=5000, description="percent of the SDA benchmark")


class DefaultCDR(_Frozen):
    model: Literal["cdr"]
    rate: AnnualRate = Field(description="annual decimal CDR")


class DefaultMDR(_Frozen):
    model: Literal["mdr"]
    rate: Fraction = Field(description="monthly decimal MDR")


class DefaultVector(_Frozen):
    """CDR by projection month (month 1 first); the last value is carried forward."""

    model: Literal["vector"]
    cdr: tuple[AnnualRate, ...] = Field(min_length=1)


class DefaultNone(_Frozen):
    model: Literal["none"]


Default = Annotated[
    Union[DefaultSDA, DefaultCDR, DefaultMDR, DefaultVector, DefaultNone],
    Field(discriminator="model"),
]


class Loss(_Frozen):
    """Loss given default, SIFMA SF section C.2.f-g."""

    severity: Fraction = Field(description="loss / balance at default, decimal")
    liquidation_lag: int = Field(ge=0, le=120, description="months from default to liquidation")
    advancing: bool = Field(default=True, description="servicer advances P&I on loans in foreclosure")


class Assumptions(_Frozen):
    prepay: Prepay = PrepayNone(model="none")
    default: Default = DefaultNone(model="none")
    loss: Loss | None = None

    @model_validator(mode="after")
    def _loss_needed(self) -> "Assumptions":
        if self.default.model != "none" and self.loss is None:
            raise ValueError(
                "loss: required when default is not 'none' "
                "(expected {severity, liquidation_lag, advancing})"
            )
        return self

    @property
    def loss_or_default(self) -> Loss:
        return self.loss if self.loss is not None else Loss(severity=0.0, liquidation_lag=0)


class Valuation(_Frozen):
    """Either a price (percent of face) or a yield (annual decimal, mortgage basis)."""

    price: float | None = Field(default=None, gt=0, le=1000)
    yield_: float | None = Field(default=None, alias="yield")
    delay_days: int = Field(default=0, ge=0, le=365)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("price")
    @classmethod
    def _price(cls, v: float | None) -> float | None:
        if v is not None and v < 1.0:
            raise ValueError(
                f"expected a price in percent of face (e.g. 101.25), got {v:g} "
                f"(a decimal? write {v * 100:g})"
            )
        return v

    @field_validator("yield_")
    @classmethod
    def _yield(cls, v: float | None) -> float | None:
        if v is not None and not -0.5 < v < 1.0:
            hint = f" (a percent? write {v / 100:g})" if 1.0 <= v <= 100.0 else ""
            raise ValueError(f"expected an annual decimal in (-0.5, 1), got {v:g}{hint}")
        return v

    @model_validator(mode="after")
    def _one_of(self) -> "Valuation":
        if (self.price is None) == (self.yield_ is None):
            raise ValueError("give exactly one of `price` or `yield`")
        return self


# --------------------------------------------------------------------------
# the loan-level state model (DESIGN.md, "The loan-level state model")
#
# Every probability is monthly. Defaults are magnitudes for US re-performing
# and non-performing residential loans; docs/state_model_parameters.md gives
# the public figure behind each one (or says it is an assumption).


class _Probs(_Frozen):
    """A state's exit probabilities; they must not sum over 1 (checked by name)."""

    @model_validator(mode="after")
    def _sum(self):
        total = sum(getattr(self, f) for f in type(self).model_fields if f not in _NOT_PROBS)
        if total > 1.0 + 1e-12:
            parts = ", ".join(f"{f}={getattr(self, f):g}" for f in type(self).model_fields if f not in _NOT_PROBS)
            raise ValueError(f"monthly probabilities sum to {total:g} > 1 ({parts})")
        return self


_NOT_PROBS = {"cure_decay", "roll_multiplier_modified", "referral_min_behind"}


class CurrentRates(_Probs):
    # CoreLogic: ~0.8% of all loans go 30 days late each month; re-performing
    # loans run above that. Modified loans: FHFA Foreclosure Prevention Reports
    # (13-22% 60+ a year after modification) and Treasury HAMP data imply ~3.5x.
    to_dq30: Fraction = 0.012
    roll_multiplier_modified: float = Field(default=3.5, ge=0, description="re-default multiplier after a modification")


class Dq30Rates(_Probs):
    cure: Fraction = 0.40
    roll: Fraction = 0.30


class Dq60Rates(_Probs):
    cure: Fraction = 0.20
    roll: Fraction = 0.45
    modification: Fraction = 0.02
    deed_in_lieu: Fraction = 0.002


class Dq90Rates(_Probs):
    cure: Fraction = 0.04
    to_foreclosure: Fraction = 0.08  # Black Knight: starts / 90+ not in foreclosure, 7-9% a month
    modification: Fraction = 0.03
    deed_in_lieu: Fraction = 0.004
    cure_decay: float = Field(default=0.93, gt=0, le=1, description="cure multiplier per extra month behind past 3")
    referral_min_behind: int = Field(
        default=4, ge=3, le=12, description="payments behind before a foreclosure referral (Regulation X: > 120 days)"
    )


class ForeclosureRates(_Probs):
    cure: Fraction = 0.012
    modification: Fraction = 0.012
    deed_in_lieu: Fraction = 0.004


class Delinquency(_Frozen):
    current: CurrentRates = CurrentRates()
    dq30: Dq30Rates = Dq30Rates()
    dq60: Dq60Rates = Dq60Rates()
    dq90: Dq90Rates = Dq90Rates()
    foreclosure: ForeclosureRates = ForeclosureRates()


class LtvCurve(_Frozen):
    """Piecewise-linear multipliers of mark-to-market LTV (flat beyond the ends)."""

    ltv: tuple[float, ...] = (0.5, 0.8, 1.0, 1.2, 1.5)
    roll: tuple[float, ...] = (0.6, 1.0, 1.5, 2.2, 3.0)
    cure: tuple[float, ...] = (1.2, 1.0, 0.8, 0.65, 0.5)

    @model_validator(mode="after")
    def _shape(self):
        n = len(self.ltv)
        if n < 1 or len(self.roll) != n or len(self.cure) != n:
            raise ValueError(f"ltv, roll and cure need the same length, got {n}, {len(self.roll)}, {len(self.cure)}")
        if any(b <= a for a, b in zip(self.ltv, self.ltv[1:])):
            raise ValueError(f"ltv knots must increase, got {list(self.ltv)}")
        if any(x < 0 for x in self.roll + self.cure):
            raise ValueError("multipliers must be non-negative")
        return self


class Multipliers(_Frozen):
    """Loan and path multipliers of the roll (current -> dq30) and cure hazards.

    roll x exp(fico_roll x (fico - fico_center) / 100), cure x exp(fico_cure x ...);
    roll x clip(1 + original_ltv_roll x (ltv - 0.8), 0.5, 2); unknown FICO/LTV: 1.
    """

    mtm_ltv: LtvCurve = LtvCurve()
    fico_center: float = 680.0
    fico_roll: float = -0.8
    fico_cure: float = 0.4
    original_ltv_roll: float = 1.0


class Modification(_Frozen):
    """Flex-Modification-style terms (Fannie Mae / Freddie Mac servicing guides):
    arrears capitalised, the rate set to min(note rate, max(floor, note - rate_cut))
    with the floor at the market mortgage rate unless given (Flex: the lesser of
    the note rate and the posted modification rate), term extended, part forborne."""

    rate_cut: AnnualRate = 0.10
    rate_floor: AnnualRate | None = Field(default=None, description="default: economy.mortgage_rate")
    term_months: int = Field(default=480, ge=1, le=720, description="modified loans amortise to this projection month")
    forbearance: Fraction = 0.10


class Foreclosure(_Frozen):
    """Timelines by state (engine/data/foreclosure_timelines.csv) and costs."""

    timeline_months: dict[str, int] = Field(default_factory=dict, description="per-state overrides")
    months: int | None = Field(default=None, ge=0, le=240, description="one timeline for every loan")
    default_months: int | None = Field(
        default=None, ge=0, le=240, description="loans with no state on the tape (default: national average)"
    )
    legal_cost_monthly: float = Field(default=300.0, ge=0, description="[currency per loan-month]")

    @field_validator("timeline_months")
    @classmethod
    def _timelines(cls, v: dict[str, int]) -> dict[str, int]:
        known = default_timelines().months
        for state, months in v.items():
            if str(state).strip().upper() not in known:
                raise ValueError(f"{state}: unknown state code (expected a USPS code of the 50 states, DC or PR)")
            if not isinstance(months, int) or isinstance(months, bool) or months < 0 or months > 240:
                raise ValueError(f"{state}: expected whole months in [0, 240], got {months!r}")
        return v


class Reo(_Frozen):
    months: int = Field(default=REO_MARKETING_MONTHS, ge=0, le=120, description="REO marketing time (engine.timelines)")
    holding_cost_monthly: float = Field(default=250.0, ge=0, description="[currency per loan-month]")
    selling_cost: Fraction = 0.08  # commission ~5-6% plus closing costs
    # distressed-sale discount to the tape's market value: Campbell, Giglio &
    # Pathak (AER 2011) find foreclosed homes sell ~27% lower, part of it condition
    sale_discount: Fraction = 0.15


class DeedInLieu(_Frozen):
    cost: float = Field(default=3000.0, ge=0, description="cash for keys and transfer [currency per loan]")


class Advances(_Frozen):
    taxes_insurance_rate: AnnualRate = Field(
        default=0.015, description="annual T&I as a decimal of property value, advanced from dq90+"
    )


class Liquidation(_Frozen):
    """A fixed severity replaces the sale outcome (SIFMA-style comparisons)."""

    severity: Fraction | None = None


class StateModel(_Frozen):
    delinquency: Delinquency = Delinquency()
    multipliers: Multipliers = Multipliers()
    modification: Modification = Modification()
    deed_in_lieu: DeedInLieu = DeedInLieu()
    foreclosure: Foreclosure = Foreclosure()
    reo: Reo = Reo()
    advances: Advances = Advances()
    liquidation: Liquidation = Liquidation()


class HPI(_Frozen):
    """National log home-price index: drift and volatility are annual decimals.

    Defaults as scenarios/hpi_base.yaml: 3.5% a year growth (long-run US
    nominal, Case-Shiller national 1987-2017), 4% a year index volatility
    (S&P Case-Shiller composites). ``correlation`` applies to rate shocks when
    a rate model supplies them."""

    drift: SignedRate = 0.035
    volatility: AnnualRate = 0.04
    correlation: float = Field(default=0.0, ge=-1, le=1)
    antithetic: bool = False
    scenario: tuple[tuple[int, float], ...] | None = Field(
        default=None, description="fixed path: (month, change from today) points, e.g. [[36, -0.25]]"
    )
    scenario_file: Path | None = Field(default=None, description="a scenarios/*.yaml file (relative to the config)")

    @field_validator("scenario", mode="before")
    @classmethod
    def _points(cls, v):
        if v is None:
            return v
        from .hpi import _check_points

        try:
            return _check_points(v, "points")
        except ConfigError as e:
            raise ValueError(str(e).removeprefix("points")) from None  # "[i]: ..."


class Economy(_Frozen):
    mortgage_rate: AnnualRate = Field(default=0.0625, description="market mortgage rate, flat [annual decimal]")
    hpi: HPI = HPI()


class Simulation(_Frozen):
    integration: Literal["expected", "sampled"] = "sampled"
    paths: int = Field(default=1000, ge=1, le=10_000_000)
    seed: int = Field(default=1, ge=0, lt=2**63)
    horizon: int | None = Field(default=None, ge=1, le=1200, description="months; default: long enough to resolve")
    chunk_paths: int = Field(default=64, ge=1, description="paths per chunk; does not change results")
    start_month: int = Field(default=12, ge=1, le=12, description="calendar month of projection month 1")


class Output(_Frozen):
    dir: Path | None = None
    loans: bool = Field(default=False, description="write loans.parquet (outcome probabilities per loan)")
    quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


class InlineLoan(BaseModel):
    """A tape row written in the config; columns are checked with the tape rules."""

    model_config = ConfigDict(extra="allow", frozen=True)
    loan_id: str | int


class Config(_Frozen):
    """A validated run configuration.

    Attributes
    ----------
    name : run name, used in output metadata.
    tape : path of a Parquet or CSV loan tape, resolved against the config
        file's folder; or ``loans``, inline rows.
    assumptions, valuation, output : see the README key reference.
    base_dir : folder relative paths were resolved against (not a YAML key).
    """

    name: str = Field(min_length=1)
    model: Literal["standard", "state"] = "standard"
    tape: Path | None = None
    loans: tuple[InlineLoan, ...] | None = None
    assumptions: Assumptions = Assumptions()
    valuation: Valuation | None = None
    output: Output = Output()
    simulation: Simulation = Simulation()
    economy: Economy = Economy()
    state_model: StateModel = StateModel()

    @model_validator(mode="after")
    def _tape_or_loans(self) -> "Config":
        if self.model == "standard":
            for key in ("simulation", "economy", "state_model"):
                if key in self.model_fields_set:
                    raise ValueError(f"{key}: only used by the state model (add `model: state`)")
        else:
            for key in ("default", "loss"):
                if key in self.assumptions.model_fields_set:
                    raise ValueError(
                        f"assumptions.{key}: not used by the state model, whose defaults and losses "
                        "come from state_model (delinquency, foreclosure, reo, liquidation)"
                    )
        if self.model == "standard" and self.assumptions.prepay.model == "turnover":
            raise ValueError(
                "assumptions.prepay.model: 'turnover' needs the state model (model: state), "
                "the standard model takes psa, cpr, smm, vector or none"
            )
        if (self.tape is None) == (self.loans is None):
            raise ValueError("give exactly one of `tape` (a file) or `loans` (inline rows)")
        if self.loans is not None and len(self.loans) == 0:
            raise ValueError("loans: expected at least one loan")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain JSON-able data: every key the chosen
        model uses, defaults included, and none it does not."""
        if self.model == "standard":
            exclude: Any = {"simulation", "economy", "state_model"}
        else:
            exclude = {"assumptions": {"default", "loss"}}
        return json.loads(self.model_dump_json(by_alias=True, exclude_none=True, exclude=exclude))

    def hash(self) -> str:
        """sha256 of the resolved config (stable key order). Files are named by
        their file name only, so the hash does not depend on where the project
        is checked out; ``run.json`` records the tape's own sha256 beside it."""
        data = self.to_dict()
        if self.tape is not None:
            data["tape"] = self.tape.name
        if self.economy.hpi.scenario_file is not None:
            data["economy"]["hpi"]["scenario_file"] = self.economy.hpi.scenario_file.name
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


# --------------------------------------------------------------------------
# loading


_RELATIVE_KEY = re.compile(r"^(\[\d+\]|[A-Za-z_][\w.]*(\[\d+\])?)$")


def _format_errors(err: ValidationError, data: Any, source: str, prefix: str = "") -> str:
    """One line per error: ``<source><key path>: <what was expected>[, got <value>]``.
    ``prefix`` is the key path of ``data`` when it is part of a larger config."""
    lines = []
    for e in err.errors():
        path = ".".join(p for p in (prefix, _readable_path(e["loc"], data)) if p)
        if e["type"] == "value_error":
            msg = str(e.get("ctx", {}).get("error", e["msg"]))
            # a validator that points below its own level starts with that key: "loss: ..."
            key, sep, rest = msg.partition(": ")
            if sep and _RELATIVE_KEY.match(key):
                full = f"{path}{key}" if key.startswith("[") else ".".join(p for p in (path, key) if p)
                lines.append(f"{source}{full}: {rest}")
                continue
        elif e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] == "union_tag_invalid":
            expected = e.get("ctx", {}).get("expected_tags", "")
            msg = f"unknown model {e.get('ctx', {}).get('tag')!r}, expected one of {expected}"
            path = f"{path}.model" if path else "model"
            lines.append(f"{source}{path}: {msg}")
            continue
        elif e["type"] == "union_tag_not_found":
            msg = "expected a `model` key"
        else:
            msg = e["msg"][0].lower() + e["msg"][1:]
        got = ""
        if e["type"] not in ("missing", "value_error") and "input" in e:
            shown = e["input"]
            if not isinstance(shown, (dict, list)):
                got = f", got {shown!r}"
        lines.append(f"{source}{path or '<config>'}: {msg}{got}")
    return "\n".join(lines)


def _readable_path(loc: tuple, data: Any) -> str:
    """Join a pydantic location, dropping union-tag components and `yield_` aliases."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, str) and isinstance(node, dict) and item not in node:
            if node.get("model") == item:  # discriminated-union tag, not a key
                continue
        if item == "yield_":
            item = "yield"
        parts.append(f"[{item}]" if isinstance(item, int) else str(item))
        if isinstance(node, dict):
            node = node.get(item)
        elif isinstance(node, list) and isinstance(item, int) and item < len(node):
            node = node[item]
        else:
            node = None
    return ".".join(parts).replace(".[", "[")


def apply_overrides(data: dict, overrides: list[str] | tuple[str, ...]) -> dict:
    """Apply ``a.b.c=VALUE`` overrides (VALUE parsed as YAML) to a copy of ``data``."""
    data = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item}: expected KEY.PATH=VALUE")
        key, raw = item.split("=", 1)
        keys = [k for k in key.strip().split(".") if k]
        if not keys:
            raise ConfigError(f"--set {item}: empty key path")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node = data
        for k in keys[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[keys[-1]] = value
    return data


def load_config(
    source: str | Path | dict | Config,
    overrides: list[str] | tuple[str, ...] = (),
    base_dir: str | Path | None = None,
) -> Config:
    """Read and validate a config.

    Parameters
    ----------
    source : a YAML file path, a dict of the same shape, or a ``Config``.
    overrides : ``a.b.c=VALUE`` strings applied before validation.
    base_dir : folder that relative ``tape`` paths are resolved against; the
        YAML file's folder by default, else the current directory.

    Raises
    ------
    ConfigError : with one line per problem, each naming the key path.
    """
    if isinstance(source, Config):
        if not overrides:
            return source
        source = source.to_dict()
    label = ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = f"{path}: "
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except OSError as e:
            raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise ConfigError(f"{path}:{where}: not valid YAML ({problem})") from None
        if base_dir is None:
            base_dir = path.parent
    else:
        data = copy.deepcopy(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{label}expected a mapping of keys at the top level")
    data = apply_overrides(data, overrides)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_errors(err, data, label)) from None
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if cfg.tape is not None and not cfg.tape.is_absolute():
        cfg = cfg.model_copy(update={"tape": (base / cfg.tape)})
    scenario = cfg.economy.hpi.scenario_file
    if scenario is not None and not scenario.is_absolute():
        hpi = cfg.economy.hpi.model_copy(update={"scenario_file": base / scenario})
        cfg = cfg.model_copy(update={"economy": cfg.economy.model_copy(update={"hpi": hpi})})
    return cfg
