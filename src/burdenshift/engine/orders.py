"""Each draw's yearly orders, new capacity, deliveries and payments, as one compiled loop.

The year's work on the production lines (what buyers order, what lines can add, what critical
inputs allow, who pays what) is a few dozen operations per line, repeated for every draw and
year. As whole-array numpy operations each one passes over (draws × lines) memory and the
interpreter runs between them; compiled per draw, the line arrays stay in cache and the loop
releases the interpreter lock, so chunks on two threads use both cores.

The rule itself is in docs/method.md ("How Europe buys"): buyers with the same export routes
face the same choice, so the work is done once per route pattern. A pattern spends its money
across the capabilities it can buy in proportion to their shortfall (or to the full requirement
when none it can buy falls short), and spreads each capability's money over its lines by what
each line could deliver this year. New capacity is ordered on the orders today's output cannot
meet, within a line's ramp, its ceiling and what buyers can pay; money the short capabilities
could not absorb then buys spare output toward the full requirement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from burdenshift.engine import counting

A = np.ndarray
_jit = numba.njit(cache=True, nogil=True)


@dataclass(frozen=True)
class Routes:
    """Each year's route patterns of the buyers, shared by every draw, as one common code per
    line plus the few (pattern, line) routes that differ from it (a producer's own lines with US
    content, the US's closed ones): a pattern's view of a capability then differs from the
    common one only in the few (pattern, metric) cells those routes touch."""

    common: np.ndarray
    """(year, line) each line's usual route code (counting.CLOSED, OPEN, LICENSED)."""
    n_patterns: np.ndarray
    """(year,) patterns in use."""
    pattern: np.ndarray
    """(year, buyer) each buyer's pattern."""
    diff_ptr: np.ndarray
    """(year + 1,) where each year's differing routes start in the diff_ arrays."""
    diff_line: np.ndarray
    diff_pattern: np.ndarray
    diff_code: np.ndarray
    diff_cell: np.ndarray
    """The route's (pattern, metric) cell, an index into cell_pattern and cell_metric."""
    cell_pattern: np.ndarray
    cell_metric: np.ndarray
    cell_ptr: np.ndarray
    """(year + 1,) where each year's cells start."""


def routes_of(per_year: list[tuple[np.ndarray, np.ndarray]], line_metric: np.ndarray) -> Routes:
    """Routes from each year's (pattern, line) codes and each buyer's pattern."""
    kinds = np.array([counting.CLOSED, counting.OPEN, counting.LICENSED])
    common, diffs, cells, offset = [], [], [], 0
    for codes, _ in per_year:
        usual = kinds[(codes[:, :, None] == kinds).sum(0).argmax(1)]
        pat, line = np.nonzero(codes != usual[None, :])
        keys, cell = np.unique(pat * len(line_metric) + line_metric[line], return_inverse=True)
        common.append(usual)
        diffs.append((line, pat, codes[pat, line], cell.ravel() + offset))
        cells.append((keys // len(line_metric), keys % len(line_metric)))
        offset += keys.size
    ptr = np.cumsum([0] + [d[0].size for d in diffs])
    cat = [np.concatenate(x).astype(np.int64) for x in zip(*diffs, strict=True)]
    cell_pattern, cell_metric = (
        np.concatenate(x).astype(np.int64) for x in zip(*cells, strict=True)
    )
    return Routes(
        np.stack(common).astype(np.int64),
        np.array([codes.shape[0] for codes, _ in per_year], dtype=np.int64),
        np.stack([g.ravel() for _, g in per_year]).astype(np.int64),
        ptr.astype(np.int64),
        *cat,
        cell_pattern,
        cell_metric,
        np.cumsum([0] + [c[0].size for c in cells]).astype(np.int64),
    )


@dataclass(frozen=True)
class Lines:
    """Per draw and line (batch, line), or per line (line,) where stated."""

    capacity: np.ndarray
    ceiling: np.ndarray
    ramp: np.ndarray
    """Most a line's capacity grows in a year."""
    growth: np.ndarray
    """What a line could add toward demand in a year: min(ramp, ceiling)."""
    price: np.ndarray
    capex_unit: np.ndarray
    afford: np.ndarray
    """Items of new capacity a buyer can pay per item ordered (capital cost and, for a line
    whose capacity comes at once, the extra output)."""
    lead: np.ndarray
    """Integer years from order to capacity (≥ 1; 1 produces the same year)."""
    value: np.ndarray
    """(line,) capability per item."""
    europe_share: np.ndarray
    """(line,) share of a line's output that Europe can buy."""
    metric: np.ndarray
    """(line,) the metric a line's system counts toward."""
    system: np.ndarray
    """(line,) the system a line makes."""
    lag: np.ndarray
    """(line,) integer years from payment to delivery into stocks."""
    pipeline: np.ndarray
    """(line,) capacity already financed and not yet arrived."""
    arrivals: np.ndarray
    """(slot, line) that capacity, by the year it arrives (slots ≥ years + max lead + 1)."""
    prior: np.ndarray
    """(year, system) deliveries on orders placed before the base year."""


@dataclass(frozen=True)
class Inputs:
    """Critical inputs: which lines use how much (compressed rows), and the supply per year."""

    ptr: np.ndarray
    index: np.ndarray
    use: np.ndarray
    supply: np.ndarray
    """(year, input)."""


def inputs_of(use: np.ndarray, supply: np.ndarray) -> Inputs:
    """(line, input) use per item and (year, input) supply -> compressed rows of the users."""
    line, k = np.nonzero(use > 0)
    ptr = np.zeros(use.shape[0] + 1, dtype=np.int64)
    np.add.at(ptr, line + 1, 1)
    return Inputs(np.cumsum(ptr), k.astype(np.int64), use[line, k], supply)


@dataclass(frozen=True)
class Yearly:
    """The loop's results, year-major."""

    added: np.ndarray
    """(year, batch, system) items arriving in Europe's stocks."""
    delivered: np.ndarray
    """(year, batch, line) items delivered (paid); zero-width unless asked for."""
    spent: np.ndarray
    """(year, batch, payer) money paid for items."""
    capex: np.ndarray
    """(year, batch, payer) money paid for new capacity."""
    capacity: np.ndarray
    """(year, batch, line) capacity at each year's end; zero-width unless asked for."""


def run(
    routes: Routes,
    budget: np.ndarray,
    licence: np.ndarray,
    short: np.ndarray,
    full: np.ndarray,
    lines: Lines,
    inputs: Inputs,
    n_system: int,
    payer: np.ndarray,
    n_payer: int,
    detail: bool,
) -> Yearly:
    """`budget`: (year, batch, buyer) money; `licence`: (batch,) share of licensable transfers
    approved; `short`, `full`: (year, metric) each metric's weight times its shortfall against
    the target and against the full requirement, as a planner sees it from the baseline;
    `payer`: (buyer,) the column of `spent` and `capex` (n_payer wide) each buyer pays into."""
    n_t, n_b = budget.shape[:2]
    n_line = lines.value.size
    order = np.argsort(lines.metric, kind="stable")
    metric_ptr = np.searchsorted(lines.metric[order], np.arange(short.shape[1] + 1))

    def c(x: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        # contiguous and writeable: one compiled signature for every caller
        return np.require(x, dtype, ["C", "W"])

    def per_line(x: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        # a broadcast view is read-only, so c() would copy even a full (batch, line) array
        x = np.asarray(x)
        return c(x if x.shape == (n_b, n_line) else np.broadcast_to(x, (n_b, n_line)), dtype)

    lined = (n_t, n_b, n_line) if detail else (0, 0, 0)
    out = Yearly(
        np.zeros((n_t, n_b, n_system)),
        np.zeros(lined),
        np.zeros((n_t, n_b, n_payer)),
        np.zeros((n_t, n_b, n_payer)),
        np.zeros(lined),
    )
    r = routes
    _loop(
        (c(r.common, np.int64), c(r.n_patterns, np.int64), c(r.pattern, np.int64)),
        (
            c(r.diff_ptr, np.int64),
            c(r.diff_line, np.int64),
            c(r.diff_pattern, np.int64),
            c(r.diff_code, np.int64),
            c(r.diff_cell, np.int64),
            c(r.cell_pattern, np.int64),
            c(r.cell_metric, np.int64),
            c(r.cell_ptr, np.int64),
        ),
        (counting.OPEN, counting.LICENSED),
        c(budget),
        c(payer, np.int64),
        c(np.broadcast_to(licence, (n_b,))),
        (c(short), c(full)),
        (c(lines.metric, np.int64), c(metric_ptr, np.int64), c(order, np.int64)),
        (c(lines.value), c(lines.europe_share)),
        (c(inputs.ptr, np.int64), c(inputs.index, np.int64), c(inputs.use), c(inputs.supply)),
        (
            per_line(lines.capacity),
            per_line(lines.ceiling),
            per_line(lines.ramp),
            per_line(lines.growth),
            per_line(lines.price),
            per_line(1.0 / lines.price),
            per_line(lines.capex_unit),
            per_line(lines.afford),
        ),
        per_line(lines.lead, np.int64),
        (c(lines.pipeline), c(lines.arrivals)),
        (c(lines.system, np.int64), c(lines.lag, np.int64), c(lines.prior)),
        (out.added, out.delivered, out.spent, out.capex, out.capacity),
    )
    return out


@_jit
def _avail(
    cap: A, share: A, ptr: A, index: A, use: A, supply: A, out: A, used: A, ratio: A
) -> None:
    """Items each line can deliver to Europe this year, after rationing critical inputs: every
    line using an input short of supply delivers that input's share of its output."""
    used[:] = 0.0
    for li in range(cap.size):
        out[li] = cap[li] * share[li]
        for j in range(ptr[li], ptr[li + 1]):
            used[index[j]] += out[li] * use[j]
    for k in range(ratio.size):
        ratio[k] = min(1.0, supply[k] / max(used[k], 1e-300))
    for li in range(cap.size):
        scale = 1.0
        for j in range(ptr[li], ptr[li + 1]):
            scale = min(scale, ratio[index[j]])
        out[li] *= scale


@_jit
def _orders(
    money: A, n_g: int, base: A, dv: A, d0: int, d1: int, diffs: tuple, c0: int, c1: int,
    reach: A, value: A, per_price: A, metrics: tuple, short: A, full: A, lines: A, wm: A,
    wg: A, wc: A,
) -> None:  # fmt: skip
    """One year's orders of the route patterns, each with `money`: fills `asked` (items per
    line) and `ipm` (reachable capability per item bought, per unit of money) in `lines`, and
    each pattern's money per unit of capability: the common part (`rs`, `rf` by the pattern's
    weighing, times its `inv`) and, in the cells where its routes differ, `s_cell`.

    A pattern weighs the capabilities it can buy by their shortfall (by the full requirement
    when none it can buy falls short) and spreads each one's money over its lines by what each
    line could deliver this year."""
    _, diff_line, diff_pattern, _, diff_cell, cell_pattern, cell_metric, _ = diffs
    metric, metric_ptr, by_metric = metrics
    asked, ipm, rv, override = lines[0], lines[1], lines[2], lines[3]
    qc, rs, rf, per_metric = wm[0], wm[1], wm[2], wm[3]
    tot_s, tot_f, bys, inv = wg[0], wg[1], wg[2], wg[3]
    q_cell, s_cell, s_chg = wc[0], wc[1], wc[2]
    for li in range(reach.size):
        rv[li] = reach[li] * value[li]
        ipm[li] = rv[li] * per_price[li]
    # the common routes' reachable capability per metric, and money per unit of it
    common_s, common_f = 0.0, 0.0
    for m in range(short.size):
        total = 0.0
        for j in range(metric_ptr[m], metric_ptr[m + 1]):
            li = by_metric[j]
            total += base[li] * rv[li]
        qc[m] = total
        if total > 0:
            rs[m], rf[m] = short[m] / total, full[m] / total
            common_s += short[m]
            common_f += full[m]
        else:
            rs[m], rf[m] = 0.0, 0.0
    # a pattern's own capability in the few cells where its routes differ, summed exactly
    for g in range(n_g):
        tot_s[g], tot_f[g] = common_s, common_f
    for cell in range(c0, c1):
        g, m = cell_pattern[cell], cell_metric[cell]
        for j in range(d0, d1):
            if diff_cell[j] == cell:
                override[diff_line[j]] = base[diff_line[j]] + dv[j - d0]
        total = 0.0
        for j in range(metric_ptr[m], metric_ptr[m + 1]):
            li = by_metric[j]
            total += (override[li] if override[li] >= 0 else base[li]) * rv[li]
            override[li] = -1.0
        q_cell[cell - c0] = total
        change = (1.0 if total > 0 else 0.0) - (1.0 if qc[m] > 0 else 0.0)
        tot_s[g] += change * short[m]
        tot_f[g] += change * full[m]
    money_s, money_f = 0.0, 0.0
    for g in range(n_g):
        by_short = tot_s[g] > 1e-12
        total = tot_s[g] if by_short else tot_f[g]
        bys[g] = 1.0 if by_short else 0.0
        inv[g] = 1.0 / total if total > 0 else 0.0
        if by_short:
            money_s += money[g] * inv[g]
        else:
            money_f += money[g] * inv[g]
    for m in range(short.size):
        per_metric[m] = rs[m] * money_s + rf[m] * money_f
    for cell in range(c0, c1):
        g, m, k = cell_pattern[cell], cell_metric[cell], cell - c0
        by_short = bys[g] > 0
        w = short[m] if by_short else full[m]
        s_cell[k] = w / q_cell[k] * inv[g] if q_cell[k] > 0 else 0.0
        s_chg[k] = s_cell[k] - (rs[m] if by_short else rf[m]) * inv[g]
        per_metric[m] += money[g] * s_chg[k]
    for li in range(reach.size):
        asked[li] = base[li] * per_metric[metric[li]]
    for j in range(d0, d1):
        li = diff_line[j]
        asked[li] += money[diff_pattern[j]] * s_cell[diff_cell[j] - c0] * dv[j - d0]
    for li in range(reach.size):
        asked[li] *= ipm[li]


@_jit
def _per_pattern(
    v: A, n_g: int, base: A, dv: A, d0: int, d1: int, diffs: tuple, c0: int, c1: int,
    metric: A, lines: A, wm: A, wg: A, wc: A, out: A,
) -> None:  # fmt: skip
    """out[g] = Σ_l (items ordered on line l per unit of pattern g's money) × v[l]."""
    _, diff_line, diff_pattern, _, diff_cell, cell_pattern, cell_metric, _ = diffs
    ipm = lines[1]
    rs, rf, u = wm[1], wm[2], wm[4]
    bys, inv = wg[2], wg[3]
    s_cell, s_chg = wc[1], wc[2]
    u[:] = 0.0
    for li in range(v.size):
        u[metric[li]] += ipm[li] * v[li] * base[li]
    sum_s, sum_f = 0.0, 0.0
    for m in range(u.size):
        sum_s += rs[m] * u[m]
        sum_f += rf[m] * u[m]
    for g in range(n_g):
        out[g] = (sum_s if bys[g] > 0 else sum_f) * inv[g]
    for cell in range(c0, c1):
        out[cell_pattern[cell]] += s_chg[cell - c0] * u[cell_metric[cell]]
    for j in range(d0, d1):
        li = diff_line[j]
        out[diff_pattern[j]] += ipm[li] * v[li] * dv[j - d0] * s_cell[diff_cell[j] - c0]


@_jit
def _access(code: int, lic: float, codes: tuple) -> float:
    """Share of orders delivered on a route: 1 open, the licence share licensed, 0 closed."""
    if code == codes[0]:
        return 1.0
    return lic if code == codes[1] else 0.0


@_jit
def _loop(
    patterns: tuple, diffs: tuple, codes: tuple, budget: A, payer: A, licence: A, weights: tuple,
    metrics: tuple, per_item: tuple, inputs: tuple, line_arrays: tuple, lead: A,
    financed: tuple, stocks: tuple, out: tuple,
) -> None:  # fmt: skip
    """Per draw, year by year: capacity financed earlier arrives; the patterns order on what
    lines can deliver (or grow into); new capacity is ordered on what today's output cannot
    meet; lines deliver within their critical inputs; each buyer pays its share; money left
    buys spare output; what was paid reaches the stocks `lag` years on."""
    common, n_patterns, pattern = patterns
    diff_ptr, diff_line, _, diff_code, _, _, _, cell_ptr = diffs
    short, full = weights
    value, share = per_item
    ptr, index, use, supply = inputs
    cap0, ceiling, ramp, growth, price, per_price, capex_unit, afford = line_arrays
    pipeline0, arrivals0 = financed
    system, lag, prior = stocks
    added, delivered, spent, capex, cap_out = out
    metric = metrics[0]
    n_t, n_b, n_buy = budget.shape
    n_line, n_metric = value.size, short.shape[1]
    n_g_max = max(1, n_patterns.max())
    n_diff = 1
    for t in range(n_t):
        n_diff = max(n_diff, diff_ptr[t + 1] - diff_ptr[t])
    keep_lines = cap_out.shape[0] > 0
    arr = np.empty_like(arrivals0)
    n_cell = 1
    for t in range(n_t):
        n_cell = max(n_cell, cell_ptr[t + 1] - cell_ptr[t])
    wm, wg, wc = np.zeros((5, n_metric)), np.zeros((4, n_g_max)), np.zeros((3, n_cell))
    # per pattern: its money, and what it pays per unit of money for deliveries, for new
    # capacity and for spare output
    wp = np.zeros((4, n_g_max))
    money, pb1, pb2, pb3 = wp[0], wp[1], wp[2], wp[3]
    # per line: the orders' results (asked, ipm, rv, override), then the year's own arrays
    lw = np.empty((14, n_line))
    asked, override = lw[0], lw[3]
    cap, pipe, base, before, after, x, fill = lw[4], lw[5], lw[6], lw[7], lw[8], lw[9], lw[10]
    bill, spare, reach = lw[11], lw[12], lw[13]
    override[:] = -1.0
    dv = np.zeros(n_diff)
    used, ratio = np.empty(supply.shape[1]), np.empty(supply.shape[1])
    left = np.empty(n_buy)
    for b in range(n_b):
        arr[:] = arrivals0
        cap[:] = cap0[b]
        pipe[:] = pipeline0
        added[:, b, :] = prior
        if keep_lines:
            cap_out[0, b] = cap
        lic = licence[b]
        for ti in range(1, n_t):
            for li in range(n_line):
                cap[li] += arr[ti, li]
                pipe[li] -= arr[ti, li]
                base[li] = _access(common[ti, li], lic, codes)
            n_g, d0, d1 = n_patterns[ti], diff_ptr[ti], diff_ptr[ti + 1]
            for j in range(d0, d1):
                dv[j - d0] = _access(diff_code[j], lic, codes) - base[diff_line[j]]
            c0, c1 = cell_ptr[ti], cell_ptr[ti + 1]
            money[:n_g] = 0.0
            for k in range(n_buy):
                money[pattern[ti, k]] += budget[ti, b, k]
            _avail(cap, share, ptr, index, use, supply[ti], before, used, ratio)
            for li in range(n_line):
                reach[li] = max(before[li], growth[b, li])
            _orders(money, n_g, base, dv, d0, d1, diffs, c0, c1, reach, value, per_price[b],
                    metrics, short[ti], full[ti], lw, wm, wg, wc)  # fmt: skip
            # new capacity is ordered at the start of the year on the unmet orders
            for li in range(n_line):
                unmet = max(0.0, asked[li] - before[li])
                headroom = ceiling[b, li] - cap[li] - pipe[li]
                xv = min(min(unmet, ramp[b, li]), headroom)
                xv = max(min(xv, unmet * afford[b, li]), 0.0)
                x[li] = xv
                arr[ti - 1 + lead[b, li], li] += xv
                if lead[b, li] == 1:
                    cap[li] += xv
                else:
                    pipe[li] += xv
            _avail(cap, share, ptr, index, use, supply[ti], after, used, ratio)
            for li in range(n_line):
                a = asked[li]
                d = min(a, after[li])
                fill[li] = d / a * price[b, li] if a > 0 else 0.0
                bill[li] = x[li] * capex_unit[b, li] / a if a > 0 else 0.0
                spare[li] = max(0.0, after[li] - d)
                x[li] = d  # from here on: what was delivered
            _per_pattern(fill, n_g, base, dv, d0, d1, diffs, c0, c1, metric, lw, wm, wg, wc, pb1)
            _per_pattern(bill, n_g, base, dv, d0, d1, diffs, c0, c1, metric, lw, wm, wg, wc, pb2)
            money[:n_g] = 0.0
            for k in range(n_buy):
                g = pattern[ti, k]
                paid, paid_capex = budget[ti, b, k] * pb1[g], budget[ti, b, k] * pb2[g]
                spent[ti, b, payer[k]], capex[ti, b, payer[k]] = paid, paid_capex
                left[k] = max(0.0, budget[ti, b, k] - paid - paid_capex)
                money[g] += left[k]
            # money the short capabilities could not absorb buys today's spare output toward
            # the full requirement (no new capacity for it)
            _orders(money, n_g, base, dv, d0, d1, diffs, c0, c1, spare, value, per_price[b],
                    metrics, full[ti], full[ti], lw, wm, wg, wc)  # fmt: skip
            for li in range(n_line):
                a = asked[li]
                extra = min(a, spare[li])
                fill[li] = extra / a * price[b, li] if a > 0 else 0.0
                d = x[li] + extra
                if keep_lines:
                    delivered[ti, b, li] = d
                # paid this year, in stocks `lag` years on
                if ti + lag[li] < n_t:
                    added[ti + lag[li], b, system[li]] += d
            _per_pattern(fill, n_g, base, dv, d0, d1, diffs, c0, c1, metric, lw, wm, wg, wc, pb3)
            for k in range(n_buy):
                spent[ti, b, payer[k]] += left[k] * pb3[pattern[ti, k]]
            if keep_lines:
                cap_out[ti, b] = cap


def warm() -> None:
    """Compile the loop and the data draws' kernels now, on one default run, so that the first
    command that simulates starts at once: `make` runs this after installing (numba keeps the
    result on disk)."""
    from burdenshift import load_world
    from burdenshift.engine import data_draws
    from burdenshift.engine.simulate import simulate
    from burdenshift.scenario.loader import load_scenario

    world, scenario = load_world(), load_scenario(None)
    ds = data_draws.data_space(world, scenario)
    drawn = data_draws.monte_carlo(ds, np.full((1, len(ds.groups)), 0.5))
    data_draws.factors(ds, np.array([data_draws.stated(ds)]))
    simulate(world, scenario, data=drawn)
