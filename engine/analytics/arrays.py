"""Input checks shared by the analytics functions.

Every check raises :class:`engine.errors.InputError` with a message that names
the argument (and the element), the value and what was expected. Kernels see
only arrays that passed these checks.
"""

from __future__ import annotations

import numpy as np

from ..config.fields import percent_hint
from ..errors import InputError


def cash_flow_matrix(values, name: str, *, contiguous: bool = True) -> tuple[np.ndarray, bool]:
    """Cash flows as a C-contiguous float64 (vectors, months) array.

    Parameters
    ----------
    values : array_like
        One vector (months,) or a matrix (vectors, months) [currency].
    name : str
        Argument name for error messages.
    contiguous : bool
        False: a float64 view with any row stride is returned as it is (no
        copy), e.g. the months 1..T of a (vectors, T + 1) array.

    Returns
    -------
    (matrix, one_vector)
        The (vectors, months) array and whether the input was one vector.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected an array of numbers, got {type(values).__name__}") from None
    if arr.ndim not in (1, 2):
        raise InputError(
            f"{name}: expected one vector (months,) or a 2-D array (vectors, months), got shape {arr.shape}"
        )
    one_vector = arr.ndim == 1
    matrix = arr.reshape(1, -1) if one_vector else arr
    if contiguous:
        matrix = np.ascontiguousarray(matrix)
    if matrix.shape[1] == 0:
        raise InputError(f"{name}: expected at least one month, got shape {arr.shape}")
    # one pass, no temporary: the sum is finite when every element is (a sum
    # that overflows is checked element by element)
    with np.errstate(over="ignore", invalid="ignore"):
        total = matrix.sum()
    if not np.isfinite(total) and not np.isfinite(matrix).all():
        i, k = np.argwhere(~np.isfinite(matrix))[0]
        where = f"[{k}]" if one_vector else f"[{i}, {k}]"
        raise InputError(f"{name}{where}: expected a finite number, got {matrix[i, k]}")
    return matrix, one_vector


def annual_rate(value, name: str) -> np.ndarray:
    """An annual effective rate (or an array of them) in (-1, 1), as float64.

    A value in [1, 100] is reported as a probable percent.
    """
    arr = np.asarray(value, dtype=np.float64)
    bad = ~(np.isfinite(arr) & (arr > -1.0) & (arr < 1.0))
    if bad.any():
        idx = np.argwhere(bad)[0] if arr.ndim else ()
        v = float(arr[tuple(idx)])
        where = "".join(f"[{i}]" for i in idx)
        raise InputError(
            f"{name}{where}: expected an annual effective decimal in (-1, 1), got {v:g}{percent_hint(v, signed=True)}"
        )
    return arr


def non_negative(value, name: str) -> float:
    """A finite amount >= 0 [currency], as float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number, got {value!r}") from None
    if not (np.isfinite(v) and v >= 0.0):
        raise InputError(f"{name}: expected a finite amount >= 0, got {v:g}")
    return v
