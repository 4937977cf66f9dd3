"""The data draws' inner work, compiled: each figure at its group's quantile, and the factors
its change from the stated value makes on the arrays it feeds.

A risk run draws about a thousand figures per draw; as whole-array numpy passes, each step of
the inverse CDF and the sparse product went over (draws × figures) memory. Per draw, the
figures and the factor row stay in cache (`data_draws` holds the rule and its documentation).
"""

from __future__ import annotations

import numba
import numpy as np

A = np.ndarray
# every division is guarded, so numpy's error model (no zero-division checks) changes nothing
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def from_quantiles(
    u: A, group: A, ranges: tuple, flat: A, ptr: A, col: A, weight: A, out: A
) -> None:
    """out[b] = 1 + Σ_j (value_j(u[b, group[j]]) − mode_j) × weight_j: figure j's change moves
    the entries `col[ptr[j]:ptr[j+1]]` of the factor row by those shares of their totals.

    `ranges`: six (figures,) arrays, low, mode, high, and the triangular inverse CDF's
    constants: the cut (mode − low)/(high − low), (high − low)(mode − low) and
    (high − low)(high − mode)."""
    low, mode, high, cut, below, above = ranges
    for b in range(u.shape[0]):
        row = out[b]
        row[:] = 0.0
        for j in range(group.size):
            q = u[b, group[j]]
            if flat[j]:
                v = low[j] + (high[j] - low[j]) * q
            elif q < cut[j]:
                v = low[j] + np.sqrt(q * below[j])
            else:
                v = high[j] - np.sqrt((1.0 - q) * above[j])
            # written out, not a helper: as a call per figure, passing the arrays cost more than
            # the work
            change = v - mode[j]
            for k in range(ptr[j], ptr[j + 1]):
                row[col[k]] += change * weight[k]
        row += 1.0


@_jit
def from_values(values: A, mode: A, ptr: A, col: A, weight: A, out: A) -> None:
    """The same factor rows from figures already drawn (batch × figures)."""
    for b in range(values.shape[0]):
        row = out[b]
        row[:] = 0.0
        for j in range(mode.size):
            change = values[b, j] - mode[j]
            for k in range(ptr[j], ptr[j + 1]):
                row[col[k]] += change * weight[k]
        row += 1.0
