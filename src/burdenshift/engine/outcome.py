"""Each draw's stocks, capability, coverage and gaps, year by year, as one compiled pass.

After the orders loop has said what each draw adds to the stocks, what remains is a short
chain per draw and year: stocks retire and receive, capability sums per metric, coverage is
capped at the requirement, the US leaving coordination costs what C2 cannot cover, and each
area takes the weighted mean of its metrics. As whole-batch numpy passes each step went over
(years × draws × metrics) memory; per draw, the rows stay in cache. The rules are those of
docs/method.md ("What is counted"); `simulate` keeps the numbers the detailed view reports.
"""

from __future__ import annotations

import numba
import numpy as np

A = np.ndarray
# every division is guarded, so numpy's error model (no zero-division checks) changes nothing
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")
_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")


@_inline
def _row(x: A, b: int) -> int:
    """The row of a per-draw array for draw b: its own, or the one row every draw shares."""
    return b if x.shape[0] > 1 else 0


@_inline
def _area_mean(x: A, metric_area: A, metric_weight: A, w: A, weighted: bool, out: A) -> None:
    """out[a] = the weighted mean of x over area a's metrics: by the stated weights, times a
    draw's weights when they are drawn (renormalised; an area whose drawn weights all fall to
    zero keeps its stated ones)."""
    out[:] = 0.0
    if not weighted:
        for m in range(x.size):
            out[metric_area[m]] += x[m] * metric_weight[m]
        return
    total = np.zeros(out.size)
    plain = np.zeros(out.size)
    for m in range(x.size):
        a = metric_area[m]
        out[a] += x[m] * w[m] * metric_weight[m]
        total[a] += w[m] * metric_weight[m]
        plain[a] += x[m] * metric_weight[m]
    for a in range(out.size):
        out[a] = out[a] / total[a] if total[a] > 1e-12 else plain[a]


@_jit
def run(
    stocks_in: tuple, ready: A, per_item: tuple, requirement: tuple, cap_u: A, areas: tuple,
    coordination: tuple, out: tuple, detail_out: tuple,
) -> None:  # fmt: skip
    """`stocks_in`: stock0 (draw, system), retire (draw|1, system), added (year, draw, system),
    sent (system, year); `ready` (draw|1, system, year); `per_item`: value (system,), the
    system's metric (system,); `requirement`: req, 1/req and 1 where nothing is required
    (year, draw|1, metric); `cap_u` (year, draw|1, metric); `areas`: each metric's area and
    weight, the drawn weights (draw|0, metric), the C2 area (−1: none); `coordination`: each
    draw's withdrawal year, the years, the penalty per area (draw|1, area).
    Fills `out` (share, gap: year, draw, area) and, when their last axis is not empty,
    `detail_out` (stocks, deliveries, retirements, transfers: year, draw, system; capability:
    year, draw, metric)."""
    stock0, retire, added, sent = stocks_in
    value, system_metric = per_item
    req, inv_req, no_req = requirement
    metric_area, metric_weight, weights, c2 = areas
    withdrawal, years, penalty = coordination
    share, gap = out
    stocks, deliv, retired, given, cap_out = detail_out
    n_t, n_b, n_sys = added.shape
    n_m, n_a = metric_area.size, share.shape[2]
    weighted = weights.shape[0] > 0
    detail = stocks.shape[2] > 0
    stock = np.empty(n_sys)
    cap, cov, mean = np.empty(n_m), np.empty(n_m), np.empty(n_a)
    no_weights = np.ones(n_m)
    for b in range(n_b):
        stock[:] = stock0[b]
        life, rd = retire[_row(retire, b)], _row(ready, b)
        w = weights[b] if weighted else no_weights
        pen = penalty[_row(penalty, b)]
        for t in range(n_t):
            if t > 0:
                for s in range(n_sys):
                    out_s = stock[s] * life[s]
                    stock[s] = stock[s] - out_s + added[t, b, s]
                    sent_s = min(sent[s, t], max(stock[s], 0.0))
                    stock[s] -= sent_s
                    if detail:
                        deliv[t, b, s], retired[t, b, s], given[t, b, s] = (
                            added[t, b, s], out_s, sent_s,
                        )  # fmt: skip
            if detail:
                stocks[t, b] = stock
            cap[:] = 0.0
            for s in range(n_sys):
                cap[system_metric[s]] += stock[s] * ready[rd, s, t] * value[s]
            rq = _row(req[t], b)
            c2_cov = 1.0
            if c2 >= 0:
                for m in range(n_m):
                    cov[m] = min(cap[m] * inv_req[t, rq, m] + no_req[t, rq, m], 1.0)
                _area_mean(cov, metric_area, metric_weight, w, weighted, mean)
                c2_cov = mean[c2]
            if years[t] >= withdrawal[b]:
                for m in range(n_m):
                    cap[m] *= 1.0 - pen[metric_area[m]] * max(0.0, 1.0 - c2_cov)
            if detail:
                cap_out[t, b] = cap
            for m in range(n_m):
                cov[m] = min(cap[m] * inv_req[t, rq, m] + no_req[t, rq, m], 1.0)
            _area_mean(cov, metric_area, metric_weight, w, weighted, share[t, b])
            cu = cap_u[t, _row(cap_u[t], b)]
            for m in range(n_m):
                cov[m] = max(0.0, req[t, rq, m] - cap[m] - cu[m]) * inv_req[t, rq, m]
            _area_mean(cov, metric_area, metric_weight, w, weighted, gap[t, b])
