"""The hazard model's inputs: config + tape -> the state kernels' named groups.

Everything the kernels need about a loan or a parameter is resolved here, in
Python, once: loan multipliers (FICO, original LTV), foreclosure timelines by
state, property values, modified terms, starting arrears
(:class:`~engine.kernels.state.LoanArrays`), and the hazard parameter vector
indexed by the ``H_*`` constants (:class:`~engine.kernels.state.HazardParams`).
"""

from __future__ import annotations

import numpy as np

from .. import config as cfg
from ..config.state_model import ASSUMED_LTV
from ..inputs.tape import Loans
from ..inputs.timelines import foreclosure_months
from ..kernels import state as ks
from ..kernels.state import HazardParams, LoanArrays


def loan_arrays(loans: Loans, sm: cfg.StateModel, mortgage_rate: float) -> LoanArrays:
    """Resolve per-loan hazard inputs (see the module docstring).

    ``mortgage_rate`` [annual decimal] is the market rate that floors a
    modified rate when ``state_model.modification.rate_floor`` is not given."""
    mult = sm.multipliers
    fico = loans.fico
    known_fico = np.isfinite(fico)
    z = np.where(known_fico, (fico - mult.fico_center) / 100.0, 0.0)
    ltv = loans.ltv
    ltv_factor = np.where(np.isfinite(ltv), np.clip(1.0 + mult.original_ltv_roll * (ltv - 0.8), 0.5, 2.0), 1.0)
    roll_mult = np.exp(mult.fico_roll * z) * ltv_factor
    cure_mult = np.exp(mult.fico_cure * z)

    value0 = loans.property_value.copy()
    missing = ~np.isfinite(value0)
    from_ltv = loans.original_balance / np.where(np.isfinite(ltv), ltv, np.nan)
    value0[missing] = np.where(np.isfinite(from_ltv[missing]), from_ltv[missing], loans.balance[missing] / ASSUMED_LTV)

    if sm.foreclosure.months is not None:  # one timeline for every loan
        t_fc = np.full(loans.n, sm.foreclosure.months, dtype=np.int64)
    else:
        t_fc = foreclosure_months(loans.state, sm.foreclosure.timeline_months or None, sm.foreclosure.default_months)

    # arrears: the tape's, else estimated as the missed interest of each payment behind
    arrears = np.where(
        (loans.arrears == 0) & (loans.payments_behind > 0),
        loans.payments_behind * loans.balance * loans.note_rate / 12.0,
        loans.arrears,
    ) + loans.escrow_advances

    mod = sm.modification
    floor = mortgage_rate if mod.rate_floor is None else mod.rate_floor
    mod_rate = np.minimum(loans.note_rate, np.maximum(floor, loans.note_rate - mod.rate_cut))
    mod_rate = np.maximum(mod_rate, loans.servicing_fee)  # the servicing strip is never cut
    mod_maturity = np.maximum(loans.remaining_term, mod.term_months).astype(np.int64)
    return LoanArrays(
        balance=loans.balance,
        note_rate=loans.note_rate,
        servicing=loans.servicing_fee,
        term=loans.remaining_term.astype(np.int64),
        age=loans.age.astype(np.int64),
        status=loans.status.astype(np.int64),
        behind=loans.payments_behind.astype(np.int64),
        arrears=arrears,
        deferred=loans.deferred_balance,
        value0=value0,
        t_fc=np.asarray(t_fc, dtype=np.int64),
        roll_mult=roll_mult,
        cure_mult=cure_mult,
        mod_rate=mod_rate,
        mod_maturity=mod_maturity,
    )


def hazard_params(sm: cfg.StateModel, fc_max: int) -> HazardParams:
    """Loan-independent hazard inputs; ``fc_max`` is the tape's longest
    foreclosure timeline [months] (it sizes the cell layout)."""
    d = sm.delinquency
    hp = np.zeros(ks.N_H)
    hp[ks.H_TO_DQ30] = d.current.to_dq30
    hp[ks.H_MOD_ROLL_MULT] = d.current.roll_multiplier_modified
    hp[ks.H_DQ30_CURE] = d.dq30.cure
    hp[ks.H_DQ30_ROLL] = d.dq30.roll
    hp[ks.H_DQ60_CURE] = d.dq60.cure
    hp[ks.H_DQ60_ROLL] = d.dq60.roll
    hp[ks.H_DQ60_MOD] = d.dq60.modification
    hp[ks.H_DQ60_DIL] = d.dq60.deed_in_lieu
    hp[ks.H_DQ90_CURE] = d.dq90.cure
    hp[ks.H_DQ90_FC] = d.dq90.to_foreclosure
    hp[ks.H_DQ90_MOD] = d.dq90.modification
    hp[ks.H_DQ90_DIL] = d.dq90.deed_in_lieu
    hp[ks.H_DQ90_CURE_DECAY] = d.dq90.cure_decay
    hp[ks.H_REFERRAL_MIN] = d.dq90.referral_min_behind
    hp[ks.H_FC_CURE] = d.foreclosure.cure
    hp[ks.H_FC_MOD] = d.foreclosure.modification
    hp[ks.H_FC_DIL] = d.foreclosure.deed_in_lieu
    hp[ks.H_FORBEAR] = sm.modification.forbearance
    hp[ks.H_LEGAL] = sm.foreclosure.legal_cost_monthly
    hp[ks.H_HOLDING] = sm.reo.holding_cost_monthly
    # the share of the tape value lost at an REO sale: selling costs on a discounted price
    hp[ks.H_SELLING] = 1.0 - (1.0 - sm.reo.selling_cost) * (1.0 - sm.reo.sale_discount)
    hp[ks.H_DIL_COST] = sm.deed_in_lieu.cost
    hp[ks.H_TI_RATE] = sm.advances.taxes_insurance_rate
    hp[ks.H_SEVERITY] = -1.0 if sm.liquidation.severity is None else sm.liquidation.severity
    mods_on = (d.dq60.modification + d.dq90.modification + d.foreclosure.modification) > 0

    curve = sm.multipliers.mtm_ltv
    return HazardParams(
        hp=hp,
        ltv_knots=np.array(curve.ltv, dtype=np.float64),
        ltv_roll=np.array(curve.roll, dtype=np.float64),
        ltv_cure=np.array(curve.cure, dtype=np.float64),
        t_reo=int(sm.reo.months),
        fc_max=int(fc_max),
        mods_on=bool(mods_on),
    )


__all__ = ["hazard_params", "loan_arrays"]
