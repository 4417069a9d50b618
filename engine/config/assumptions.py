"""Cash-flow assumptions: prepayment and default speed models, loss, valuation.

Each speed model is one config class whose ``model`` tag names it; the
kernels read them through :mod:`engine.behavior.speeds` (rate tables) and
:mod:`engine.behavior.prepayment` (the turnover + refinancing model).
Rates are annual decimals, SMM/MDR monthly decimals, prices percent of face.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import ConfigDict, Field, field_validator, model_validator

from .fields import AnnualRate, Fraction, Frozen, percent_hint

# --------------------------------------------------------------------------
# prepayment assumptions (SIFMA SF section B.2)


class PrepayPSA(Frozen):
    """PSA ramp: CPR = speed/100 x 6% x min(age, 30)/30, age = loan age at the payment."""

    model: Literal["psa"]
    speed: float = Field(ge=0, le=5000, description="percent of the PSA benchmark (150 = 150% PSA)")


class PrepayCPR(Frozen):
    model: Literal["cpr"]
    rate: AnnualRate = Field(description="annual decimal CPR")


class PrepaySMM(Frozen):
    model: Literal["smm"]
    rate: Fraction = Field(description="monthly decimal SMM")


class PrepayVector(Frozen):
    """CPR by projection month (month 1 first); the last value is carried forward."""

    model: Literal["vector"]
    cpr: tuple[AnnualRate, ...] = Field(min_length=1)


class PrepayNone(Frozen):
    model: Literal["none"]


# approximate month-of-year prepayment factors (January first), after the
# seasonal pattern of agency turnover in Richard & Roll (1989) and Hayre (ed.),
# "Salomon Smith Barney Guide to MBS": slow winter, fast late summer.
SEASONALITY = (0.80, 0.82, 0.92, 1.00, 1.06, 1.12, 1.12, 1.14, 1.08, 1.02, 0.98, 0.94)


class PrepayTurnover(Frozen):
    """Turnover with seasoning and seasonality, plus a refinancing S-curve
    with burnout (``turnover_refi``; ``turnover`` is the same model).

    CPR = base_cpr x min(1, age / ramp_months) x seasonality[month of year]
          + refi_max_cpr x burnout / (1 + exp(-(incentive - refi_midpoint) / refi_slope)),
    incentive = note rate - the path's mortgage rate [annual decimal];
    burnout = exp(-burnout x sum of past positive incentive in rate-years).
    After Richard & Roll (1989); parameters are typical agency magnitudes.
    The market rate is ``economy.mortgage_rate`` (flat), or each path's
    mortgage rate when the run has rate paths (``economy.curve``); see
    :func:`engine.kernels.prepayment.refi_smm_path`.
    """

    model: Literal["turnover_refi", "turnover"]
    base_cpr: AnnualRate = 0.06
    ramp_months: int = Field(default=30, ge=1, le=360)
    seasonality: tuple[float, ...] = SEASONALITY
    refi_max_cpr: AnnualRate = 0.30
    refi_midpoint: float = Field(default=0.0075, gt=-1, lt=1, description="incentive at half the refi CPR [annual decimal]")
    refi_slope: float = Field(default=0.0025, ge=1e-5, le=1, description="S-curve width [annual decimal]")
    burnout: float = Field(default=0.0, ge=0, le=1000)

    @field_validator("seasonality")
    @classmethod
    def _season(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if len(v) != 12 or any(not 0 <= x <= 10 for x in v):
            raise ValueError(f"expected 12 month-of-year factors in [0, 10], got {list(v)}")
        return v


Prepay = Annotated[
    Union[PrepayPSA, PrepayCPR, PrepaySMM, PrepayVector, PrepayTurnover, PrepayNone],
    Field(discriminator="model"),
]

# --------------------------------------------------------------------------
# default assumptions (SIFMA SF section C.4)


class DefaultSDA(Frozen):
    """SDA curve by loan age; see :func:`engine.behavior.speeds.sda_cdr`."""

    model: Literal["sda"]
    speed: float = Field(ge=0, le=5000, description="percent of the SDA benchmark")


class DefaultCDR(Frozen):
    model: Literal["cdr"]
    rate: AnnualRate = Field(description="annual decimal CDR")


class DefaultMDR(Frozen):
    model: Literal["mdr"]
    rate: Fraction = Field(description="monthly decimal MDR")


class DefaultVector(Frozen):
    """CDR by projection month (month 1 first); the last value is carried forward."""

    model: Literal["vector"]
    cdr: tuple[AnnualRate, ...] = Field(min_length=1)


class DefaultNone(Frozen):
    model: Literal["none"]


Default = Annotated[
    Union[DefaultSDA, DefaultCDR, DefaultMDR, DefaultVector, DefaultNone],
    Field(discriminator="model"),
]


class Loss(Frozen):
    """Loss given default, SIFMA SF section C.2.f-g."""

    severity: Fraction = Field(description="loss / balance at default, decimal")
    liquidation_lag: int = Field(ge=0, le=120, description="months from default to liquidation")
    advancing: bool = Field(default=True, description="servicer advances P&I on loans in foreclosure")


class Assumptions(Frozen):
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


# effective duration and convexity shift the curve up and down by this [bp]
DEFAULT_SHIFT_BP = 25.0


class Valuation(Frozen):
    """Either a price (percent of face) or a yield (annual decimal, mortgage
    basis); on rate paths (``economy.curve``) a price or an OAS (annual
    decimal, continuously compounded), with the curve shift for effective
    duration and convexity and the key-rate switch."""

    price: float | None = Field(default=None, gt=0, le=1000)
    yield_: float | None = Field(default=None, alias="yield")
    oas: float | None = Field(default=None, description="option-adjusted spread [annual decimal]; rate paths only")
    delay_days: int = Field(default=0, ge=0, le=365)
    shift_bp: float | None = Field(default=None, gt=0, le=500, description="curve shift for durations [bp]; default 25")
    key_rate_durations: bool | None = Field(default=None, description="key-rate durations at the curve's tenors")

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
            raise ValueError(f"expected an annual decimal in (-0.5, 1), got {v:g}{percent_hint(v)}")
        return v

    @field_validator("oas")
    @classmethod
    def _oas(cls, v: float | None) -> float | None:
        if v is not None and not -0.2 < v < 0.2:
            raise ValueError(f"expected an annual decimal in (-0.2, 0.2), got {v:g}{percent_hint(v, signed=True)}")
        return v

    @model_validator(mode="after")
    def _one_of(self) -> "Valuation":
        given = [k for k, v in (("price", self.price), ("yield", self.yield_), ("oas", self.oas)) if v is not None]
        if self.oas is None and len(given) != 1:
            raise ValueError("give exactly one of `price` or `yield`")
        if len(given) != 1:
            raise ValueError(f"give exactly one of `price`, `yield` or `oas`, got {', '.join(given)}")
        return self

    @property
    def shift(self) -> float:
        """The duration shift [annual decimal]."""
        return (self.shift_bp if self.shift_bp is not None else DEFAULT_SHIFT_BP) / 1e4
