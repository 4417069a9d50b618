"""The loan-level state model's parameters (``state_model:``).

Every probability is monthly. Defaults are magnitudes for US re-performing
and non-performing residential loans; docs/state_model_parameters.md gives
the public figure behind each one (or says it is an assumption).
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ..errors import ConfigError
from ..inputs.timelines import OVERRIDE_KEY, REO_MARKETING_MONTHS, validate_overrides
from .fields import AnnualRate, Cost, Fraction, Frozen

# property value = balance / ASSUMED_LTV when the tape gives neither a value nor an LTV
ASSUMED_LTV = 0.80

class _Probs(Frozen):
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
    roll_multiplier_modified: float = Field(default=3.5, ge=0, le=100, description="re-default multiplier after a modification")


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


class Delinquency(Frozen):
    current: CurrentRates = CurrentRates()
    dq30: Dq30Rates = Dq30Rates()
    dq60: Dq60Rates = Dq60Rates()
    dq90: Dq90Rates = Dq90Rates()
    foreclosure: ForeclosureRates = ForeclosureRates()


class LtvCurve(Frozen):
    """Piecewise-linear multipliers of mark-to-market LTV (flat beyond the ends);
    knots in (0, 10], multipliers in [0, 100]."""

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
        if any(not 0 < x <= 10 for x in self.ltv):
            raise ValueError(f"ltv: expected knots in (0, 10], got {list(self.ltv)}")
        for key in ("roll", "cure"):
            if any(not 0 <= x <= 100 for x in getattr(self, key)):
                raise ValueError(f"{key}: expected multipliers in [0, 100], got {list(getattr(self, key))}")
        return self


class Multipliers(Frozen):
    """Loan and path multipliers of the roll (current -> dq30) and cure hazards.

    roll x exp(fico_roll x (fico - fico_center) / 100), cure x exp(fico_cure x ...);
    roll x clip(1 + original_ltv_roll x (ltv - 0.8), 0.5, 2); unknown FICO/LTV: 1.
    Slopes are bounded so that no multiplier overflows: |fico_roll|, |fico_cure|
    <= 5 per 100 points, |original_ltv_roll| <= 10.
    """

    mtm_ltv: LtvCurve = LtvCurve()
    fico_center: float = Field(default=680.0, ge=300, le=850, description="a FICO score")
    fico_roll: float = Field(default=-0.8, ge=-5, le=5, description="per 100 FICO points")
    fico_cure: float = Field(default=0.4, ge=-5, le=5, description="per 100 FICO points")
    original_ltv_roll: float = Field(default=1.0, ge=-10, le=10)


class Modification(Frozen):
    """Flex-Modification-style terms (Fannie Mae / Freddie Mac servicing guides):
    arrears capitalised, the rate set to min(note rate, max(floor, note - rate_cut))
    with the floor at the market mortgage rate unless given (Flex: the lesser of
    the note rate and the posted modification rate), term extended, part forborne."""

    rate_cut: AnnualRate = 0.10
    rate_floor: AnnualRate | None = Field(default=None, description="default: economy.mortgage_rate")
    term_months: int = Field(default=480, ge=1, le=720, description="modified loans amortise to this projection month")
    forbearance: Fraction = 0.10


class Foreclosure(Frozen):
    """Timelines by state (engine/inputs/data/foreclosure_timelines.csv) and costs."""

    timeline_months: dict[str, int] = Field(default_factory=dict, description="per-state overrides")
    months: int | None = Field(default=None, ge=0, le=240, description="one timeline for every loan")
    default_months: int | None = Field(
        default=None, ge=0, le=240, description="loans with no state on the tape (default: national average)"
    )
    legal_cost_monthly: Cost = Field(default=300.0, description="[currency per loan-month], at most 1e7")

    @field_validator("timeline_months")
    @classmethod
    def _timelines(cls, v: dict[str, int]) -> dict[str, int]:
        try:
            checked = validate_overrides(v)
        except ConfigError as e:  # "<key>.<ST>: ..." -> "<ST>: ..." under this field
            raise ValueError(str(e).removeprefix(OVERRIDE_KEY + ".")) from None
        for state, months in checked.items():
            if months > 240:
                raise ValueError(f"{state}: expected whole months in [0, 240], got {months!r}")
        return checked


class Reo(Frozen):
    months: int = Field(default=REO_MARKETING_MONTHS, ge=0, le=120, description="REO marketing time (engine.inputs.timelines)")
    holding_cost_monthly: Cost = Field(default=250.0, description="[currency per loan-month], at most 1e7")
    selling_cost: Fraction = 0.08  # commission ~5-6% plus closing costs
    # distressed-sale discount to the tape's market value: Campbell, Giglio &
    # Pathak (AER 2011) find foreclosed homes sell ~27% lower, part of it condition
    sale_discount: Fraction = 0.15


class DeedInLieu(Frozen):
    cost: Cost = Field(default=3000.0, description="cash for keys and transfer [currency per loan], at most 1e7")


class Advances(Frozen):
    taxes_insurance_rate: AnnualRate = Field(
        default=0.015, description="annual T&I as a decimal of property value, advanced from dq90+"
    )


class Liquidation(Frozen):
    """A fixed severity replaces the sale outcome (SIFMA-style comparisons)."""

    severity: Fraction | None = None


class StateModel(Frozen):
    delinquency: Delinquency = Delinquency()
    multipliers: Multipliers = Multipliers()
    modification: Modification = Modification()
    deed_in_lieu: DeedInLieu = DeedInLieu()
    foreclosure: Foreclosure = Foreclosure()
    reo: Reo = Reo()
    advances: Advances = Advances()
    liquidation: Liquidation = Liquidation()
