"""Naive, pure-Python reference implementation of the SIFMA / Bond Market
Association "Uniform Practices / Standard Formulas", chapter SF (02/01/99).

This module exists only to serve as an *obviously correct* oracle for tests.
It is written for readability, not speed: plain loops, plain floats, no numpy,
no numba.  Every function cites the section and page of chapter SF that it
implements.  Golden data extracted from the same document live in
``tests/data`` (see ``tests/data/SOURCES.md``).

Conventions used throughout
---------------------------
* Rates passed as *percent* where the SF text uses percent (``wac_pct=8.0``,
  ``speed_pct=150``), and as *fractions* for per-month rates (``smm=0.01``,
  ``mdr=0.01``), mirroring the columns of the SF-23..SF-38 tables.
* ``MONTH`` (SF-6): the accrual period during which loan age goes from
  MONTH-1 to MONTH.  For a pool whose loans have age ``age`` at the start of
  the projection, projection month ``i`` (1-based) is ``MONTH = age + i``.
  Both the PSA curve and the SDA curve are evaluated at ``MONTH``: for new
  loans (age 0) the first projected month uses PSA/SDA month 1 (0.2% CPR and
  0.02% CDR at 100%).  This is what Cash Flow B on SF-31 prints
  (annual default rate 0.000200, monthly prepay rate 0.000250 in month 1).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Union

RateInput = Union[float, Sequence[float], Callable[[int], float]]


# ---------------------------------------------------------------------------
# Section B: prepayments
# ---------------------------------------------------------------------------

def amortized_balance(wac_pct: float, original_term: int, payments_made: int) -> float:
    """Scheduled balance fraction of a level-payment loan (SF B.1, page SF-4).

    BAL = [1 - (1 + C/1200)^-(M)] / [1 - (1 + C/1200)^-(M0)], where M0 is the
    original term and M = M0 - payments_made the remaining term.  Returns 0
    once the loan is fully amortized.  A zero coupon amortizes linearly.
    """
    remaining = original_term - payments_made
    if remaining <= 0:
        return 0.0
    if payments_made <= 0:
        return 1.0
    r = wac_pct / 1200.0
    if r == 0.0:
        return remaining / float(original_term)
    return (1.0 - (1.0 + r) ** (-remaining)) / (1.0 - (1.0 + r) ** (-original_term))


def level_payment(wac_pct: float, original_term: int) -> float:
    """Gross monthly payment as a fraction of original par (SF B.1, page SF-4)."""
    r = wac_pct / 1200.0
    if r == 0.0:
        return 1.0 / original_term
    return r / (1.0 - (1.0 + r) ** (-original_term))


def cpr_to_smm(cpr_pct: float) -> float:
    """CPR (annual, percent) -> SMM (monthly, percent).  SF B.2.b, page SF-6.

    (1 - SMM/100)^12 = 1 - CPR/100.
    """
    return 100.0 * (1.0 - (1.0 - cpr_pct / 100.0) ** (1.0 / 12.0))


def smm_to_cpr(smm_pct: float) -> float:
    """SMM (percent) -> CPR (percent).  SF B.2.b, page SF-6."""
    return 100.0 * (1.0 - (1.0 - smm_pct / 100.0) ** 12)


def psa_cpr(month: int, speed_pct: float) -> float:
    """CPR in percent for ``month`` under ``speed_pct`` PSA (SF B.2.c, SF-6).

    CPR = min(PSA/100 * 0.2 * max(1, min(MONTH, 30)), 100).
    ``month`` is MONTH (1 for the first month after origination); values
    below 1 are treated as 1, as the text prescribes for loan age 0.
    """
    return min(speed_pct / 100.0 * 0.2 * max(1, min(month, 30)), 100.0)


def psa_smm(month: int, speed_pct: float) -> float:
    """SMM as a *fraction* for MONTH ``month`` at ``speed_pct`` PSA (SF-6)."""
    return cpr_to_smm(psa_cpr(month, speed_pct)) / 100.0


def cpr_to_psa(cpr_pct: float, month: int) -> float:
    """PSA speed implied by a one-month CPR in MONTH ``month`` (SF-8)."""
    return 100.0 * cpr_pct / min(0.2 * max(1, month), 6.0)


def smm_from_factors(f1: float, f2: float, bal1: float, bal2: float) -> float:
    """One-month SMM (percent) from pool factors (SF B.2.a, pages SF-5, SF-7/8).

    Fsched = F1 * BAL2/BAL1;  SMM = 100 * (Fsched - F2) / Fsched.
    """
    fsched = f1 * bal2 / bal1
    return 100.0 * (fsched - f2) / fsched


def abs_smm(month: int, abs_pct: float) -> float:
    """SMM (percent) for ABS speed ``abs_pct`` in MONTH ``month`` (SF B.4, SF-13).

    SMM = 100 * ABS / (100 - ABS * (MONTH - 1)).
    """
    return 100.0 * abs_pct / (100.0 - abs_pct * (month - 1))


# ---------------------------------------------------------------------------
# Section C: defaults
# ---------------------------------------------------------------------------

def sda_cdr(month: int, speed_pct: float) -> float:
    """Annual default rate in percent under ``speed_pct`` SDA (SF C.4, SF-20/21).

    100% SDA: 0.02% per month of age for MONTH 1..30 (0.60% at 30), flat at
    0.60% for MONTH 31..60, declining linearly by 0.0095%/month from 61 to
    0.03% at 120, flat at 0.03% afterwards.  ``month`` is MONTH (=age+i for
    projection month i), matching SF-31 where month 1 prints 0.000200.
    (The "zero in the last n months" rule is applied by the cash-flow engine,
    not here.)
    """
    m = max(1, month)
    if m <= 30:
        base = 0.02 * m
    elif m <= 60:
        base = 0.60
    elif m <= 120:
        base = 0.60 - (m - 60) * (0.60 - 0.03) / 60.0
    else:
        base = 0.03
    return base * speed_pct / 100.0


def cdr_to_mdr(cdr_pct: float) -> float:
    """Annual default rate (percent) -> MDR (percent).  SF C.4.g, page SF-21.

    MDR = 100 * (1 - (1 - CDR/100)^(1/12)).
    """
    return 100.0 * (1.0 - (1.0 - cdr_pct / 100.0) ** (1.0 / 12.0))


def sda_mdr(month: int, speed_pct: float) -> float:
    """MDR as a *fraction* for MONTH ``month`` at ``speed_pct`` SDA."""
    return cdr_to_mdr(sda_cdr(month, speed_pct)) / 100.0


def _rate_getter(rate: RateInput) -> Callable[[int], float]:
    """Turn a scalar / sequence (index 0 = month 1) / callable into f(month)."""
    if callable(rate):
        return rate
    if isinstance(rate, (int, float)):
        value = float(rate)
        return lambda i: value
    seq = list(rate)

    def get(i: int) -> float:
        return float(seq[i - 1]) if i - 1 < len(seq) else float(seq[-1])

    return get


def sifma_default_cash_flows(
    balance: float,
    wac_pct: float,
    net_pct: float,
    wam: int,
    age: int,
    smm: RateInput,
    mdr: RateInput,
    severity: float,
    months_to_liquidation: int,
    advancing: bool = True,
) -> List[Dict[str, float]]:
    """Mortgage cash flows with defaults, one pool (SF C.3, pages SF-18/19).

    Parameters
    ----------
    balance : performing balance at the start (month 0).
    wac_pct : gross WAC in percent (drives the amortization schedule).
    net_pct : net (pass-through) rate in percent (drives interest columns).
    wam, age : remaining and elapsed term in months; the schedule is that of a
        level-payment loan with original term ``age + wam`` (SF B.1).
    smm, mdr : monthly prepayment / default rates as *fractions*; scalar,
        sequence indexed from projection month 1, or callable f(i) with i the
        1-based projection month.
    severity : loss severity as a fraction of the defaulted balance.
    months_to_liquidation : L, the "months until recovery".
    advancing : whether P&I are advanced (affects AM DEF and ADB).

    Formulas, exactly as printed (i = projection month, SCH(k) = scheduled
    balance fraction after k payments, with k counted from origination):

    * NEW DEF(i)   = PERF(i-1) * MDR(i)       (MDR forced to 0 for i > WAM-L, C.3.j)
    * VOL PREPAY(i)= PERF(i-1) * SCH(i)/SCH(i-1) * SMM(i), capped so PERF(i) >= 0
    * ADB(i)       = NEW DEF(i-L) * SCH(i-1)/SCH(i-1-L) if advancing else NEW DEF(i-L)
    * EXP AM(i)    = (PERF(i-1) + FCL(i-1) - ADB(i)) * (1 - SCH(i)/SCH(i-1))
    * AM DEF(i)    = (NEW DEF(i) + FCL(i-1) - ADB(i)) * (1 - SCH(i)/SCH(i-1)) if advancing else 0
    * ACT AM(i)    = (PERF(i-1) - NEW DEF(i)) * (1 - SCH(i)/SCH(i-1))
    * FCL(i)       = NEW DEF(i) + FCL(i-1) - ADB(i) - AM DEF(i)
    * PERF(i)      = PERF(i-1) - NEW DEF(i) - VOL PREPAY(i) - ACT AM(i)
    * EXP INT(i)   = (PERF(i-1) + FCL(i-1)) * net/1200
    * LOST INT(i)  = (NEW DEF(i) + FCL(i-1)) * net/1200
    * ACT INT(i)   = EXP INT(i) - LOST INT(i)
    * PRIN LOSS(i) = min(NEW DEF(i-L) * severity, ADB(i))
    * PRIN RECOV(i)= max(ADB(i) - PRIN LOSS(i), 0)

    Returns a list of dicts, one per projection month 1..WAM, with the golden
    CSV column names plus ``smm`` and ``mdr`` (the rates actually applied).
    """
    get_smm = _rate_getter(smm)
    get_mdr = _rate_getter(mdr)
    term = age + wam
    L = months_to_liquidation
    net_monthly = net_pct / 1200.0

    def sch(i: int) -> float:
        # scheduled balance fraction after projection month i
        return amortized_balance(wac_pct, term, age + i)

    perf_prev = float(balance)
    fcl_prev = 0.0
    new_defaults: Dict[int, float] = {}
    rows: List[Dict[str, float]] = []
    for i in range(1, wam + 1):
        ratio = sch(i) / sch(i - 1) if sch(i - 1) > 0 else 0.0
        m_smm = get_smm(i)
        m_mdr = get_mdr(i) if i <= wam - L else 0.0

        new_def = perf_prev * m_mdr
        new_defaults[i] = new_def

        if i - L >= 1:
            nd_l = new_defaults[i - L]
            if advancing:
                adb = nd_l * sch(i - 1) / sch(i - 1 - L)
            else:
                adb = nd_l
            loss = min(nd_l * severity, adb)
            recov = max(adb - loss, 0.0)
        else:
            adb = loss = recov = 0.0

        exp_am = (perf_prev + fcl_prev - adb) * (1.0 - ratio)
        am_def = (new_def + fcl_prev - adb) * (1.0 - ratio) if advancing else 0.0
        act_am = (perf_prev - new_def) * (1.0 - ratio)
        vol = perf_prev * ratio * m_smm
        # SF C.2.e / C.3 note c: ACT AM + NEW DEF + VOL <= PERF(i-1)
        vol = max(0.0, min(vol, perf_prev - new_def - act_am))
        fcl = new_def + fcl_prev - adb - am_def
        perf = perf_prev - new_def - vol - act_am

        exp_int = (perf_prev + fcl_prev) * net_monthly
        lost_int = (new_def + fcl_prev) * net_monthly
        act_int = exp_int - lost_int

        rows.append({
            "month": i,
            "performing_balance": perf,
            "new_defaults": new_def,
            "foreclosure_balance": fcl,
            "amort_factor": sch(i),
            "expected_amortization": exp_am,
            "voluntary_prepayments": vol,
            "amortization_from_defaults": am_def,
            "actual_amortization": act_am,
            "expected_interest": exp_int,
            "interest_lost": lost_int,
            "actual_interest": act_int,
            "principal_recovery": recov,
            "principal_loss": loss,
            "amortized_default_balance": adb,
            "smm": m_smm,
            "mdr": m_mdr,
        })
        perf_prev, fcl_prev = perf, fcl
    return rows


def psa_sda_cash_flows(balance: float, wac_pct: float, net_pct: float, wam: int, age: int,
                       psa_pct: float, sda_pct: float, severity: float,
                       months_to_liquidation: int, advancing: bool = True) -> List[Dict[str, float]]:
    """Convenience wrapper: PSA prepayments and SDA defaults evaluated at
    MONTH = age + i (SF B.2.c and C.4; convention verified against SF-31)."""
    return sifma_default_cash_flows(
        balance, wac_pct, net_pct, wam, age,
        smm=lambda i: psa_smm(age + i, psa_pct),
        mdr=lambda i: sda_mdr(age + i, sda_pct),
        severity=severity, months_to_liquidation=months_to_liquidation,
        advancing=advancing)


def cumulative_default_pct(psa_pct: float, sda_pct: float, wac_pct: float = 8.0,
                           term: int = 360, months_to_liquidation: int = 12) -> float:
    """Cumulative new defaults as percent of original balance (SF C.4 matrix, SF-21)."""
    rows = psa_sda_cash_flows(100.0, wac_pct, wac_pct, term, 0, psa_pct, sda_pct,
                              0.0, months_to_liquidation, True)
    return sum(r["new_defaults"] for r in rows)


# ---------------------------------------------------------------------------
# Plain pass-through cash flows (no defaults), for the section G examples
# ---------------------------------------------------------------------------

def pass_through_cash_flows(balance: float, wac_pct: float, net_pct: float, wam: int,
                            age: int, smm: RateInput) -> List[Dict[str, float]]:
    """Monthly pass-through cash flows (SF B.1, page SF-4).

    Scheduled principal = B * (1 - SCH(i)/SCH(i-1)); prepayment = SMM times
    the scheduled (post-amortization) balance; investor interest at the net
    rate, servicing = B * (WAC - net)/1200.  ``smm`` as a fraction.
    """
    get_smm = _rate_getter(smm)
    term = age + wam
    b = float(balance)
    out = []
    for i in range(1, wam + 1):
        s0 = amortized_balance(wac_pct, term, age + i - 1)
        s1 = amortized_balance(wac_pct, term, age + i)
        ratio = s1 / s0 if s0 > 0 else 0.0
        sched = b * (1.0 - ratio)
        prepay = (b - sched) * get_smm(i)
        gross_int = b * wac_pct / 1200.0
        net_int = b * net_pct / 1200.0
        principal = sched + prepay
        out.append({
            "month": i, "beginning_balance": b, "smm": get_smm(i),
            "mortgage_payment": sched + gross_int, "gross_interest": gross_int,
            "net_interest": net_int, "servicing_fee": gross_int - net_int,
            "scheduled_principal": sched, "prepayment": prepay,
            "total_principal": principal, "cash_flow": principal + net_int,
            "ending_balance": b - principal,
        })
        b -= principal
    return out


# ---------------------------------------------------------------------------
# Section E: day counts and delay
# ---------------------------------------------------------------------------

def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def days_30_360(y1: int, m1: int, d1: int, y2: int, m2: int, d2: int) -> int:
    """30/360 day count of SF E.1 (page SF-44).

    If M1 is February and D1 is its last day, D1 := 30; if D1 = 31, D1 := 30;
    then if D1 = 30 and D2 = 31, D2 := 30.
    N = max(360*(Y2-Y1) + 30*(M2-M1) + (D2-D1), 0).
    """
    if m1 == 2 and d1 == (29 if _is_leap(y1) else 28):
        d1 = 30
    if d1 == 31:
        d1 = 30
    if d1 == 30 and d2 == 31:
        d2 = 30
    return max(360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1), 0)


def cash_flow_times(n: int, delay_days: int, settle_days_into_period: int = 0) -> List[float]:
    """Years from settlement to receipt of monthly cash flows 1..n (SF E.2, G.1.a).

    T_k = (30*k + delay - s) / 360, with ``delay`` the *actual* delay (e.g. 14
    for Ginnie Mae I; stated delay 45 = 30 + 14 + 1) and ``s`` the 30/360 days
    from the start of the accrual period (the factor date) to settlement.  The
    SF-50 example writes exactly (1+Y/200)^(2*44/360), (1+Y/200)^(2*74/360)
    for delay 14 settled on the issue date.
    """
    return [(30.0 * k + delay_days - settle_days_into_period) / 360.0 for k in range(1, n + 1)]


# ---------------------------------------------------------------------------
# Section G: yield and yield-related measures
# ---------------------------------------------------------------------------

def price_from_yield(cash_flows: Sequence[float], times: Sequence[float], yield_pct: float) -> float:
    """P = sum CF_k / (1 + Y/200)^(2 T_k)  (SF G.1.a, page SF-48)."""
    v = 1.0 + yield_pct / 200.0
    return sum(cf / v ** (2.0 * t) for cf, t in zip(cash_flows, times))


def yield_from_price(price: float, cash_flows: Sequence[float], times: Sequence[float],
                     lo: float = -50.0, hi: float = 200.0, tol: float = 1e-12) -> float:
    """Bond-equivalent (semiannual, 30/360) yield in percent by bisection (SF G.1.a)."""
    f = lambda y: price_from_yield(cash_flows, times, y) - price
    flo, fhi = f(lo), f(hi)
    if flo * fhi > 0:
        raise ValueError("yield not bracketed")
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if fm == 0 or hi - lo < tol:
            return mid
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


def mortgage_yield(bey_pct: float) -> float:
    """Monthly-compounded Mortgage Yield from bond-equivalent Y (SF G.1.b, SF-48).

    MY = 1200 * [(1 + Y/200)^(1/6) - 1].
    """
    return 1200.0 * ((1.0 + bey_pct / 200.0) ** (1.0 / 6.0) - 1.0)


def bond_equivalent_yield(mortgage_yield_pct: float) -> float:
    """Inverse of :func:`mortgage_yield`: Y = 200 * [(1 + MY/1200)^6 - 1]."""
    return 200.0 * ((1.0 + mortgage_yield_pct / 1200.0) ** 6 - 1.0)


def average_life(principal: Sequence[float], times: Sequence[float]) -> float:
    """sum T_k PR_k / sum PR_k  (SF G.1.c, page SF-49)."""
    return sum(t * p for t, p in zip(times, principal)) / sum(principal)


def macaulay_duration(cash_flows: Sequence[float], times: Sequence[float], yield_pct: float,
                      price: Optional[float] = None) -> float:
    """(1/P) sum T_k CF_k / (1+Y/200)^(2 T_k)  (SF G.1.d, page SF-49).

    P defaults to the price implied by the yield.
    """
    v = 1.0 + yield_pct / 200.0
    p = price if price is not None else price_from_yield(cash_flows, times, yield_pct)
    return sum(t * cf / v ** (2.0 * t) for cf, t in zip(cash_flows, times)) / p


def modified_duration(cash_flows: Sequence[float], times: Sequence[float], yield_pct: float,
                      price: Optional[float] = None) -> float:
    """Macaulay duration / (1 + Y/200)  (SF G.1.e, page SF-49)."""
    return macaulay_duration(cash_flows, times, yield_pct, price) / (1.0 + yield_pct / 200.0)


def cash_flow_convexity(cash_flows: Sequence[float], times: Sequence[float], yield_pct: float,
                        price: Optional[float] = None) -> float:
    """Cash-flow convexity in years^2 (SF G.1.f, page SF-49).

    C = 1 / ((1+Y/200)^2 P) * sum T_k (T_k + 1/2) CF_k / (1+Y/200)^(2 T_k).
    (Divide by 100 for the alternative quotation, e.g. 54.4326 -> 0.544326.)
    """
    v = 1.0 + yield_pct / 200.0
    p = price if price is not None else price_from_yield(cash_flows, times, yield_pct)
    s = sum(t * (t + 0.5) * cf / v ** (2.0 * t) for cf, t in zip(cash_flows, times))
    return s / (v * v * p)


def approx_price(p0: float, y0: float, y: float, mod_dur: float, convexity: float) -> float:
    """P ~ P0 [1 - ModDur (Y-Y0)/100 + Conv/2 ((Y-Y0)/100)^2]  (SF G.1.g, SF-49)."""
    dy = (y - y0) / 100.0
    return p0 * (1.0 - mod_dur * dy + 0.5 * convexity * dy * dy)


def effective_duration_convexity(p0: float, p_up: float, p_down: float, shift_pct: float):
    """Solve the two SF-51 equations for (effective duration, effective convexity).

    p_up  = p0 [1 - D h + C h^2/2],  p_down = p0 [1 + D h + C h^2/2], h = shift/100.
    """
    h = shift_pct / 100.0
    d = (p_down - p_up) / (2.0 * p0 * h)
    c = (p_up + p_down - 2.0 * p0) / (p0 * h * h)
    return d, c


def total_rate_of_return(p0: float, pt: float, years: float) -> float:
    """Bond-equivalent total rate of return, percent (SF G.1.h, SF-50).

    200 * [(PT/P0)^(1/(2T)) - 1].
    """
    return 200.0 * ((pt / p0) ** (1.0 / (2.0 * years)) - 1.0)


def total_percentage_return(p0: float, pt: float) -> float:
    """100 * (PT/P0 - 1)  (SF G.1.h, page SF-50)."""
    return 100.0 * (pt / p0 - 1.0)
