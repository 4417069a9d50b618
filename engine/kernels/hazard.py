"""The state model's hazard model: each cell's monthly exit probabilities.

Shared verbatim by both integrations (:mod:`.integration`); the cell and
transition layout is in :mod:`.state`.
"""

from __future__ import annotations

from ..jit import jit
from .state import (
    H_DQ30_CURE, H_DQ30_ROLL, H_DQ60_CURE, H_DQ60_DIL, H_DQ60_MOD, H_DQ60_ROLL, H_DQ90_CURE,
    H_DQ90_CURE_DECAY, H_DQ90_DIL, H_DQ90_FC, H_DQ90_MOD, H_FC_CURE, H_FC_DIL, H_FC_MOD,
    H_MOD_ROLL_MULT, H_REFERRAL_MIN, H_TO_DQ30, K, N_TR, TR_CURE, TR_DIL, TR_MOD, TR_PREPAY,
    TR_ROLL, TR_STAY,
)


@jit
def interp(x, xs, ys):
    """Piecewise-linear, flat beyond the ends."""
    n = xs.shape[0]
    if x <= xs[0]:
        return ys[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    j = 1
    while xs[j] < x:
        j += 1
    w = (x - xs[j - 1]) / (xs[j] - xs[j - 1])
    return ys[j - 1] + w * (ys[j] - ys[j - 1])


@jit
def exit_probs(out_p, branch, cell, t_fc, fc0, reo0, smm, roll_mult, cure_mult, hp):
    """Monthly exit probabilities of a cell into ``out_p[TR_*]`` (TR_STAY = the rest).

    The hazard model: shared verbatim by both integrations.
    current:  prepay = SMM; roll = to_dq30 x roll_mult (x the re-default
              multiplier on modified terms).
    dq30/60:  cure x cure_mult, roll, (dq60) modification, deed-in-lieu.
    dq90+:    cure x cure_mult x decay^(k - 3), mod, DIL, and foreclosure referral
              once k >= the referral minimum (4 by default: Regulation X,
              12 CFR 1024.41(f), bars a first filing before 120 days delinquent).
    foreclosure: cure (reinstatement) x cure_mult, mod, DIL.
    REO:      none (sold after the marketing time).
    If multipliers push the exits over 1, the cure (or roll) is cut to fit.
    """
    for j in range(N_TR):
        out_p[j] = 0.0
    if cell == 0:
        roll = hp[H_TO_DQ30] * roll_mult
        if branch == 1:
            roll *= hp[H_MOD_ROLL_MULT]
        if roll > 1.0 - smm:
            roll = 1.0 - smm
        out_p[TR_PREPAY] = smm
        out_p[TR_ROLL] = roll
    elif cell == 1:
        out_p[TR_ROLL] = hp[H_DQ30_ROLL]
        out_p[TR_CURE] = min(hp[H_DQ30_CURE] * cure_mult, 1.0 - out_p[TR_ROLL])
    elif cell == 2:
        out_p[TR_ROLL] = hp[H_DQ60_ROLL]
        out_p[TR_MOD] = hp[H_DQ60_MOD]
        out_p[TR_DIL] = hp[H_DQ60_DIL]
        room = 1.0 - out_p[TR_ROLL] - out_p[TR_MOD] - out_p[TR_DIL]
        out_p[TR_CURE] = min(hp[H_DQ60_CURE] * cure_mult, room)
    elif cell <= K:
        out_p[TR_ROLL] = hp[H_DQ90_FC] if cell >= hp[H_REFERRAL_MIN] else 0.0
        out_p[TR_MOD] = hp[H_DQ90_MOD]
        out_p[TR_DIL] = hp[H_DQ90_DIL]
        room = 1.0 - out_p[TR_ROLL] - out_p[TR_MOD] - out_p[TR_DIL]
        decay = hp[H_DQ90_CURE_DECAY] ** (cell - 3)
        out_p[TR_CURE] = min(hp[H_DQ90_CURE] * cure_mult * decay, room)
    elif cell < reo0:
        out_p[TR_MOD] = hp[H_FC_MOD]
        out_p[TR_DIL] = hp[H_FC_DIL]
        room = 1.0 - out_p[TR_MOD] - out_p[TR_DIL]
        out_p[TR_CURE] = min(hp[H_FC_CURE] * cure_mult, room)
    stay = 1.0
    for j in range(1, N_TR):
        stay -= out_p[j]
    out_p[TR_STAY] = stay if stay > 0.0 else 0.0
