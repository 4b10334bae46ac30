"""Sums over allies in the Mesa model's order of addition, compiled for the ensemble engine.

Floating-point addition is not associative, so a sum over allies has the bits of one order of
addition. The Mesa model (one run) sums in two orders:

* numpy's ``x.sum(axis=-1)`` over a contiguous row: *pairwise summation* (numpy's
  ``pairwise_sum`` in ``loops_utils.h``): below 8 terms one by one from 0; up to 128 terms eight
  running sums (term j goes to sum j mod 8), joined as ((s0 + s1) + (s2 + s3)) +
  ((s4 + s5) + (s6 + s7)), then the terms past the last multiple of 8 one by one; above 128
  terms, the two halves (the first a multiple of 8 long) summed so and added.
  ``credibility.received_evidence`` and the model's proximity sums are such sums of products
  m_ij v_j (:func:`weighted_sums`); the model's totals and means over groups too
  (:func:`pairwise_sums`; the ensemble's ``_aggregates`` calls its kernel).
* Python's ``sum()`` over a list of floats: Neumaier's compensated summation in Python >= 3.12
  (``bltinmodule.c``; Neumaier 1974, Z. angew. Math. Mech. 54) (:func:`compensated_sums`).

The ensemble engine (:mod:`sim.engines.fast`) needs the same sums for every run of a batch. numpy
can reproduce these orders across runs only with many passes over large temporaries; these
kernels do it in one pass per run, compiled by numba with strict IEEE arithmetic (numba's
default: no fast-math, so no reassociation and no fused multiply-add), which keeps each
addition and product exactly as written. Runs are independent: a loop over runs may be
vectorised without changing any run's order. ``tests/test_ensemble.py`` checks every kernel
against numpy and Python on random data, and the engine against the Mesa model bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BLOCK = 128  # numpy's PW_BLOCKSIZE: the largest run of terms summed with eight running sums
_LANES = 8


@njit(cache=True)
def _block(a, lo, n):
    """numpy's pairwise_sum of a[lo:lo + n] for n <= 128 (1-d, float64)."""
    if n < _LANES:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    s0, s1, s2, s3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    s4, s5, s6, s7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    stop = lo + n - n % _LANES
    for i in range(lo + _LANES, stop, _LANES):
        s0 += a[i]
        s1 += a[i + 1]
        s2 += a[i + 2]
        s3 += a[i + 3]
        s4 += a[i + 4]
        s5 += a[i + 5]
        s6 += a[i + 6]
        s7 += a[i + 7]
    res = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for i in range(stop, lo + n):
        res += a[i]
    return res


@njit(cache=True)
def pairwise(a, lo, n):
    """numpy's pairwise_sum of a[lo:lo + n] (1-d, float64): blocks of at most 128 terms,
    joined as numpy's recursion joins them (sum(lo, n) = sum(lo, h) + sum(lo + h, n - h), h
    half of n rounded down to a multiple of 8), walked with an explicit stack (numba caches
    recursive functions badly)."""
    if n <= _BLOCK:
        return _block(a, lo, n)
    return _halves(a, lo, n)


@njit(cache=True)
def _halves(a, lo, n):
    """pairwise beyond one block, kept apart so that pairwise stays small."""
    depth = 2 * (64 + 1)
    node_lo = np.empty(depth, np.int64)
    node_n = np.empty(depth, np.int64)
    node_join = np.empty(depth, np.bool_)
    values = np.empty(depth)
    node_lo[0], node_n[0], node_join[0] = lo, n, False
    top, count = 1, 0
    while top:
        top -= 1
        a_lo, a_n, join = node_lo[top], node_n[top], node_join[top]
        if join:  # both halves are on the value stack: left below right
            count -= 1
            values[count - 1] = values[count - 1] + values[count]
        elif a_n <= _BLOCK:
            values[count] = _block(a, a_lo, a_n)
            count += 1
        else:
            half = a_n // 2
            half -= half % _LANES
            node_lo[top], node_n[top], node_join[top] = a_lo, a_n, True
            node_lo[top + 1], node_n[top + 1], node_join[top + 1] = a_lo + half, a_n - half, False
            node_lo[top + 2], node_n[top + 2], node_join[top + 2] = a_lo, half, False
            top += 3
    return values[0]


@njit(cache=True, inline="always")
def compensated(a, n):
    """Python's sum() of a[0:n] (1-d, float64): Neumaier's running correction, added at the
    end when it is finite and nonzero (``bltinmodule.c``). The sum starts from the integer 0,
    so a first term -0.0 becomes +0.0."""
    total = 0.0 + a[0] if n > 0 else 0.0
    correction = 0.0
    for j in range(1, n):
        v = a[j]
        t = total + v
        if abs(total) >= abs(v):
            correction += (total - t) + v
        else:
            correction += (v - t) + total
        total = t
    if correction != 0.0 and np.isfinite(correction):
        total += correction
    return total


@njit(cache=True)
def _pairwise_rows(x, out):
    for r in range(x.shape[0]):
        out[r] = pairwise(x[r], 0, x.shape[1])


def pairwise_sums(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=-1)`` of a [runs, n] array as numpy sums one contiguous row, for every run
    (the bits of the model's one-run sum, whatever the batch's memory layout)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty(x.shape[0])
    _pairwise_rows(x, out)
    return out


@njit(cache=True)
def _compensated_rows(x, out):
    for r in range(x.shape[0]):
        out[r] = compensated(x[r], x.shape[1])


def compensated_sums(x: np.ndarray) -> np.ndarray:
    """Python's ``sum(row.tolist())`` for each row of a [runs, n] array (Neumaier's
    compensated summation, as Python >= 3.12 sums floats)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty(x.shape[0])
    _compensated_rows(x, out)
    return out


@njit(cache=True, inline="always")
def _join_lanes(lanes, out, width):
    """numpy's join of its eight running sums, for each of ``width`` columns:
    ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))."""
    for i in range(width):
        out[i] = (((lanes[0, i] + lanes[1, i]) + (lanes[2, i] + lanes[3, i]))
                  + ((lanes[4, i] + lanes[5, i]) + (lanes[6, i] + lanes[7, i])))


@njit(cache=True, inline="always")
def _nonzero_terms(row, nonzero):
    """How many terms of ``row`` are nonzero; their positions, in order, into ``nonzero``."""
    count = 0
    for j in range(row.size):
        if row[j] != 0.0:
            nonzero[count] = j
            count += 1
    return count


@njit(cache=True)
def _weighted_rows(m, v, out, terms, nonzero):
    """out[k, r, i] = sum_j m[r, j, i] v[k, r, j] in numpy's pairwise order over j.

    Terms with v = 0 are skipped: with non-negative weights their products are +0.0, and
    adding +0.0 leaves every partial sum of the pairwise tree as it is (the running sums
    start from 0.0 here rather than from their first term: 0.0 + x is x). So one nonzero
    term is the sum, and two are one addition wherever the tree makes it (x + y = y + x);
    evidence is mostly so sparse. Rows with at least half their terms nonzero (the proximity
    sums) take every term, exactly as numpy does."""
    K, R, n = v.shape
    P = m.shape[2]  # observers, padded: whole vectors of SIMD lanes in the dense loops
    lanes = np.empty((_LANES, P))
    acc = np.empty(P)
    stop = n - n % _LANES
    for r in range(R):  # runs outer: a run's matrix stays in cache for its k vectors
        for k in range(K):
            row = v[k, r]
            res = out[k, r]
            if n > _BLOCK:  # not the allies' case: every term, through the general tree
                for i in range(n):
                    for j in range(n):
                        terms[j] = m[r, j, i] * row[j]
                    res[i] = pairwise(terms, 0, n)
                continue
            count = _nonzero_terms(row, nonzero)
            if count == 0:
                res[:] = 0.0
            elif count == 1:
                a = nonzero[0]
                wa = row[a]
                for i in range(n):
                    res[i] = m[r, a, i] * wa
            elif count == 2:
                a, b = nonzero[0], nonzero[1]
                wa, wb = row[a], row[b]
                for i in range(n):
                    res[i] = m[r, a, i] * wa + m[r, b, i] * wb
            elif n < _LANES:  # one by one from 0, in order
                res[:] = 0.0
                for c in range(count):
                    j = nonzero[c]
                    w = row[j]
                    for i in range(n):
                        res[i] += m[r, j, i] * w
            elif 2 * count >= n:  # dense enough: every term, numpy's running sums from the first
                for lane in range(_LANES):
                    w = row[lane]
                    for i in range(P):
                        lanes[lane, i] = m[r, lane, i] * w
                for j in range(_LANES, stop):
                    w = row[j]
                    lane = j % _LANES
                    for i in range(P):
                        lanes[lane, i] += m[r, j, i] * w
                _join_lanes(lanes, acc, P)
                for j in range(stop, n):
                    w = row[j]
                    for i in range(P):
                        acc[i] += m[r, j, i] * w
                for i in range(n):
                    res[i] = acc[i]
            else:
                lanes[:, :] = 0.0
                tail = count
                for c in range(count):
                    j = nonzero[c]
                    if j >= stop:
                        tail = c
                        break
                    w = row[j]
                    lane = j % _LANES
                    for i in range(n):
                        lanes[lane, i] += m[r, j, i] * w
                _join_lanes(lanes, res, n)
                for c in range(tail, count):
                    j = nonzero[c]
                    w = row[j]
                    for i in range(n):
                        res[i] += m[r, j, i] * w


def weighted_sums(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """sum_j m_ij v_j for every run and k vectors at once, with the bits of
    ``(M * v[..., None, :]).sum(axis=-1)`` for one run's [n, n] matrix M (the model's
    ``credibility.received_evidence`` and proximity sums).

    ``m`` is [runs, n, p] with ``m[r, j, i]`` = M_ij of run r (a target j's weights for every
    observer i, contiguous), p >= n: observers past n are padding (zeros), which lets the
    dense loops run in whole SIMD vectors (:func:`padded`). It must be non-negative
    (reputation and proximity weights are). ``v`` is [k, runs, n]; the result [k, runs, n]."""
    if m.shape[1] != v.shape[-1] or m.shape[2] < m.shape[1]:
        raise ValueError(f"weights {m.shape} do not fit vectors {v.shape}")
    v = np.ascontiguousarray(v, dtype=np.float64)
    out = np.empty(v.shape)
    n = v.shape[-1]
    _weighted_rows(np.ascontiguousarray(m, dtype=np.float64), v, out, np.empty(n), np.empty(n, np.int64))
    return out


@njit(cache=True)
def _reputation_rows(similarity, group, rho, v, out, nonzero, terms, scratch):
    """_weighted_rows for reputation weights m_r[j, i] = 1 if i = j, else rho_r s[j, i] with
    s = similarity[group[r]]: each weight made as credibility.reputation_matrix makes it (the
    product rho x s), from one small matrix per similarity range instead of a matrix per run
    held in memory. Rows of evidence with one or two nonzero terms (nearly all) are summed
    directly; the rest through the run's matrix built in ``scratch``."""
    K, R, n = v.shape
    P = scratch.shape[2]
    for r in range(R):
        s = similarity[group[r]]
        rr = rho[r]
        built = False
        for k in range(K):
            row = v[k, r]
            res = out[k, r]
            count = _nonzero_terms(row, nonzero)
            if count == 0:
                res[:] = 0.0
            elif count == 1:
                a = nonzero[0]
                wa = row[a]
                for i in range(n):
                    res[i] = (rr * s[a, i]) * wa
                res[a] = 1.0 * wa
            elif count == 2:
                a, b = nonzero[0], nonzero[1]
                wa, wb = row[a], row[b]
                for i in range(n):
                    ma = 1.0 if i == a else rr * s[a, i]
                    mb = 1.0 if i == b else rr * s[b, i]
                    res[i] = ma * wa + mb * wb
            else:
                if not built:
                    for j in range(n):
                        for i in range(n):
                            scratch[0, j, i] = 1.0 if i == j else rr * s[j, i]
                        for i in range(n, P):
                            scratch[0, j, i] = 0.0
                    built = True
                _weighted_rows(scratch, v[k:k + 1, r:r + 1], out[k:k + 1, r:r + 1], terms, nonzero)


def reputation_sums(similarity: np.ndarray, group: np.ndarray, rho: np.ndarray, v: np.ndarray) -> np.ndarray:
    """:func:`weighted_sums` with the reputation matrices of ``credibility.reputation_matrix``
    (r_ii = 1, r_ij = rho x similarity_ij), given as ``similarity`` [g, n, n] (one per distinct
    similarity range; ``similarity[g][j, i]`` = s_ij), each run's ``group`` and ``rho``: the
    same bits as :func:`weighted_sums` on the full [runs, n, n] matrices."""
    v = np.ascontiguousarray(v, dtype=np.float64)
    n = v.shape[-1]
    out = np.empty(v.shape)
    scratch = np.empty((1, n, -(-n // 4) * 4))
    _reputation_rows(np.ascontiguousarray(similarity, dtype=np.float64), np.ascontiguousarray(group, dtype=np.int64),
                     np.ascontiguousarray(rho, dtype=np.float64), v, out, np.empty(n, np.int64), np.empty(n),
                     scratch)
    return out


def padded(m: np.ndarray, width: int = 4) -> np.ndarray:
    """[runs, n, n] weights as :func:`weighted_sums` runs fastest on dense vectors: each row
    padded with zeros to a multiple of ``width`` observers (4 doubles: one AVX2 vector)."""
    R, n, _ = m.shape
    out = np.zeros((R, n, -(-n // width) * width))
    out[:, :, :n] = m
    return out
