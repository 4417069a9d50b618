"""Note pricing keys: ``purchase``, ``holder_costs`` and ``pricing``.

A config with a ``pricing:`` block (and no other ``analysis``) runs the
``pricing`` analysis kind (:mod:`engine.runs.pricing`) on the state model's
sampled integration. Units: prices in config are **percent of UPB** (the
tape's ``balance``); costs in currency per loan; yields, hurdles and IRRs are
**annual effective decimals**, ``(1 + monthly)^12 - 1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from .fields import MAX_COST, Frozen, check_decimal

if TYPE_CHECKING:
    from .schema import Config

# purchase prices in percent of UPB above this are refused as typos
MAX_PRICE_PCT = 500.0


class Purchase(Frozen):
    """What the buyer pays at month 0, per loan."""

    price: float | None = Field(
        default=None,
        description="percent of UPB (the tape's balance), for loans without an asking_price in the tape",
    )
    costs: float = Field(
        default=0.0, ge=0, le=MAX_COST,
        description="acquisition costs per loan [currency]: due diligence, title, boarding; at most 1e7",
    )

    @field_validator("price")
    @classmethod
    def _price(cls, v: float | None) -> float | None:
        if v is None:
            return v
        if not v > 0.0:
            raise ValueError(f"expected a price in percent of UPB above 0 (55 for 55%), got {v:g}")
        if v < 1.0:
            raise ValueError(
                f"expected a price in percent of UPB (55 for 55%), got {v:g} (a decimal? write {v * 100:g})"
            )
        if v > MAX_PRICE_PCT:
            raise ValueError(f"expected a price in percent of UPB at most {MAX_PRICE_PCT:g}, got {v:g}")
        return v


class HolderCosts(Frozen):
    """The holder's own servicing costs per loan and month [currency], by the
    loan's status at the month's start, while the loan is live."""

    servicing_performing_monthly: float = Field(
        default=0.0, ge=0, le=MAX_COST, description="loan current [currency/month], at most 1e7"
    )
    servicing_nonperforming_monthly: float = Field(
        default=0.0, ge=0, le=MAX_COST, description="loan delinquent, in foreclosure or REO [currency/month], at most 1e7"
    )


class OutcomeYields(Frozen):
    """Required yield of each outcome [annual effective decimal]; an outcome
    left out takes ``pricing.required_yield``."""

    performing: float | None = None
    modified: float | None = None
    deed_in_lieu: float | None = None
    foreclosure: float | None = None
    unresolved: float | None = None

    @field_validator("*")
    @classmethod
    def _yield(cls, v: float | None) -> float | None:
        return v if v is None else check_decimal(v)


class Pricing(Frozen):
    """Bid prices three ways and the IRR distribution at the purchase price."""

    required_yield: float = Field(description="(a) bid at this IRR [annual effective decimal]")
    outcome_yields: OutcomeYields = OutcomeYields()
    hurdle: float | None = Field(default=None, description="(c) hurdle IRR; default: required_yield")
    confidence: float = Field(default=0.80, description="(c) required P(IRR >= hurdle), in (0, 1)")
    bid: Literal["at_yield", "by_outcome", "at_confidence"] = Field(
        default="at_yield", description="the bid a loan's ask is compared with (ask_above_bid)"
    )

    @field_validator("required_yield", "hurdle")
    @classmethod
    def _yield(cls, v: float | None) -> float | None:
        return v if v is None else check_decimal(v)

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, v: float) -> float:
        if not 0.0 < v < 1.0:
            hint = f" (a percent? write {v / 100:g})" if 1.0 < v <= 100.0 else ""
            raise ValueError(f"expected a probability in (0, 1), got {v:g}{hint}")
        return v

    @property
    def hurdle_rate(self) -> float:
        """The hurdle [annual effective decimal] (``required_yield`` when not given)."""
        return self.required_yield if self.hurdle is None else self.hurdle

    def yields_by_outcome(self) -> dict[str, float]:
        """Outcome name -> required yield, every outcome present."""
        given = self.outcome_yields
        return {
            name: (self.required_yield if getattr(given, name) is None else getattr(given, name))
            for name in OutcomeYields.model_fields
        }


PRICING_KEYS = ("purchase", "holder_costs", "pricing")


def check_pricing_keys(config: "Config") -> None:
    """Errors of the pricing keys against the rest of the config (each
    message starts with the key it is about)."""
    given = [k for k in PRICING_KEYS if getattr(config, k) is not None]
    if config.output.path_cashflows is not None:
        given.append("output.path_cashflows")
    if config.analysis == "pricing" and config.pricing is None:
        raise ValueError("pricing: required by `analysis: pricing` (expected {required_yield, ...})")
    for key in given:
        if config.model != "state":
            raise ValueError(f"{key}: only used by note pricing, which needs the state model (add `model: state`)")
        if key != "pricing" and config.pricing is None:
            raise ValueError(f"{key}: only used by note pricing (add a `pricing:` block)")
    if config.pricing is not None and config.analysis in (None, "pricing"):
        if config.simulation.integration != "sampled":
            raise ValueError(
                "simulation.integration: note pricing needs each path's own outcome and IRR, "
                f"so the sampled integration (got {config.simulation.integration!r})"
            )


__all__ = ["HolderCosts", "OutcomeYields", "PRICING_KEYS", "Pricing", "Purchase", "check_pricing_keys"]
