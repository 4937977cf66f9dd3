"""Constraint rows written directly as numpy arrays of variable labels and coefficients.

linopy's expression arithmetic aligns its operands with xarray on every operation (about 3 ms a
call, some 1,000 calls per plan whatever the world's size). The families instead build, per
row, the labels of their terms and the coefficients in numpy and hand linopy one finished
Dataset per family. A term block is a pair of arrays `(vars, coeffs)` of shape (*rows, terms):
vars holds variable labels (-1: no term). The helpers keep linopy's order of terms (a sum over
a dimension puts that dimension outside the terms already there; a grouped sum puts the group's
members inside them), so listings read as linopy's own.
"""

from __future__ import annotations

from collections.abc import Sequence

import linopy
import numpy as np
import pandas as pd
import xarray as xr

TERM = "_term"

Block = tuple[np.ndarray, np.ndarray]
"""(vars, coeffs), each of shape (*rows, terms)."""


def labels(m: linopy.Model, name: str, *dims: str) -> np.ndarray:
    """A variable's labels (-1 where masked) with its dimensions in the order `dims`."""
    return np.asarray(m.variables[name].labels.transpose(*dims).values)


def term(vars: np.ndarray, coeff: np.ndarray | float = 1.0) -> Block:
    """One term per row: the labels `vars` (*rows) times `coeff` (broadcast to them)."""
    vars = np.asarray(vars)
    coeffs = np.broadcast_to(np.asarray(coeff, dtype=float), vars.shape)
    return vars[..., None], np.array(coeffs, dtype=float)[..., None]


def scaled(block: Block, factor: np.ndarray | float) -> Block:
    """Every term's coefficient times `factor` (*rows, broadcast)."""
    vars, coeffs = block
    factor = np.asarray(factor, dtype=float)
    return vars, coeffs * factor[..., None] if factor.ndim else coeffs * factor


def total(block: Block, axis: int) -> Block:
    """The sum over row axis `axis`: its entries become terms, outside the existing ones."""
    vars, coeffs = block
    vars, coeffs = np.moveaxis(vars, axis, -2), np.moveaxis(coeffs, axis, -2)
    shape = (*vars.shape[:-2], vars.shape[-2] * vars.shape[-1])
    return vars.reshape(shape), coeffs.reshape(shape)


def grouped(block: Block, codes: np.ndarray, n: int, axis: int = 0) -> Block:
    """The sum over row axis `axis` by group: entry i goes to group `codes[i]` (-1: none) of
    `n`. A group's members (in their order) sit inside the existing terms; a group without
    members has no terms. Only the terms there are are placed (no padding to the largest
    group's members × terms)."""
    vars, coeffs = block
    vars, coeffs = np.moveaxis(vars, axis, 0), np.moveaxis(coeffs, axis, 0)
    codes = np.asarray(codes)
    rest = vars.shape[1:-1]
    size = int(np.prod(rest, dtype=int))
    kept = np.flatnonzero(codes >= 0)
    order = kept[np.argsort(codes[kept], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes[kept], minlength=n))[:-1]])
    slot = np.full(len(codes), -1)
    slot[order] = np.arange(len(order)) - starts[codes[order]]  # place inside its group
    live = (vars != -1) & (codes >= 0).reshape(-1, *([1] * (vars.ndim - 1)))
    where = np.nonzero(live)
    member, term = where[0], where[-1]
    inner = np.ravel_multi_index(where[1:-1], rest) if rest else np.zeros_like(member)
    row = codes[member] * size + inner
    at = np.lexsort((slot[member], term, row))  # by row, then term, then member
    out = _placed(row[at], vars[where][at], coeffs[where][at], n * size, vars.dtype)
    out_vars, out_coeffs = (x.reshape(n, *rest, x.shape[-1]) for x in out)
    return np.moveaxis(out_vars, 0, axis), np.moveaxis(out_coeffs, 0, axis)


def _placed(
    row: np.ndarray, vars: np.ndarray, coeffs: np.ndarray, n_rows: int, dtype: np.dtype
) -> Block:
    """(n_rows, width) terms from entries sorted by row, each row's in their order."""
    counts = np.bincount(row, minlength=n_rows)
    width = max(int(counts.max()) if len(row) else 0, 1)
    slot = np.arange(len(row)) - (np.cumsum(counts) - counts)[row]
    out_vars = np.full((n_rows, width), -1, dtype=dtype)
    out_coeffs = np.full((n_rows, width), np.nan)
    out_vars[row, slot] = vars
    out_coeffs[row, slot] = coeffs
    return out_vars, out_coeffs


def joined(*blocks: Block) -> Block:
    """The terms of several blocks side by side, in that order (rows broadcast)."""
    shape = np.broadcast_shapes(*(v.shape[:-1] for v, _ in blocks))
    vars = [np.broadcast_to(v, (*shape, v.shape[-1])) for v, _ in blocks]
    coeffs = [np.broadcast_to(c, (*shape, c.shape[-1])) for _, c in blocks]
    return np.concatenate(vars, axis=-1), np.concatenate(coeffs, axis=-1)


def negated(block: Block) -> Block:
    return block[0], -block[1]


def simplified(block: Block) -> Block:
    """linopy's `simplify`: per row, the terms of one variable summed (in their order), terms
    with no variable or a zero or missing coefficient dropped, the rest by variable label."""
    vars, coeffs = block
    rows, k = vars.shape[:-1], vars.shape[-1]
    flat_vars, flat_coeffs = vars.reshape(-1, k), coeffs.reshape(-1, k)
    live = (flat_vars != -1) & (flat_coeffs != 0) & ~np.isnan(flat_coeffs)
    row, at = np.nonzero(live)
    var, coeff = flat_vars[row, at], flat_coeffs[row, at]
    order = np.lexsort((at, var, row))  # by row, variable, then the term's place
    row, var, coeff = row[order], var[order], coeff[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (var[1:] != var[:-1])
    starts = np.flatnonzero(first)
    summed = np.zeros(len(starts))
    group = np.cumsum(first) - 1
    for j in range(int(np.bincount(group).max()) if len(group) else 0):  # in the terms' order
        pick = np.flatnonzero(np.arange(len(row)) - starts[group] == j)
        summed[group[pick]] += coeff[pick]
    row, var = row[starts], var[starts]
    keep = summed != 0
    row, var, summed = row[keep], var[keep], summed[keep]
    counts = np.bincount(row, minlength=len(flat_vars))
    width = max(int(counts.max()) if len(row) else 0, 1)
    slot = np.arange(len(row)) - np.concatenate([[0], np.cumsum(counts)[:-1]])[row]
    out_vars = np.full((len(flat_vars), width), -1, dtype=vars.dtype)
    out_coeffs = np.zeros((len(flat_vars), width))
    out_vars[row, slot] = var
    out_coeffs[row, slot] = summed
    return out_vars.reshape(*rows, width), out_coeffs.reshape(*rows, width)


def compact(block: Block) -> Block:
    """The same rows with their terms first and the columns no row uses dropped."""
    vars, coeffs = block
    rows, k = vars.shape[:-1], vars.shape[-1]
    live = vars != -1
    if k <= 1 or int(live.sum(-1).max(initial=0)) == k:
        return vars, coeffs
    row, at = np.nonzero(live.reshape(-1, k))  # row by row, each row's terms in order
    flat_vars, flat_coeffs = vars.reshape(-1, k), coeffs.reshape(-1, k)
    out = _placed(row, flat_vars[row, at], flat_coeffs[row, at], len(flat_vars), vars.dtype)
    return out[0].reshape(*rows, -1), out[1].reshape(*rows, -1)


def add(
    m: linopy.Model,
    name: str,
    coords: Sequence[pd.Index],
    block: Block,
    sign: str,
    rhs: np.ndarray,
    mask: np.ndarray | None = None,
) -> linopy.constraints.Constraint:
    """Rows over the grid of `coords` (in that order): Σ coeffs · vars `sign` rhs, where `mask`
    (if given) holds."""
    vars, coeffs = compact(block)
    dims = tuple(str(c.name) for c in coords)
    shape = tuple(len(c) for c in coords)
    assert vars.shape[:-1] == shape, (name, vars.shape, shape)
    rhs = np.array(np.broadcast_to(rhs, shape), dtype=float)
    fields = {
        "coeffs": ((*dims, TERM), np.ascontiguousarray(coeffs, dtype=float)),
        "vars": ((*dims, TERM), np.ascontiguousarray(vars)),
        "sign": (dims, np.full(shape, sign)),
        "rhs": (dims, rhs),
    }
    index = {d: c for d, c in zip(dims, coords, strict=True)}
    where = None if mask is None else np.broadcast_to(np.asarray(mask, dtype=bool), shape)
    if _plain(m):
        return _labelled(m, name, fields, index, where)
    con = linopy.constraints.Constraint(xr.Dataset(fields, coords=index), m, name=name)
    if where is None:
        return m.add_constraints(con, name=name)
    return m.add_constraints(con, name=name, mask=xr.DataArray(where, coords=list(coords)))


def _plain(m: linopy.Model) -> bool:
    """A model whose constraints `add_constraints` would store as given: unchunked, unfrozen,
    without auto-masking (the plan's), and a linopy with the label counter used here."""
    return (
        not m.chunk
        and not m.auto_mask
        and not getattr(m, "freeze_constraints", False)
        and all(hasattr(m, a) for a in ("_cCounter", "_allocate_labels"))
    )


def _labelled(
    m: linopy.Model,
    name: str,
    fields: dict[str, tuple[tuple[str, ...], np.ndarray]],
    index: dict[str, pd.Index],
    where: np.ndarray | None,
) -> linopy.constraints.Constraint:
    """What `add_constraints` stores for these rows, labelled directly: labels from the model's
    counter over the whole grid (-1 where masked or the rhs is missing), scaling 1. Its dozen
    xarray alignments of data already aligned cost about 20 ms a family."""
    if name in m.constraints:
        raise ValueError(f"Constraint '{name}' already assigned to model")
    sign, rhs = fields["sign"][1], fields["rhs"][1]
    if np.any(((sign == "<=") & (rhs == -np.inf)) | ((sign == ">=") & (rhs == np.inf))):
        raise ValueError(f"Constraint {name} contains incorrect infinite values.")
    missing = np.isnan(rhs)
    if missing.any():
        fields["rhs"] = (fields["rhs"][0], np.where(missing, 0.0, rhs))
        where = ~missing if where is None else where & ~missing
    start = m._cCounter
    labels = m._allocate_labels(start, start + rhs.size).reshape(rhs.shape)
    m._cCounter += rhs.size
    if where is not None:
        labels = np.where(where, labels, -1).astype(labels.dtype)
    dims = fields["rhs"][0]
    data = xr.Dataset(
        {**fields, "labels": (dims, labels), "scaling": (dims, np.ones(rhs.shape))},
        coords=index,
        attrs={"label_range": (start, start + rhs.size), "name": name},
    )
    con = linopy.constraints.Constraint(data, m, name=name, skip_broadcast=True)
    m.constraints.add(con)
    return con


def expression(
    m: linopy.Model, coords: Sequence[pd.Index], block: Block, const: float = 0.0
) -> linopy.LinearExpression:
    """The terms of `block` over the grid of `coords` as a linopy expression (objectives,
    reports), its constant `const`."""
    vars, coeffs = block
    dims = tuple(str(c.name) for c in coords)
    shape = tuple(len(c) for c in coords)
    data = xr.Dataset(
        {
            "const": (dims, np.full(shape, const, dtype=float)),
            "coeffs": ((*dims, TERM), np.where(vars != -1, coeffs, np.nan)),
            "vars": ((*dims, TERM), np.ascontiguousarray(vars)),
        },
        coords={d: c for d, c in zip(dims, coords, strict=True)},
    )
    return linopy.LinearExpression(data, m)


def moved(const: np.ndarray | float, rhs: np.ndarray | float) -> np.ndarray:
    """The right-hand side linopy computes when the left side carries a constant:
    -(const - rhs) (zeros keep linopy's signs)."""
    return -(np.asarray(const, dtype=float) - np.asarray(rhs, dtype=float))
